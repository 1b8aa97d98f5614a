"""engine.replay_sources: the folder of a model's own training data, named once by the reader,
found by every later fine-tuning request (GUI and CLI alike)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import LesionLensError
from engine.finetune_request import Replay
from engine.jobs import REPLAY_FOLDER_CASES, REPLAY_FRACTION, finetune_request, replay_for
from engine.replay_sources import ReplaySources


def test_a_folder_is_kept_per_model_and_can_be_forgotten(tmp_path: Path) -> None:
    data = tmp_path / "busi"
    data.mkdir()
    sources = ReplaySources(tmp_path / "home")
    assert sources.folder_for("breast-us") is None
    sources.set_folder("breast-us", data)
    assert ReplaySources(tmp_path / "home").folder_for("breast-us") == data.resolve()
    sources.set_folder("breast-us", None)
    assert sources.folder_for("breast-us") is None


def test_a_missing_folder_or_a_broken_file_is_refused_by_name(tmp_path: Path) -> None:
    sources = ReplaySources(tmp_path)
    with pytest.raises(LesionLensError, match="replay folder does not exist"):
        sources.set_folder("breast-us", tmp_path / "nowhere")
    sources.path.write_text("[1, 2]")
    with pytest.raises(LesionLensError, match="replay_sources.json: expected an object"):
        sources.folder_for("breast-us")


def test_a_request_replays_the_folder_named_for_its_base(make_tiny_bundle, tmp_path: Path) -> None:  # noqa: ANN001
    """A model trained on real data has no replay of its own (its data is not shipped): the
    folder the reader named for it in the data root is the replay; the bundle's own (a
    fine-tuned bundle's metrics.json) still wins."""
    bundle = make_tiny_bundle(tmp_path / "bundle")
    home, data = tmp_path / "home", tmp_path / "busi"
    data.mkdir()
    selection = {"folder": str(data), "split": "train"}
    assert replay_for(bundle, home) is None
    ReplaySources(home).set_folder("tiny-test", data)
    expected = Replay(folder=str(data.resolve()), n=REPLAY_FOLDER_CASES, fraction=REPLAY_FRACTION)
    assert replay_for(bundle, home) == expected
    assert finetune_request(bundle, selection, selection, home=home).replay == expected
    (bundle / "metrics.json").write_text(json.dumps({"replay": {"synth": "nodes", "n": 8}}))
    assert replay_for(bundle, home) == Replay(synth="nodes", n=8)
