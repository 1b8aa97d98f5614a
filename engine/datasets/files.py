"""File naming rules shared by the readers: which suffixes are images, masks and volumes."""

from __future__ import annotations

from pathlib import Path

VOLUME_SUFFIXES = (".nii.gz", ".nii")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", *VOLUME_SUFFIXES)
MASK_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", *VOLUME_SUFFIXES)


def is_volume(path: Path) -> bool:
    return path.name.lower().endswith(VOLUME_SUFFIXES)


def split_suffix(path: Path) -> tuple[str, str]:
    """("case", ".nii.gz") for case.nii.gz; ("case", ".png") for case.png."""
    name = path.name
    for suffix in VOLUME_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)], suffix
    return path.stem, path.suffix


def find_by_stem(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path | None:
    """The first existing folder/<stem><suffix> in the order of `suffixes` (any case)."""
    for suffix in suffixes:
        for candidate in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
            if candidate.is_file():
                return candidate
    return None


def files_with_suffix(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
