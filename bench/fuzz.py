"""Coverage-guided fuzzing of the readers with atheris (a bench, not CI; needs the `fuzz` extra).

    nice -n 15 .venv/bin/python bench/fuzz.py --target dicom --runs 100000 --json OUT
    nice -n 15 .venv/bin/python bench/fuzz.py --all --runs 100000 --json bench/results/fuzz.json

One harness per reader, each calling the public entry point a user hits on a temporary file
written from the fuzz bytes (or on a small data-set folder / model bundle where one file is
the fuzz input). The contract under test: bad input raises the project's own error family
(engine.errors.LesionLensError: LoadError, DatasetError, BundleError ...) naming the file and
the reason. Anything else is a crash: another exception, a hang (more than HANG_S seconds of
CPU for one input) or a memory blow-up (the process's data segment is capped, so a reader
that allocates before refusing a huge size raises MemoryError here).

Crashes do not stop the run: each distinct one (exception type + innermost frame) is recorded
with its first input under <work>/crashes/<target>/, so one run of N executions reports every
kind it found. Seeds are real files: pydicom's test files, pydicom-data's vendor ultrasound
(downscaled, headers kept), PNG/JPEG/TIFF made from their pixels, NIfTIs written with nibabel,
the shipped model.json. Each target runs in its own child process (libFuzzer exits when done);
the parent parses libFuzzer's `cov:`/`ft:` lines and writes one JSON result.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HANG_S = 5.0  # CPU seconds for one input; any reader should refuse or finish far sooner
WALL_TIMEOUT_S = 120  # libFuzzer's own timeout (wall clock, on a busy machine): a backstop
DATA_HEADROOM = 1536 * 1024**2  # a reader may use this much above the harness's baseline
RSS_JUMP = 512 * 1024**2  # peak RSS this far above the start (or the last report): a blow-up
TARGETS = (
    "dicom",
    "raster",
    "nifti",
    "dicomdir",
    "canonical",
    "dataset_pixels",
    "busi",
    "isic",
    "nnunet",
    "bundle",
)
JSON_TOKENS = ['"', "{}", "[]", "null", "true", "false", "-1", "0", "1e999", "NaN", '""', ":", ","]
# libFuzzer dictionaries: the words a mutation needs to stay valid JSON/CSV and reach deep code.
DICTIONARY = {
    "bundle": JSON_TOKENS
    + [
        f'"{k}"'
        for k in [
            "inputs",
            "outputs",
            "classes",
            "model_id",
            "channels",
            "name",
            "size",
            "normalisation",
            "resize",
            "view",
            "task",
            "threshold",
            "temperature",
            "presence_threshold",
            "presence_temperature",
            "scope",
            "features",
            "tiling",
            "window_px",
            "overlap",
            "card",
            "min_lesion_area_px",
            "letterbox",
            "views",
        ]
    ],
    "nnunet": JSON_TOKENS
    + [
        f'"{k}"'
        for k in [
            "channel_names",
            "modality",
            "labels",
            "numTraining",
            "file_ending",
            ".nii.gz",
            ".png",
            "0",
            "1",
        ]
    ],
    "canonical": [
        "case",
        "label",
        "split",
        "patient",
        "name",
        "value",
        "view",
        "file",
        "mask",
        "images/a.png",
        "masks/a.png",
        ",",
        "\n",
        '"',
        "a",
        "b",
        "train",
        "test",
    ],
    "isic": ["image", "MEL", "NV", "ISIC_0000000", ",", "\n", "1.0", "nan", "inf", '"'],
}
MAX_LEN = {"dicom": 65536, "raster": 16384, "nifti": 8192, "dicomdir": 16384}
INSTRUMENTED = ["engine", "pydicom", "nibabel", "PIL", "csv", "json"]


# ---------------------------------------------------------------- seeds (parent process)


def _small_dicom_files(limit: int = 65536) -> list[Path]:
    import warnings

    from pydicom.data import get_testdata_files

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = [Path(f) for f in get_testdata_files("*")]
    return sorted(f for f in files if f.is_file() and f.stat().st_size <= limit)


def _vendor_us() -> list[Path]:
    from pydicom.data import get_testdata_file

    names = ("US1_UNCR.dcm", "US1_J2KR.dcm", "gdcm-US-ALOKA-16.dcm", "US1_UNCI.dcm")
    return [Path(p) for p in (get_testdata_file(n) for n in names) if p]


def _downscaled(path: Path, side: int = 48) -> bytes | None:
    """The vendor file with every header tag kept but its pixels cut to side x side (native)."""
    import numpy as np
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian

    ds = pydicom.dcmread(path)
    try:
        arr = ds.pixel_array
    except Exception:  # noqa: BLE001 - a seed we cannot decode is simply skipped
        return None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        arr = arr[:2]
    step_r = max(1, ds.Rows // side)
    step_c = max(1, ds.Columns // side)
    arr = (
        arr[..., ::step_r, ::step_c, :] if ds.SamplesPerPixel > 1 else arr[..., ::step_r, ::step_c]
    )
    arr = np.ascontiguousarray(arr)
    ds.Rows, ds.Columns = arr.shape[-3:-1] if ds.SamplesPerPixel > 1 else arr.shape[-2:]
    if frames > 1:
        ds.NumberOfFrames = 2
    if ds.get("PhotometricInterpretation", "").startswith("YBR"):
        ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0 if ds.SamplesPerPixel > 1 else ds.get("PlanarConfiguration", 0)
    if ds.SamplesPerPixel == 1:
        del ds.PlanarConfiguration
    ds.PixelData = arr.tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=False)
    return buf.getvalue()


def _seed_pictures() -> list:
    """A few small real ultrasound frames (uint8 gray and RGB) from the vendor files."""
    import numpy as np

    from engine.io import read_dicom

    pictures = []
    for path in _vendor_us()[:3]:
        pixels = read_dicom(path).pixels
        step = max(1, max(pixels.shape[:2]) // 40)
        pictures.append(np.ascontiguousarray(pixels[::step, ::step]))
    return pictures


def _raster_seeds() -> dict[str, bytes]:
    import numpy as np
    from PIL import Image as PILImage

    out = {}
    for i, pixels in enumerate(_seed_pictures()):
        img = PILImage.fromarray(pixels)
        gray = img.convert("L")
        for name, im, fmt, kw in (
            ("png", img, "PNG", {}),
            ("gray.png", gray, "PNG", {}),
            ("jpg", img, "JPEG", {"quality": 80}),
            ("gray.jpg", gray, "JPEG", {"quality": 80}),
            ("tif", img, "TIFF", {}),
            ("lzw.tif", gray, "TIFF", {"compression": "tiff_lzw"}),
            ("bmp", gray, "BMP", {}),
        ):
            buf = io.BytesIO()
            im.save(buf, fmt, **kw)
            out[f"us{i}.{name}"] = buf.getvalue()
        wide = (np.asarray(gray, dtype=np.uint16) * 257).astype(np.uint16)
        buf = io.BytesIO()
        PILImage.fromarray(wide).save(buf, "PNG")
        out[f"us{i}.16bit.png"] = buf.getvalue()
    return out


def _nifti_seeds() -> dict[str, bytes]:
    import nibabel as nib
    import numpy as np

    rng = np.random.default_rng(0)
    affine = np.diag([0.8, 0.8, 2.5, 1.0])
    flipped = np.diag([-0.7, 0.7, -3.0, 1.0])
    flipped[:3, 3] = [10, -20, 5]
    vols = {
        "int16.nii": nib.Nifti1Image(rng.integers(-100, 400, (6, 5, 4)).astype(np.int16), affine),
        "float.nii": nib.Nifti1Image(rng.random((5, 4, 3)).astype(np.float32), flipped),
        "uint8_4d.nii": nib.Nifti1Image(rng.integers(0, 3, (4, 4, 3, 2)).astype(np.uint8), affine),
        "2d.nii": nib.Nifti1Image(rng.integers(0, 255, (6, 5)).astype(np.uint8), affine),
        "nifti2.nii": nib.Nifti2Image(rng.random((4, 3, 3)).astype(np.float64), affine),
        "label.nii": nib.Nifti1Image((rng.random((5, 5, 3)) > 0.7).astype(np.uint8), affine),
    }
    vols["int16.nii"].header.set_slope_inter(0.5, -10)
    out = {}
    for name, img in vols.items():
        out[name] = img.to_bytes()
    return out


def _png_bytes(pixels) -> bytes:  # noqa: ANN001 - a numpy array
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def _small_case_pixels():  # noqa: ANN202 - (image, mask) uint8 arrays
    import numpy as np

    image = np.asarray(_seed_pictures()[0])
    if image.ndim == 3:
        image = image[..., 0]
    image = np.ascontiguousarray(image[:16, :20])
    mask = np.zeros_like(image)
    mask[4:10, 5:12] = 255
    return image, mask


CANONICAL_TABLES = ("labels.csv", "split.csv", "patients.csv", "mask_labels.csv", "views.csv")
CANONICAL_TEXT = {
    "labels.csv": "case,label\na,benign\nb,malignant\n",
    "split.csv": "case,split\na,train\nb,test\n",
    "patients.csv": "case,patient\na,P1\nb,P2\n",
    "mask_labels.csv": "name,value\nbackground,0\nlesion,1\n",
    "views.csv": "case,view,file,mask\na,us,images/a.png,masks/a.png\nb,us,images/b.png,\n",
}
NNUNET_JSON = {
    "channel_names": {"0": "CT"},
    "labels": {"background": 0, "kidney": 1, "tumor": [1, 2]},
    "numTraining": 2,
    "file_ending": ".nii.gz",
}
ISIC_CSV = (
    "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n"
    "ISIC_0000000,0.0,1.0,0,0,0,0,0\n"
    "ISIC_0000001,1,0,0,0,0,0,0\n"
)


def seeds_for(target: str) -> dict[str, bytes]:
    """name -> bytes of the seed inputs of one target."""
    if target == "dicom":
        seeds = {f.name: f.read_bytes() for f in _small_dicom_files() if f.suffix != ".py"}
        for path in _vendor_us():
            data = _downscaled(path)
            if data:
                seeds[f"small-{path.name}"] = data
        return seeds
    if target == "raster":
        return _raster_seeds()
    if target == "nifti":
        return _nifti_seeds()
    if target == "dicomdir":
        from pydicom.data import get_testdata_file

        return {"DICOMDIR": Path(get_testdata_file("DICOMDIR")).read_bytes()}
    if target == "canonical":
        return {
            name: bytes([i]) + CANONICAL_TEXT[name].encode()
            for i, name in enumerate(CANONICAL_TABLES)
        }
    if target in ("dataset_pixels", "busi"):
        image, mask = _small_case_pixels()
        return {"image.png": b"\x00" + _png_bytes(image), "mask.png": b"\x01" + _png_bytes(mask)}
    if target == "isic":
        return {"ground_truth.csv": ISIC_CSV.encode()}
    if target == "nnunet":
        v1 = {
            "modality": {"0": "MR"},
            "labels": {"0": "background", "1": "lesion"},
            "numTraining": 2,
        }
        return {"v2.json": json.dumps(NNUNET_JSON).encode(), "v1.json": json.dumps(v1).encode()}
    if target == "bundle":
        shipped = (REPO / "resources/models/default/model.json").read_bytes()
        return {"model.json": b"\x00" + shipped, "edits": b"\x01\x03\x00\x01\x02\x05\x07\x09"}
    raise SystemExit(f"unknown target {target!r}; known: {', '.join(TARGETS)}")


# ---------------------------------------------------------------- harnesses (child process)


EDIT_VALUES = (
    None,
    True,
    0,
    -1,
    0.5,
    1e308,
    float("nan"),
    float("-inf"),
    2**70,
    "",
    "x",
    "letterbox",
    [],
    [1, 2],
    ["a"],
    {},
    {"a": 1},
    {"window_px": 8},
)


def _edited_spec(spec: object, data: bytes) -> bytes:
    """A copy of `spec` with up to 4 values replaced: each edit walks down by the next bytes
    (key or index picked modulo the size) and sets one of EDIT_VALUES, or deletes the key."""
    import copy

    raw = copy.deepcopy(spec)
    stream = iter(data)
    for _ in range(min(4, 1 + len(data) // 4)):
        node, depth = raw, next(stream, 0) % 4
        for _ in range(depth):
            keys = (
                list(node)
                if isinstance(node, dict)
                else range(len(node))
                if isinstance(node, list)
                else []
            )
            if not keys:
                break
            child = node[list(keys)[next(stream, 0) % len(keys)]]
            if not isinstance(child, dict | list) or not child:
                break
            node = child
        if isinstance(node, dict) and node:
            key = list(node)[next(stream, 0) % len(node)]
        elif isinstance(node, list) and node:
            key = next(stream, 0) % len(node)
        else:
            continue
        choice = next(stream, 0) % (len(EDIT_VALUES) + 1)
        if choice == len(EDIT_VALUES):
            del node[key]
        else:
            node[key] = copy.deepcopy(EDIT_VALUES[choice])
    return json.dumps(raw).encode()


class Hang(Exception):
    """One input used more than HANG_S seconds of CPU."""


def _fixture(target: str, work: Path) -> Callable[[bytes], None]:
    """Build the target's fixed files under `work` and return its one-input function."""
    import numpy as np

    from engine.bundle import read_bundle
    from engine.datasets import load_dataset, validate
    from engine.datasets.pixels import read_array
    from engine.io import load_any, read_dicomdir
    from engine.io.frames import FrameSource

    work.mkdir(parents=True, exist_ok=True)

    def touch_pixels(result: object) -> None:
        if isinstance(result, FrameSource):
            frame = result.frame(result.count - 1)
            np.asarray(frame.pixels).sum()

    if target in ("dicom", "raster", "nifti"):
        name = {"dicom": "fuzz.dcm", "raster": "fuzz.png", "nifti": "fuzz.nii"}[target]
        path = work / name

        def one(data: bytes) -> None:
            path.write_bytes(data)
            touch_pixels(load_any(path))
            if target == "nifti":
                read_array(path)  # the data-set loaders' own NIfTI path

        return one

    if target == "dicomdir":
        from pydicom.data import get_testdata_file

        source = Path(get_testdata_file("DICOMDIR")).parent
        folder = work / "export"
        if not folder.exists():
            shutil.copytree(source / "77654033", folder / "77654033")
            shutil.copytree(source / "98892001", folder / "98892001")
            shutil.copytree(source / "98892003", folder / "98892003")
        path = folder / "DICOMDIR"

        def one(data: bytes) -> None:
            path.write_bytes(data)
            read_dicomdir(folder)

        return one

    image, mask = _small_case_pixels()
    png_image, png_mask = _png_bytes(image), _png_bytes(mask)

    if target in ("canonical", "dataset_pixels"):
        root = work / "canonical"
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "masks").mkdir(parents=True, exist_ok=True)

        def reset() -> None:
            for case in ("a", "b"):
                (root / "images" / f"{case}.png").write_bytes(png_image)
                (root / "masks" / f"{case}.png").write_bytes(png_mask)
            for table in CANONICAL_TABLES[:4]:
                (root / table).write_text(CANONICAL_TEXT[table])
            (root / "views.csv").unlink(missing_ok=True)

        def one(data: bytes) -> None:
            reset()
            if not data:
                return
            if target == "canonical":
                table = CANONICAL_TABLES[data[0] % len(CANONICAL_TABLES)]
                (root / table).write_bytes(data[1:])
            else:
                folder = "images" if data[0] % 2 == 0 else "masks"
                (root / folder / "a.png").write_bytes(data[1:])
            validate(load_dataset(root))

        return one

    if target == "busi":
        root = work / "busi"
        for label in ("benign", "normal"):
            (root / label).mkdir(parents=True, exist_ok=True)
            (root / label / f"{label} (1).png").write_bytes(png_image)
            (root / label / f"{label} (1)_mask.png").write_bytes(png_mask)
        (root / "benign" / "benign (1)_mask_1.png").write_bytes(png_mask)

        def one(data: bytes) -> None:
            if not data:
                return
            name = ("benign (1).png", "benign (1)_mask.png", "benign (1)_mask_1.png")
            target_file = root / "benign" / name[data[0] % 3]
            target_file.write_bytes(data[1:])
            try:
                validate(load_dataset(root))
            finally:
                for n in name:
                    (root / "benign" / n).write_bytes(png_mask if "mask" in n else png_image)

        return one

    if target == "isic":
        root = work / "isic"
        (root / "input").mkdir(parents=True, exist_ok=True)
        (root / "truth").mkdir(parents=True, exist_ok=True)
        from PIL import Image as PILImage

        buf = io.BytesIO()
        PILImage.fromarray(image).save(buf, "JPEG")
        for case in ("ISIC_0000000", "ISIC_0000001"):
            (root / "input" / f"{case}.jpg").write_bytes(buf.getvalue())
            (root / "truth" / f"{case}_segmentation.png").write_bytes(png_mask)
        csv_path = root / "ground_truth.csv"

        def one(data: bytes) -> None:
            csv_path.write_bytes(data)
            validate(load_dataset(root))

        return one

    if target == "nnunet":
        import nibabel as nib

        root = work / "nnunet"
        (root / "imagesTr").mkdir(parents=True, exist_ok=True)
        (root / "labelsTr").mkdir(parents=True, exist_ok=True)
        volume = np.zeros((6, 5, 3), dtype=np.int16)
        label = np.zeros((6, 5, 3), dtype=np.uint8)
        label[2:4, 1:3, 1] = 1
        for case in ("kid_001", "kid_002"):
            nib.save(nib.Nifti1Image(volume, np.eye(4)), root / "imagesTr" / f"{case}_0000.nii.gz")
            nib.save(nib.Nifti1Image(label, np.eye(4)), root / "labelsTr" / f"{case}.nii.gz")
        spec = root / "dataset.json"

        def one(data: bytes) -> None:
            spec.write_bytes(data)
            validate(load_dataset(root))

        return one

    if target == "bundle":
        bundle = work / "bundle"
        bundle.mkdir(parents=True, exist_ok=True)
        default = REPO / "resources/models/default"
        for name in ("model.onnx", "metrics.json"):
            if not (bundle / name).exists():
                os.symlink(default / name, bundle / name)
        spec = bundle / "model.json"
        shipped = json.loads((default / "model.json").read_text(encoding="utf-8"))

        def one(data: bytes) -> None:
            if not data:
                return
            # Even first byte: the rest is model.json as bytes (the JSON parser and what
            # survives it). Odd: the rest edits the shipped spec, value by value, so type
            # confusion deep inside a valid spec is reached too.
            body = data[1:] if data[0] % 2 == 0 else _edited_spec(shipped, data[1:])
            spec.write_bytes(body)
            read_bundle(bundle)

        return one

    raise SystemExit(f"unknown target {target!r}")


def _signature(exc: BaseException) -> tuple[str, str]:
    """(kind, where): the exception type and its innermost frame, preferring our own code."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/engine/" in f.filename]
    inner = frames[-1] if frames else None
    where = ""
    if inner is not None:
        where = f"{Path(inner.filename).name}:{inner.lineno}"
    if ours and ours[-1] is not inner:
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} > {where}"
    return type(exc).__name__, where


def run_worker(target: str, work: Path, crash_dir: Path, libfuzzer_args: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=INSTRUMENTED):
        import nibabel  # noqa: F401
        import PIL.Image  # noqa: F401
        import pydicom  # noqa: F401

        import engine.bundle  # noqa: F401
        import engine.datasets  # noqa: F401
        import engine.io  # noqa: F401

    import warnings

    from engine.errors import LesionLensError

    warnings.simplefilter("ignore")  # pydicom/nibabel warn on every broken input
    crash_dir.mkdir(parents=True, exist_ok=True)
    one = _fixture(target, work)
    seen: set[tuple[str, str]] = set()
    log = crash_dir / "crashes.jsonl"

    def on_hang(signum: int, frame: object) -> None:
        raise Hang(f"more than {HANG_S} s of CPU for one input")

    signal.signal(signal.SIGVTALRM, on_hang)
    status = Path("/proc/self/status").read_text()
    data_now = int(re.search(r"VmData:\s+(\d+) kB", status).group(1)) * 1024
    limit = data_now + DATA_HEADROOM
    resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.RLIM_INFINITY))

    peak_rss = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 + RSS_JUMP]

    def record(data: bytes, exc: BaseException, signature: tuple[str, str]) -> None:
        if signature in seen:
            return
        seen.add(signature)
        digest = hashlib.sha1(data).hexdigest()[:12]
        (crash_dir / f"{digest}.bin").write_bytes(data)
        entry = {
            "kind": signature[0],
            "where": signature[1],
            "message": str(exc)[:300],
            "input": f"{digest}.bin",
            "size": len(data),
            "traceback": "".join(traceback.format_exception(exc))[-3000:],
        }
        with log.open("a") as fh:
            fh.write(json.dumps(entry) + "\n")
        print(f"CRASH {signature[0]} at {signature[1]}: {str(exc)[:120]}", flush=True)

    def test_one_input(data: bytes) -> None:
        signal.setitimer(signal.ITIMER_VIRTUAL, HANG_S)
        outcome = "returned"
        try:
            one(data)
        except LesionLensError as exc:
            outcome = f"{type(exc).__name__}: {str(exc)[-150:]}"
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - that is what we hunt; BaseException:
            record(data, exc, _signature(exc))  # Rust decoders panic with one (PanicException)
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if rss > peak_rss[0]:  # a new high-water mark RSS_JUMP above the last one
            peak_rss[0] = rss + RSS_JUMP
            blowup = MemoryError(f"peak RSS reached {rss / 1024**2:.0f} MB; the reader {outcome}")
            record(data, blowup, ("MemoryBlowup", f"{rss // 1024**2} MB"))

    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one_input)
    atheris.Fuzz()


def minimize(target: str, data: bytes, work: Path, budget: int = 4000) -> bytes:
    """Shortest input found by deleting chunks (halves, quarters, ... single bytes) while the
    same crash (type and innermost frame) still happens; for the regression tests."""
    import warnings

    from engine.errors import LesionLensError

    warnings.simplefilter("ignore")
    one = _fixture(target, work)

    def signature(candidate: bytes) -> tuple[str, str] | None:
        try:
            one(candidate)
        except LesionLensError:
            return None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            return _signature(exc)
        return None

    wanted = signature(data)
    if wanted is None:
        raise SystemExit("the input does not crash this code")
    print(f"minimizing {len(data)} bytes: {wanted}")
    tries, chunk = 0, max(1, len(data) // 2)
    while chunk >= 1 and tries < budget:
        i, shrunk = 0, False
        while i < len(data) and tries < budget:
            candidate = data[:i] + data[i + chunk :]
            tries += 1
            if candidate and signature(candidate) == wanted:
                data, shrunk = candidate, True
            else:
                i += chunk
        if not shrunk:
            chunk //= 2
    print(f"  {len(data)} bytes after {tries} tries")
    return data


# ---------------------------------------------------------------- parent: run and report

STATS_RE = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+)")
DONE_RE = re.compile(r"^Done (\d+) (?:runs )?in (\d+) second")


def _dict_escape(token: str) -> str:
    """libFuzzer dictionary syntax: printable ASCII as is, everything else (and " \\) as \\xNN."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\x{ord(c):02x}" for c in token)


def run_target(target: str, runs: int, work_root: Path, max_seconds: int) -> dict:
    work = work_root / target
    corpus = work / "corpus"
    crash_dir = work / "crashes"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(crash_dir, ignore_errors=True)
    corpus.mkdir(parents=True)
    seeds = seeds_for(target)
    for name, data in seeds.items():
        (corpus / name).write_bytes(data)
    max_len = MAX_LEN.get(target, 4096)
    tokens = DICTIONARY.get(target)
    dict_args = []
    if tokens:
        dict_path = work / "tokens.dict"
        dict_path.write_text("".join(f'"{_dict_escape(t)}"\n' for t in tokens))
        dict_args = [f"-dict={dict_path}"]
    args = [
        str(corpus),
        f"-atheris_runs={runs}",
        f"-max_total_time={max_seconds}",
        f"-max_len={max_len}",
        f"-timeout={WALL_TIMEOUT_S}",  # atheris: wall clock, ends the run; ours: CPU, goes on
        f"-artifact_prefix={work}/",
        "-rss_limit_mb=4096",
        "-seed=1",
        "-print_final_stats=1",
        *dict_args,
    ]
    cmd = [sys.executable, __file__, "--worker", target, "--work", str(work), "--", *args]
    started = time.perf_counter()
    log_path = work / "libfuzzer.log"
    with log_path.open("w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    text = log_path.read_text(errors="replace")
    last = None
    execs = fuzz_seconds = 0
    init_cov = None
    for line in text.splitlines():
        if m := STATS_RE.match(line):
            last = m
            if m.group(2) == "INITED" and init_cov is None:
                init_cov = (int(m.group(3)), int(m.group(4)))
        if m := DONE_RE.match(line):
            execs, fuzz_seconds = int(m.group(1)), int(m.group(2))
        if line.startswith("stat::number_of_executed_units:"):
            execs = int(line.split(":")[-1])
    crashes = []
    crash_log = crash_dir / "crashes.jsonl"
    if crash_log.exists():
        crashes = [json.loads(line) for line in crash_log.read_text().splitlines() if line]
    for crash in crashes:
        crash.pop("traceback", None)
    return {
        "target": target,
        "executions": execs,
        "seconds": round(seconds, 1),
        "fuzz_seconds": fuzz_seconds,
        "exec_per_s": round(execs / max(fuzz_seconds, 1), 1),
        "cov": int(last.group(3)) if last else None,
        "ft": int(last.group(4)) if last else None,
        "cov_ft_after_seeds": init_cov,
        "seeds": len(seeds),
        "corpus_after": len(list(corpus.iterdir())),
        "max_len": max_len,
        "exit_code": proc.returncode,
        "crashes": crashes,
        "log": str(log_path),
    }


def _write_result(path: Path, runs: int, results: list[dict]) -> None:
    out = {
        "bench": "fuzz",
        "tool": "atheris (libFuzzer), coverage-guided",
        "runs_requested": runs,
        "hang_cpu_s": HANG_S,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "targets": results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGETS, action="append")
    parser.add_argument("--all", action="store_true", help="every target, one after the other")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument(
        "--max-seconds", type=int, default=0, help="stop a target after this long (0: no limit)"
    )
    parser.add_argument("--work", type=Path, help="corpora, crashes, logs (default: a temp dir)")
    parser.add_argument("--minimize", type=Path, help="shrink this crash input of --target")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.work / "files", args.work / "crashes", args.rest)
        return
    if args.minimize:
        work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-min-", dir="/dev/shm"))
        small = minimize(args.target[0], args.minimize.read_bytes(), work / "files")
        out = args.minimize.with_suffix(".min")
        out.write_bytes(small)
        print(f"  written to {out}: {small!r}"[:2000])
        return
    targets = list(TARGETS) if args.all else (args.target or [])
    if not targets:
        parser.error("give --target NAME (repeatable) or --all")
    work_root = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-fuzz-", dir="/dev/shm"))
    results = []
    for target in targets:
        print(f"fuzzing {target} for {args.runs} runs (work: {work_root / target})", flush=True)
        result = run_target(target, args.runs, work_root, args.max_seconds)
        results.append(result)
        print(
            f"  {result['executions']} executions in {result['seconds']} s "
            f"({result['exec_per_s']}/s), cov {result['cov']} ft {result['ft']}, "
            f"{len(result['crashes'])} distinct crash(es)",
            flush=True,
        )
        for crash in result["crashes"]:
            print(f"    {crash['kind']} at {crash['where']}: {crash['message'][:100]}")
        if args.json:  # after every target, so a long --all run keeps what it has done
            _write_result(args.json, args.runs, results)
    print(
        json.dumps({r["target"]: [r["executions"], r["cov"], len(r["crashes"])] for r in results})
    )


if __name__ == "__main__":
    main()
