"""Every kind: the same seed writes the same bytes; another seed writes other images."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.synth.dataset import KINDS, write_dataset


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_bytes_other_seed_other_images(kind: str, tmp_path: Path) -> None:
    a = _files(write_dataset(kind, 1, tmp_path / "a", seed=7))
    b = _files(write_dataset(kind, 1, tmp_path / "b", seed=7))
    c = _files(write_dataset(kind, 1, tmp_path / "c", seed=8))
    assert a == b
    images_a = {k: v for k, v in a.items() if k.startswith("images")}
    images_c = {k: v for k, v in c.items() if k.startswith("images")}
    assert images_a and len(images_a) == len(images_c)
    assert set(images_a.values()).isdisjoint(images_c.values())


def test_nodes_dicom_output_is_deterministic_too(tmp_path: Path) -> None:
    a = _files(write_dataset("nodes", 1, tmp_path / "a", seed=3, dicom=True))
    b = _files(write_dataset("nodes", 1, tmp_path / "b", seed=3, dicom=True))
    assert a == b
    assert any(k.endswith(".dcm") for k in a)


def test_case_depends_on_seed_and_index_not_on_n(tmp_path: Path) -> None:
    one = _files(write_dataset("scinti", 1, tmp_path / "one", seed=2))
    three = _files(write_dataset("scinti", 3, tmp_path / "three", seed=2))
    for name, data in one.items():
        if name.startswith(("images", "masks")):
            assert three[name] == data
