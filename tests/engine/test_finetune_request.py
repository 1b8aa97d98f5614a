"""The typed fine-tuning request: checked when made or read, the same JSON on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.finetune_request import BaseModel, FinetuneRequest, Replay, RequestError

TRAIN = {"folder": "/data", "split": "train"}
HELDOUT = {"folder": "/data", "split": "val"}


def _request(**changes: object) -> FinetuneRequest:
    base = FinetuneRequest(BaseModel("/models/base", "base-v1"), TRAIN, HELDOUT, epochs=3)
    return base.replace(**changes)


def test_round_trip_through_request_json(tmp_path: Path) -> None:
    request = _request(
        replay=Replay(synth="nodes", n=32, seed=7, fraction=0.25),
        recipe={"lr": 0.0005},
        gate={"min_cases": 12},
        out=str(tmp_path / "candidate"),
    )
    path = request.write(tmp_path / "job" / "request.json")
    raw = json.loads(path.read_text())
    assert raw["base"] == {"dir": "/models/base", "model_id": "base-v1"}
    assert raw["replay"] == {"synth": "nodes", "n": 32, "seed": 7, "fraction": 0.25}
    back = FinetuneRequest.read(path)
    assert back == request.replace(job_dir=str(path.parent))  # a read request knows its folder


def test_a_request_written_before_the_type_still_reads(tmp_path: Path) -> None:
    old = {
        "schema_version": 1,
        "base": {"dir": "/models/base", "model_id": "base-v1"},
        "train": TRAIN,
        "heldout": HELDOUT,
        "epochs": 12,
        "seed": 0,
        "replay": {"folder": "/busi", "fraction": 0.25},
        "job_id": "ft-1",
        "job_dir": str(tmp_path),
        "out": str(tmp_path / "candidate"),
    }
    (tmp_path / "request.json").write_text(json.dumps(old))
    request = FinetuneRequest.read(tmp_path / "request.json")
    assert request.replay == Replay(folder="/busi", fraction=0.25) and request.threads == 2
    assert request.to_json()["job_id"] == "ft-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"epochs": 0}, "'epochs' must be a positive integer"),
        ({"epochs": True}, "'epochs' must be a positive integer"),
        ({"gate": {"min_case": 5}}, "unknown gate options ['min_case']"),
        ({"replay": Replay(n=3)}, "exactly one of 'synth' or 'folder'"),
        ({"replay": Replay(synth="nodes", folder="/x")}, "exactly one of 'synth' or 'folder'"),
        ({"replay": Replay(synth="nodes", fraction=1.0)}, "replay fraction must be in [0, 1)"),
        ({"train": ["a"]}, "must be data selections"),
    ],
)
def test_a_wrong_request_is_refused_when_made(changes: dict, reason: str) -> None:
    with pytest.raises(RequestError) as caught:
        _request(**changes)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([1, 2], "must be a JSON object"),
        ({"base": {"dir": "b"}, "heldout": {}, "epochs": 1, "out": "o"}, "has no train"),
        (
            {"base": "b", "train": {}, "heldout": {}, "epochs": 1, "out": "o"},
            "'base' must be",
        ),
        (
            {"base": {"dir": "b"}, "train": {}, "heldout": {}, "epochs": 1, "out": "o", "x": 1},
            "unknown request fields ['x']",
        ),
        (
            {
                "base": {"dir": "b"},
                "train": {},
                "heldout": {},
                "epochs": 1,
                "out": "o",
                "replay": {"synth": "nodes", "count": 3},
            },
            "unknown replay fields ['count']",
        ),
    ],
)
def test_a_wrong_file_names_itself_and_the_reason(raw: object, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(RequestError) as caught:
        FinetuneRequest.read(path)
    assert str(path) in str(caught.value) and reason in str(caught.value)


def test_overrides_from_the_gui_are_checked_too() -> None:
    request = _request().with_overrides({"recipe": {"batch_size": 4}, "threads": 1})
    assert request.recipe == {"batch_size": 4} and request.threads == 1
    with pytest.raises(RequestError, match="unknown gate options"):
        _request().with_overrides({"gate": {"margin": 0.1}})


def test_a_bundles_replay_is_checked_where_it_is_read(make_tiny_bundle, tmp_path: Path) -> None:
    """A bundle's metrics.json names its replay source: a misspelt field there is refused
    with the file's name, not passed on to the child as an unexpected keyword."""
    from engine.jobs import replay_for

    bundle = make_tiny_bundle(tmp_path / "bundle")
    metrics = bundle / "metrics.json"
    metrics.write_text(json.dumps({"replay": {"folder": "/data/busi", "n": 4}}))
    assert replay_for(bundle) == Replay(folder="/data/busi", n=4)
    metrics.write_text(json.dumps({"replay": {"folder": "/data/busi", "count": 4}}))
    with pytest.raises(RequestError, match=r"metrics\.json: unknown replay fields \['count'\]"):
        replay_for(bundle)


def test_training_on_volumes_and_holding_out_images_is_refused() -> None:
    volumes = {"datastore": "/home", "kind": "volume", "split": "train", "cases": {"ct1": "t"}}
    with pytest.raises(RequestError, match=r"different kinds of case \(volume and image\)"):
        _request(train=volumes)
    held = {**volumes, "split": "val"}
    assert _request(train=volumes, heldout=held).train["kind"] == "volume"
