"""Cine loading speed: time to first frame and to full decode of a 120-frame 480x640
JPEG-baseline ultrasound loop, and peak memory. Writes one JSON result.

The loop is encoded here first (not timed): Pillow JPEG frames, encapsulated by pydicom, as
scanners store cines (colour: YBR_FULL_422; grey: MONOCHROME2).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image as PILImage
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit, UltrasoundMultiFrameImageStorage, generate_uid
from scipy.ndimage import gaussian_filter

from engine.atomic import write_atomic, write_json_atomic
from engine.io import read_dicom_frames

FRAMES, ROWS, COLS = 120, 480, 640


def speckle_frames(colour: bool, seed: int = 0) -> list[np.ndarray]:
    """Ultrasound-like frames: blurred speckle that drifts, plus a colour-flow box if colour."""
    rng = np.random.default_rng(seed)
    field = gaussian_filter(rng.rayleigh(1.0, (ROWS, COLS + FRAMES)), 1.2)
    field = np.clip(field / field.max() * 320, 0, 255).astype(np.uint8)
    frames = []
    for i in range(FRAMES):
        gray = np.ascontiguousarray(field[:, i : i + COLS])
        if not colour:
            frames.append(gray)
            continue
        rgb = np.repeat(gray[..., None], 3, axis=-1)
        phase = np.sin(np.linspace(0, np.pi, 120) + i / 6.0)
        rgb[180:300, 260:380, 0] = np.clip(128 + 120 * phase, 0, 255).astype(np.uint8)
        rgb[180:300, 260:380, 2] = np.clip(128 - 120 * phase, 0, 255).astype(np.uint8)
        frames.append(rgb)
    return frames


def write_cine(path: Path, frames: list[np.ndarray], quality: int = 90) -> int:
    colour = frames[0].ndim == 3
    encoded = []
    for frame in frames:
        buffer = io.BytesIO()
        PILImage.fromarray(frame).save(buffer, format="JPEG", quality=quality)
        encoded.append(buffer.getvalue())
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLS, len(frames)
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = "YBR_FULL_422" if colour else "MONOCHROME2"
    if colour:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.FrameTime = 33.3
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    write_atomic(path, lambda fh: ds.save_as(fh, enforce_file_format=True))
    return path.stat().st_size


def time_first_frame(path: Path, repeats: int) -> list[float]:
    """Open the file and get frame 0 as a display-ready Image, as the viewer does."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        read_dicom_frames(path).frame(0)
        times.append(time.perf_counter() - t0)
    return times


def measure(path: Path, reference: list[np.ndarray], repeats: int) -> dict:
    first = time_first_frame(path, repeats)
    tracemalloc.start()
    t0 = time.perf_counter()
    source = read_dicom_frames(path)
    kept = [source.frame(i).pixels for i in range(source.count)]  # a full cine cache
    full_s = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    errors = [np.abs(k.astype(int) - r).mean() for k, r in zip(kept, reference, strict=True)]
    error = float(np.mean(errors))
    return {
        "frames": source.count,
        "frame_time_ms": source.frame_time_ms,
        "first_frame_ms_median": round(1000 * statistics.median(first), 1),
        "first_frame_ms_max": round(1000 * max(first), 1),
        "full_decode_s": round(full_s, 3),
        "decode_fps": round(source.count / full_s, 1),
        "peak_traced_mb_full_cache": round(peak / 1024**2, 1),
        "decoded_cache_mb": round(sum(k.nbytes for k in kept) / 1024**2, 1),
        "mean_abs_error_vs_source": round(error, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path("bench/results/io.json"))
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.dcm"
        write_cine(warm, speckle_frames(colour=True)[:2])
        read_dicom_frames(warm).frame(0)  # imports the codec plugins once, as a running GUI has
        for name, colour in (("colour_ybr_full_422", True), ("grey_monochrome2", False)):
            frames = speckle_frames(colour)
            path = Path(tmp) / f"{name}.dcm"
            size = write_cine(path, frames)
            timings = measure(path, frames, args.repeats)
            results[name] = {"file_mb": round(size / 1024**2, 2), **timings}
    result = {
        "benchmark": "io_cine",
        "cine": f"{FRAMES} frames {ROWS}x{COLS} JPEG baseline (Pillow q90), encapsulated",
        "target_first_frame_ms": 300,
        "results": results,
        "pydicom": pydicom.__version__,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
