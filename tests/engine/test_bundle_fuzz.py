"""Regression tests for the model.json crashes bench/fuzz.py (atheris) found: a value of the
wrong type raised TypeError/ValueError out of read_bundle instead of a BundleError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.bundle import default_bundle_dir, read_bundle
from engine.errors import BundleError


def _bundle(tmp_path: Path, text: str) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not read by read_bundle")
    (tmp_path / "model.json").write_text(text, encoding="utf-8")
    return tmp_path


def test_channels_given_as_an_object(tmp_path: Path) -> None:
    """The input the fuzzer found (minimal form): int() of a dict raised TypeError."""
    directory = _bundle(tmp_path, '{"inputs":[{"channels":{}}]}')
    with pytest.raises(BundleError, match="wrong type") as info:
        read_bundle(directory)
    assert info.value.bundle_dir == directory


def _shipped() -> dict:
    return json.loads((default_bundle_dir() / "model.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("inputs", ["not an object"]),
        ("outputs", [1, 2]),
        ("classes", 7),
        ("temperature", "warm"),
        ("threshold", None),
        ("tiling", {"window_px": "wide"}),
        ("card", "text"),
        ("min_lesion_area_px", 1e999),
    ],
)
def test_wrong_types_in_the_shipped_spec(tmp_path: Path, key: str, value: object) -> None:
    raw = _shipped()
    raw[key] = value
    with pytest.raises(BundleError):
        read_bundle(_bundle(tmp_path, json.dumps(raw)))


@pytest.mark.parametrize("key", ["temperature", "threshold", "presence_threshold"])
def test_numbers_that_are_not_finite(tmp_path: Path, key: str) -> None:
    raw = _shipped()
    raw[key] = float("nan")
    with pytest.raises(BundleError, match="finite|presence"):
        read_bundle(_bundle(tmp_path, json.dumps(raw)))


def test_deeply_nested_json(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not valid JSON"):
        read_bundle(_bundle(tmp_path, "[" * 100_000))
