"""What every `lesionlens` command shares: exit statuses, the error line, the list of
input images a command reads (files, folders, DICOMDIRs) with one output name each, and the
--frame of a cine that analyze and export both take."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

EXIT_OK, EXIT_FAILED_INPUTS, EXIT_USAGE = 0, 1, 2


def error(message: str) -> None:
    print(f"lesionlens: error: {message}", file=sys.stderr)


def frame_index(frame: int) -> int | None:
    """--frame (counted from 1, as DICOM counts) as an index; None, after saying why, when
    it is below 1."""
    if frame < 1:
        error("--frame counts from 1")
        return None
    return frame - 1


def expand_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Files as given; folders contribute their supported images (sorted, not recursive); a
    DICOMDIR (or a folder holding one) contributes the image files it lists, missing ones
    included so that each is reported as a failed input."""
    from engine.io import SUPPORTED_SUFFIXES, find_dicomdir, read_dicomdir

    files: list[Path] = []
    for item in inputs:
        if find_dicomdir(item) is not None:
            entries, missing = read_dicomdir(item)
            files += [entry.path for entry in entries] + [problem.path for problem in missing]
        elif item.is_dir():
            files += sorted(p for p in item.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            files.append(item)
    return files


def output_names(files: list[Path]) -> list[str]:
    """DIR/<stem>; inputs sharing a stem get their suffix appended so nothing is overwritten."""
    stems = [f.stem for f in files]
    names, used = [], set()
    for f, stem in zip(files, stems, strict=True):
        name = stem if stems.count(stem) == 1 else f"{stem}_{f.suffix.lstrip('.').lower()}"
        base, k = name, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names.append(name)
    return names
