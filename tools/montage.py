"""Montages of the synthetic domains (docs/montage_<kind>.jpg) and their generation speed.

    python tools/montage.py                 # every kind -> docs/montage_<kind>.jpg
    python tools/montage.py skin scinti     # some kinds
    python tools/montage.py --speed 8       # also time write_dataset (s per case), print JSON

Each montage: a grid of samples of the default look with the ground-truth contour drawn
(yellow) and the class written on the tile, then a row of the shifted look (`--shift`, another
scanner) for the same seeds. Samples are drawn exactly as `lesionlens synth` draws case i of
seed 0 (np.random.default_rng([seed, i])), so what you see is what the data sets hold.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.atomic import write_atomic  # noqa: E402
from engine.synth.case_writers import KIND_SPECS  # noqa: E402
from engine.synth.dataset import KINDS, case_rng, write_dataset  # noqa: E402

CONTOUR = (255, 220, 0)
TUMOUR = (255, 60, 60)
SEED = 0


def to_rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image.copy()


def outline(rgb: np.ndarray, mask: np.ndarray, colour=CONTOUR) -> np.ndarray:  # noqa: ANN001
    inside = mask > 0
    edge = inside & ~ndimage.binary_erosion(inside, border_value=0)
    edge = ndimage.binary_dilation(edge) if min(mask.shape) >= 200 else edge
    rgb[edge] = colour
    return rgb


def caption(rgb: np.ndarray, text: str) -> np.ndarray:
    pil = PILImage.fromarray(rgb)
    draw = ImageDraw.Draw(pil)
    draw.rectangle((0, 0, 7 * len(text) + 6, 13), fill=(0, 0, 0))
    draw.text((3, 1), text, fill=(255, 255, 255))
    return np.asarray(pil)


def fit(tile: np.ndarray, height: int) -> np.ndarray:
    if tile.shape[0] == height:
        return tile
    width = int(round(tile.shape[1] * height / tile.shape[0]))
    return np.asarray(PILImage.fromarray(tile).resize((width, height), PILImage.BILINEAR))


def row(tiles: list[np.ndarray], height: int, gap: int = 4) -> np.ndarray:
    tiles = [fit(t, height) for t in tiles]
    pad = np.full((height, gap, 3), 255, dtype=np.uint8)
    parts = []
    for t in tiles:
        parts += [t, pad]
    return np.concatenate(parts[:-1], axis=1)


def stack(rows: list[np.ndarray], gap: int = 4) -> np.ndarray:
    width = max(r.shape[1] for r in rows)
    out = []
    for r in rows:
        padded = np.full((r.shape[0], width, 3), 255, dtype=np.uint8)
        padded[:, : r.shape[1]] = r
        out += [padded, np.full((gap, width, 3), 255, dtype=np.uint8)]
    return np.concatenate(out[:-1], axis=0)


# --- one tile per case, per kind ------------------------------------------------------------


def nodes_tile(i: int, label: str, shift: bool) -> np.ndarray:
    from engine.synth.nodes import DEFAULT_PROFILE, SHIFTED_PROFILE, generate_node_image

    s = generate_node_image(case_rng(SEED, i), label, SHIFTED_PROFILE if shift else DEFAULT_PROFILE)
    return caption(outline(to_rgb(s.image), s.mask), label)


def skin_tile(i: int, label: str, shift: bool) -> np.ndarray:
    from engine.synth.skin import generate_skin_image
    from engine.synth.skin_surface import DEFAULT_CAMERA, SHIFTED_CAMERA

    s = generate_skin_image(case_rng(SEED, i), label, SHIFTED_CAMERA if shift else DEFAULT_CAMERA)
    return caption(outline(to_rgb(s.image), s.mask), label)


def skin_pair_tile(i: int, label: str, shift: bool) -> np.ndarray:
    from engine.synth import skin_pair as sp

    s = sp.generate_skin_pair(
        case_rng(SEED, i),
        label,
        camera_profile=sp.SHIFTED_PHOTO_CAMERA if shift else sp.PHOTO_CAMERA,
        us_profile=sp.SHIFTED_SKIN_US if shift else sp.SKIN_US,
    )
    photo = caption(outline(to_rgb(s.photo), s.photo_mask), f"{label} photo")
    depth = f"US, {s.lesion.thickness_mm:.1f} mm thick"
    us = _bottom_caption(outline(to_rgb(s.us), s.us_mask), depth)
    return row([photo, us], photo.shape[0], gap=2)


def scinti_tile(i: int, label: str, shift: bool) -> np.ndarray:
    from engine.synth.scinti import DEFAULT_CAMERA, SHIFTED_CAMERA, generate_scinti

    s = generate_scinti(case_rng(SEED, i), label, SHIFTED_CAMERA if shift else DEFAULT_CAMERA)
    ant = caption(outline(to_rgb(s.anterior), s.anterior_mask, TUMOUR), "ANT")
    post = caption(outline(to_rgb(s.posterior), s.posterior_mask, TUMOUR), "POST")
    return _bottom_caption(row([ant, post], ant.shape[0], gap=2), label)


def _bottom_caption(rgb: np.ndarray, text: str) -> np.ndarray:
    pil = PILImage.fromarray(rgb)
    draw = ImageDraw.Draw(pil)
    h = rgb.shape[0]
    draw.rectangle((0, h - 14, 7 * len(text) + 6, h), fill=(0, 0, 0))
    draw.text((3, h - 13), text, fill=(255, 255, 255))
    return np.asarray(pil)


def _window(hu: np.ndarray, centre: float = 40, width: float = 400) -> np.ndarray:
    return (np.clip((hu - (centre - width / 2)) / width, 0, 1) * 255).astype(np.uint8)


def kidney_ct_tile(i: int, label: str, shift: bool) -> np.ndarray:
    from engine.synth.kidney_ct import DEFAULT_CT, SHIFTED_CT, generate_kidney_ct

    s = generate_kidney_ct(case_rng(SEED, i), label, SHIFTED_CT if shift else DEFAULT_CT)
    z = int(np.argmax((s.labels == 2).sum(axis=(1, 2))))
    axial = to_rgb(_window(s.volume[z].astype(float)))
    axial = outline(axial, s.labels[z] == 1)
    axial = outline(axial, s.labels[z] == 2, TUMOUR)
    axial = np.repeat(np.repeat(axial, 2, axis=0), 2, axis=1)
    y = int(np.argmax((s.labels == 2).sum(axis=(0, 2))))
    coronal = to_rgb(_window(s.volume[::-1, y].astype(float)))
    coronal = outline(coronal, s.labels[::-1, y] == 1)
    coronal = outline(coronal, s.labels[::-1, y] == 2, TUMOUR)
    sz, _, sx = s.spacing_mm
    coronal = np.asarray(
        PILImage.fromarray(coronal).resize(
            (axial.shape[1], int(round(coronal.shape[0] * sz / sx * 2))), PILImage.NEAREST
        )
    )
    tile = stack([axial, coronal], gap=2)
    return caption(tile, f"{label} ({s.tumour['kind']})")


TILES: dict[str, tuple[Callable[[int, str, bool], np.ndarray], int, int]] = {
    # kind: (tile maker, cases in the default grid, tile height)
    "nodes": (nodes_tile, 8, 256),
    "skin": (skin_tile, 8, 256),
    "skin-pair": (skin_pair_tile, 6, 200),
    "scinti": (scinti_tile, 6, 512),
    "kidney-ct": (kidney_ct_tile, 8, 330),
}


def montage(kind: str, out_dir: Path) -> Path:
    make, n, height = TILES[kind]
    classes = KIND_SPECS[kind].classes
    per_row = 4 if kind != "scinti" else 6
    if kind == "skin-pair":
        per_row = 3
    tiles = [make(i, classes[i % 2], False) for i in range(n)]
    rows = [row(tiles[k : k + per_row], height) for k in range(0, n, per_row)]
    shifted = [make(i, classes[i % 2], True) for i in range(min(per_row, n))]
    header = np.full((18, 10, 3), 255, dtype=np.uint8)
    label = caption(
        np.full((16, 260, 3), 255, dtype=np.uint8), "shifted look (--shift), same seeds"
    )
    rows += [header[:6], label, row(shifted, height)]
    # JPEG at quality 85: the montages are for looking at, and PNGs of speckle are megabytes.
    return write_atomic(
        out_dir / f"montage_{kind}.jpg",
        lambda fh: PILImage.fromarray(stack(rows)).save(fh, format="JPEG", quality=85),
    )


def speed(kind: str, n: int) -> dict[str, float]:
    """Seconds per case of write_dataset (generation + writing files), default and shifted."""
    result = {}
    for shift in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            write_dataset(kind, n, tmp, seed=SEED, shift=shift)
            result["shift" if shift else "default"] = (time.perf_counter() - start) / n
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinds", nargs="*", metavar="KIND", help=f"some of {', '.join(KINDS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--speed", type=int, default=0, metavar="N", help="time N cases per kind")
    args = parser.parse_args(argv)
    unknown = set(args.kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kind(s) {sorted(unknown)}; choose from {', '.join(KINDS)}")
    timings = {}
    for kind in args.kinds or KINDS:
        print(f"wrote {montage(kind, args.out)}", file=sys.stderr)
        if args.speed:
            timings[kind] = speed(kind, args.speed)
    if timings:
        print(json.dumps({"seconds_per_case": timings, "n": args.speed}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
