"""PACS retrieve throughput from a loopback Orthanc: DICOMweb (WADO-RS) against C-GET.

Two studies, made here and stored in a private Orthanc (tools/orthanc_server.py; needs the
Debian packages orthanc and orthanc-dicomweb): a 120-frame 480x640 ultrasound cine (one
JPEG-baseline instance, as scanners store loops) and a 100-slice 512x512 CT series (100
uncompressed 16-bit instances). Each is retrieved `--repeats` times per protocol with
engine.pacs.retrieve_study into a fresh folder (atomic write per instance included);
instances/s and MB/s (of the files written) are medians. Writes one JSON result.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image as PILImage
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    UltrasoundMultiFrameImageStorage,
    generate_uid,
)
from scipy.ndimage import gaussian_filter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.atomic import write_json_atomic  # noqa: E402
from engine.pacs import HttpAuth, PacsNode, Secret, retrieve_study  # noqa: E402
from tools.orthanc_server import OrthancServer  # noqa: E402

CINE_FRAMES, ROWS, COLS = 120, 480, 640
CT_SLICES, CT_SIZE = 100, 512


def _patient(ds: Dataset, study: str, modality: str) -> None:
    ds.PatientName, ds.PatientID = "BENCH^PACS", f"BENCH-{modality}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, generate_uid()
    ds.StudyDate, ds.StudyTime, ds.Modality = "20260101", "120000", modality
    ds.SeriesNumber, ds.InstanceNumber = 1, 1


def write_cine(folder: Path) -> str:
    rng = np.random.default_rng(0)
    field = gaussian_filter(rng.rayleigh(1.0, (ROWS, COLS + CINE_FRAMES)), 1.2)
    field = np.clip(field / field.max() * 320, 0, 255).astype(np.uint8)
    encoded = []
    for i in range(CINE_FRAMES):
        buffer = io.BytesIO()
        PILImage.fromarray(np.ascontiguousarray(field[:, i : i + COLS])).save(
            buffer, format="JPEG", quality=90
        )
        encoded.append(buffer.getvalue())
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = UltrasoundMultiFrameImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    study = generate_uid()
    _patient(ds, study, "US")
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLS, CINE_FRAMES
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.FrameTime, ds.LossyImageCompression = 33.3, "01"
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds.save_as(folder / "cine.dcm", enforce_file_format=True)
    return study


def write_ct(folder: Path) -> str:
    rng = np.random.default_rng(1)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    base = gaussian_filter(rng.normal(0, 40, (CT_SIZE, CT_SIZE)), 3).astype(np.int16)
    for k in range(CT_SLICES):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        _patient(ds, study, "CT")
        ds.SeriesInstanceUID, ds.FrameOfReferenceUID, ds.InstanceNumber = series, frame, k + 1
        ds.ImagePositionPatient = [0.0, 0.0, 2.5 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 2.5
        ds.Rows = ds.Columns = CT_SIZE
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.PixelData = (base + 1024 + 5 * k).astype(np.int16).tobytes()
        ds.save_as(folder / f"ct{k:03d}.dcm", enforce_file_format=True)
    return study


def timed_retrieve(node: PacsNode, study: str, dest: Path) -> dict:
    shutil.rmtree(dest, ignore_errors=True)
    t0 = time.perf_counter()
    steps = retrieve_study(node, study, dest)
    try:
        while True:
            next(steps)
    except StopIteration as done:
        result = done.value
    seconds = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in result.files)
    return {"seconds": seconds, "instances": len(result.files), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path("bench/results/pacs.json"))
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp, OrthancServer(Path(tmp) / "orthanc") as pacs:
        data = Path(tmp) / "data"
        data.mkdir()
        studies = {"cine_120_frames": write_cine(data)}
        (data / "ct").mkdir()
        studies["ct_100_slices"] = write_ct(data / "ct")
        for path in sorted(data.rglob("*.dcm")):
            pacs.upload(path)
        auth = HttpAuth("basic", pacs.username, Secret(pacs.password))
        nodes = {
            "dicomweb": PacsNode("bench-web", dicomweb_url=pacs.dicomweb_url, auth=auth),
            "c-get": PacsNode(
                "bench-dimse", ae_title=pacs.aet, host="127.0.0.1", port=pacs.dicom_port
            ),  # fmt: skip
        }
        for name, study in studies.items():
            results[name] = {}
            for protocol, node in nodes.items():
                timed_retrieve(node, study, Path(tmp) / "warm")  # first touch of the storage
                runs = [timed_retrieve(node, study, Path(tmp) / "out") for _ in range(args.repeats)]
                seconds = statistics.median(r["seconds"] for r in runs)
                size = runs[0]["bytes"]
                results[name][protocol] = {
                    "instances": runs[0]["instances"],
                    "mb": round(size / 1e6, 1),
                    "seconds_median": round(seconds, 3),
                    "instances_per_s": round(runs[0]["instances"] / seconds, 1),
                    "mb_per_s": round(size / 1e6 / seconds, 1),
                }
                print(name, protocol, results[name][protocol], flush=True)
    result = {
        "benchmark": "pacs_retrieve",
        "server": "Orthanc (Debian package) with the DICOMweb plugin, loopback",
        "studies": {
            "cine_120_frames": f"1 US multi-frame instance, {CINE_FRAMES}x{ROWS}x{COLS} JPEG",
            "ct_100_slices": f"{CT_SLICES} CT instances {CT_SIZE}x{CT_SIZE} 16-bit, uncompressed",
        },
        "repeats": args.repeats,
        "results": results,
        "pydicom": pydicom.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "note": "2 cores shared with a training run; loopback, so the network is not the limit",
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
