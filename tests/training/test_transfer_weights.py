"""training.transfer: matching weights are copied exactly, heads and misfits are skipped and
reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.errors import BundleError
from training.networks import build_network
from training.transfer import load_pretrained_weights, read_state_dict

KW = {"in_channels": 1, "num_classes": 2, "width": 8, "attention_blocks": 1}


def _pair(source_classes: int = 2) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(1)
    source = build_network("hybrid-dual-task", **{**KW, "num_classes": source_classes})
    torch.manual_seed(2)
    target = build_network("hybrid-dual-task", **KW)
    return source, target


def test_encoder_copied_exactly_and_head_left_alone() -> None:
    source, target = _pair()
    head_before = {k: v.clone() for k, v in target.state_dict().items() if k.startswith("cls_head")}
    report = load_pretrained_weights(target, source.state_dict())
    src, dst = source.state_dict(), target.state_dict()
    encoder = [k for k in dst if k.startswith("encoder.")]
    assert encoder and all(torch.equal(dst[k], src[k]) for k in encoder)
    assert all(torch.equal(dst[k], src[k]) for k in dst if k.startswith("decoder1."))
    # The class head kept its own (random) initialisation, which differs from the source's.
    for k, before in head_before.items():
        assert torch.equal(dst[k], before)
        assert not torch.equal(dst[k], src[k])
    assert sorted(report.skipped_heads) == sorted(head_before)
    assert not report.skipped_shape and not report.missing_in_source
    assert len(report.copied) == len(dst) - len(head_before)


def test_shape_mismatch_is_skipped_and_reported() -> None:
    source, target = _pair()
    state = source.state_dict()
    # A source with another input channel count (e.g. RGB): the first conv cannot be copied.
    state["encoder.stem.body.0.weight"] = torch.ones(8, 3, 3, 3)
    before = target.state_dict()["encoder.stem.body.0.weight"].clone()
    events: list[dict] = []
    report = load_pretrained_weights(target, state, log=events.append)
    assert report.skipped_shape == [
        {"name": "encoder.stem.body.0.weight", "source": [8, 3, 3, 3], "target": [8, 1, 3, 3]}
    ]
    assert torch.equal(target.state_dict()["encoder.stem.body.0.weight"], before)
    assert torch.equal(
        target.state_dict()["encoder.level1.1.body.0.weight"],
        state["encoder.level1.1.body.0.weight"],
    )
    assert events[0]["event"] == "transfer"
    assert events[0]["skipped_shape"][0]["name"] == "encoder.stem.body.0.weight"


def test_head_with_other_class_count_is_skipped_even_when_not_named_a_head() -> None:
    source, target = _pair(source_classes=3)
    report = load_pretrained_weights(target, source.state_dict(), task_heads=())
    skipped = {s["name"] for s in report.skipped_shape}
    assert skipped == {"cls_head.3.weight", "cls_head.3.bias"}
    assert torch.equal(
        target.state_dict()["cls_head.0.weight"], source.state_dict()["cls_head.0.weight"]
    )


def test_missing_and_unused_names_are_reported(tmp_path: Path) -> None:
    source, target = _pair()
    state = source.state_dict()
    del state["seg_head.weight"]
    state["old_branch.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "weights.pt")
    report = load_pretrained_weights(target, tmp_path)  # a bundle folder holding weights.pt
    assert report.missing_in_source == ["seg_head.weight"]
    assert report.unused_from_source == ["old_branch.weight"]


def test_missing_weights_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="weights.pt"):
        read_state_dict(tmp_path)
