"""training.freezing: the schedule's order, and frozen parameters really stay fixed."""

from __future__ import annotations

import pytest
import torch

from training.freezing import hierarchical_schedule, schedule_from_spec
from training.losses import segmentation_loss
from training.networks import build_network

KW = {"in_channels": 1, "num_classes": 2, "width": 8, "attention_blocks": 1}
LEVELS = ("encoder.stem", "encoder.level1", "encoder.level2", "encoder.level3", "encoder.attention")


def test_deep_first_releases_attention_first_and_stem_last() -> None:
    schedule = hierarchical_schedule(LEVELS, epochs=20)
    starts = dict(schedule.releases)
    assert starts["encoder.attention"] < starts["encoder.level3"] < starts["encoder.level2"]
    assert starts["encoder.level2"] < starts["encoder.level1"] < starts["encoder.stem"]
    assert schedule.frozen_at(1) == list(reversed(LEVELS))  # everything frozen at the start
    assert schedule.frozen_at(20) == []  # and everything trains at the end
    assert starts["encoder.attention"] == 5 and starts["encoder.stem"] == 13


def test_early_first_is_the_reverse_order() -> None:
    starts = dict(hierarchical_schedule(LEVELS, epochs=20, order="early-first").releases)
    assert starts["encoder.stem"] < starts["encoder.attention"]


def test_frozen_parameters_do_not_change_after_an_optimisation_step() -> None:
    torch.manual_seed(0)
    net = build_network("hybrid-dual-task", **KW)
    schedule = hierarchical_schedule(net.encoder_levels, epochs=20)
    schedule.apply(net, 6)  # attention released at epoch 5, level3 at 7
    assert schedule.frozen_at(6) == [
        "encoder.level3",
        "encoder.level2",
        "encoder.level1",
        "encoder.stem",
    ]
    before = {k: v.detach().clone() for k, v in net.named_parameters()}
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.1)
    x = torch.rand(2, 1, 32, 32)
    target = (torch.rand(2, 1, 32, 32) > 0.5).float()
    for _ in range(2):
        seg, cls = net(x)
        loss = segmentation_loss(seg, target) + cls.square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    after = dict(net.named_parameters())
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    frozen = {k for k in before if k.startswith(tuple(schedule.frozen_at(6)))}
    assert frozen and not (frozen & changed)
    assert any(k.startswith("encoder.attention") for k in changed)
    assert any(k.startswith("decoder1") for k in changed) and any("cls_head" in k for k in changed)
    # Released later, the stem trains like the rest.
    schedule.apply(net, 20)
    assert all(p.requires_grad for p in net.parameters())


def test_event_only_when_the_frozen_set_changes() -> None:
    net = build_network("hybrid-dual-task", **KW)
    schedule = hierarchical_schedule(net.encoder_levels, epochs=20)
    events = [schedule.apply(net, e) for e in range(1, 21)]
    assert [e["epoch"] for e in events if e] == [1, 5, 7, 9, 11, 13]


def test_explicit_spec_and_errors() -> None:
    net = build_network("hybrid-dual-task", **KW)
    schedule = schedule_from_spec("encoder.stem@3,encoder.attention@2", net, 10)
    assert schedule is not None and schedule.frozen_at(2) == ["encoder.stem"]
    assert schedule_from_spec("none", net, 10) is None
    with pytest.raises(ValueError, match="no parameters"):
        schedule_from_spec("encoder.nothing@3", net, 10)
    with pytest.raises(ValueError, match="PREFIX@EPOCH"):
        schedule_from_spec("encoder.stem", net, 10)
