"""Write synthetic cases in the canonical folder format (images/, masks/, labels.csv, split.csv)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from engine.atomic import write_bytes_atomic, write_png_atomic
from engine.synth.nodes import DEFAULT_PROFILE, SHIFTED_PROFILE, NodeSample, generate_node_image

KINDS = ("nodes",)


def case_rng(seed: int, index: int) -> np.random.Generator:
    """One independent stream per case, so case i is the same whatever n is."""
    return np.random.default_rng([seed, index])


def iter_node_samples(n: int, seed: int, shift: bool = False) -> Iterator[tuple[str, NodeSample]]:
    profile = SHIFTED_PROFILE if shift else DEFAULT_PROFILE
    prefix = "shift" if shift else "node"
    for i in range(n):
        rng = case_rng(seed, i)
        label = ("benign", "malignant")[i % 2]  # balanced classes
        yield f"{prefix}{seed:03d}_{i:05d}", generate_node_image(rng, label=label, profile=profile)


def write_dataset(
    kind: str,
    n: int,
    out: str | Path,
    seed: int = 0,
    shift: bool = False,
    val_fraction: float = 0.2,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic kind {kind!r}; choose from {', '.join(KINDS)}")
    if n < 1:
        raise ValueError("n must be at least 1")
    out = Path(out)
    rows, splits, meta = [], [], []
    n_val = int(round(n * val_fraction))
    for i, (case, sample) in enumerate(iter_node_samples(n, seed, shift)):
        write_png_atomic(out / "images" / f"{case}.png", sample.image)
        write_png_atomic(out / "masks" / f"{case}.png", sample.mask)
        rows.append((case, sample.label))
        splits.append((case, "val" if i >= n - n_val else "train"))
        r0, c0, r1, c1 = sample.region
        meta.append((case, f"{sample.spacing_mm:.6f}", r0, c0, r1, c1))
        if progress:
            progress(i + 1, n)
    _write_csv(out / "labels.csv", ("case", "label"), rows)
    _write_csv(out / "split.csv", ("case", "split"), splits)
    _write_csv(out / "meta.csv", ("case", "spacing_mm", "row0", "col0", "row1", "col1"), meta)
    return out


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_bytes_atomic(path, buf.getvalue().encode("utf-8"))
