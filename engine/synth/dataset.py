"""Write synthetic cases in the canonical folder format (images/, masks/, labels.csv, split.csv).

Per kind (engine.synth.case_writers): classes alternate case by case (balanced), the last
`val_fraction` of the cases form the validation split, and multi-view kinds add views.csv.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from engine.atomic import write_csv_atomic
from engine.errors import DatasetError
from engine.progress import failure_reason
from engine.synth.case_writers import KIND_SPECS
from engine.synth.nodes import DEFAULT_PROFILE, SHIFTED_PROFILE, NodeSample, generate_node_image

KINDS = tuple(KIND_SPECS)
# The kinds whose images can be written as calibrated ultrasound DICOMs (dicom=True).
DICOM_KINDS = ("nodes", "breast")


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
    dicom: bool = False,
) -> Path:
    """n cases of `kind` under `out`; case i depends only on (seed, i), not on n.

    dicom=True (nodes and breast only) writes calibrated Ultrasound Image Storage DICOMs as
    the images. A case that cannot be written or generated is a DatasetError naming the
    folder or the case: the command line prints one line, not a traceback.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic kind {kind!r}; choose from {', '.join(KINDS)}")
    if n < 1:
        raise ValueError("n must be at least 1")
    if dicom and kind not in DICOM_KINDS:
        raise ValueError(
            f"DICOM output is available for the {' and '.join(DICOM_KINDS)} kinds only"
        )
    spec = KIND_SPECS[kind]
    out = Path(out)
    rows, splits, meta, views = [], [], [], []
    n_val = int(round(n * val_fraction))
    prefix = spec.shift_prefix if shift else spec.prefix
    for i in range(n):
        case = f"{prefix}{seed:03d}_{i:05d}"
        label = spec.classes[i % len(spec.classes)]  # balanced classes
        try:
            record = spec.write_case(out, case, case_rng(seed, i), label, shift, dicom)
        except OSError as exc:  # the folder: not writable, a file, the disk full
            raise DatasetError(f"cannot write {out}: {exc.strerror or exc}") from exc
        except Exception as exc:  # a generator failure: one line naming the case
            raise DatasetError(
                f"synthetic {kind} case {case} failed: {failure_reason(exc)}"
            ) from exc
        rows.append((case, record.label))
        splits.append((case, "val" if i >= n - n_val else "train"))
        meta.append((case, *(record.meta[c] for c in spec.meta_columns)))
        views += [(case, *view) for view in record.views]
        if progress:
            progress(i + 1, n)
    write_csv_atomic(out / "labels.csv", ("case", "label"), rows)
    write_csv_atomic(out / "split.csv", ("case", "split"), splits)
    write_csv_atomic(out / "meta.csv", ("case", *spec.meta_columns), meta)
    if spec.views:
        write_csv_atomic(out / "views.csv", ("case", "view", "file", "mask"), views)
    if spec.mask_labels:
        write_csv_atomic(out / "mask_labels.csv", ("name", "value"), list(spec.mask_labels))
    return out
