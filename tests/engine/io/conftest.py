"""Builders for tiny DICOM files written in the test, and pydicom's bundled example files."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def build_dataset(pixels: np.ndarray, photometric: str | None = None, **tags: object) -> Dataset:
    """Native little-endian dataset holding `pixels` (H×W, H×W×3, or frames×H×W[×3])."""
    color = pixels.shape[-1] == 3 and pixels.ndim in (3, 4)
    frames = pixels.shape[0] if pixels.ndim == (4 if color else 3) else 1
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = tags.pop("SOPClassUID", SecondaryCaptureImageStorage)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = pixels.shape[-3:-1] if color else pixels.shape[-2:]
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = photometric or ("RGB" if color else "MONOCHROME2")
    if color:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.HighBit = ds.BitsStored - 1
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def save(ds: Dataset, path: Path, transfer_syntax: UID | None = None) -> Path:
    if transfer_syntax is not None:
        ds.file_meta.TransferSyntaxUID = transfer_syntax
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def write_dicom(tmp_path: Path) -> Callable[..., Path]:
    """write_dicom(name, pixels, photometric=None, **tags) -> path of a native DICOM file."""

    def write(name: str, pixels: np.ndarray, photometric: str | None = None, **tags: object):
        return save(build_dataset(pixels, photometric, **tags), tmp_path / name)

    return write


def testdata(name: str) -> Path:
    """A file shipped inside pydicom (offline); skips when this pydicom lacks it."""
    found = get_testdata_file(name)
    if found is None:
        pytest.skip(f"pydicom does not ship {name}")
    return Path(found)


def native_pixels(name: str) -> np.ndarray:
    """Independent reference: the raw bytes of an uncompressed file, read with numpy only."""
    ds = pydicom.dcmread(testdata(name))
    little = ds.file_meta.TransferSyntaxUID.is_little_endian
    kind = "i" if ds.PixelRepresentation else "u"
    dtype = np.dtype(f"{'<' if little else '>'}{kind}{ds.BitsAllocated // 8}")
    shape = (ds.Rows, ds.Columns, ds.SamplesPerPixel) if ds.SamplesPerPixel > 1 else None
    values = np.frombuffer(ds.PixelData, dtype=dtype)
    count = ds.Rows * ds.Columns * ds.SamplesPerPixel
    values = values[:count].astype(dtype.newbyteorder("="))
    if shape is None:
        return values.reshape(ds.Rows, ds.Columns)
    if int(ds.get("PlanarConfiguration", 0)) == 1:
        return values.reshape(3, ds.Rows, ds.Columns).transpose(1, 2, 0)
    return values.reshape(shape)


def jpeg_baseline_dataset(frames: np.ndarray, quality: int = 95, **tags: object) -> Dataset:
    """JPEG baseline frames encoded by Pillow and encapsulated by pydicom (how US cines are
    usually stored). Colour frames are YCbCr 4:2:0 in the JPEG, so YBR_FULL_422 in DICOM."""
    import io

    from PIL import Image as PILImage
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    color = frames.ndim == 4
    ds = build_dataset(frames, "YBR_FULL_422" if color else None, **tags)
    encoded = []
    for frame in frames:
        buffer = io.BytesIO()
        PILImage.fromarray(frame).save(buffer, format="JPEG", quality=quality)
        encoded.append(buffer.getvalue())
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.NumberOfFrames = len(encoded)
    ds.LossyImageCompression = "01"
    return ds


@pytest.fixture
def dcm(tmp_path: Path) -> SimpleNamespace:
    """The builders above as one fixture (test modules cannot import conftest by name)."""
    return SimpleNamespace(
        build=build_dataset,
        save=save,
        jpeg=jpeg_baseline_dataset,
        testdata=testdata,
        native=native_pixels,
        tmp=tmp_path,
    )
