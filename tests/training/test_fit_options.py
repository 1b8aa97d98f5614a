"""fit's options: checkpoint resume gives the same weights as an uninterrupted run; focal
loss against a hand computation; the console progress bar; discriminative learning rates."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from training.console_progress import ProgressBar, format_seconds
from training.data import ArrayDataset
from training.fit import TrainConfig, _param_groups, fit
from training.losses import classification_loss, focal_loss
from training.networks import build_network

KW = {"in_channels": 1, "num_classes": 2, "width": 4, "attention_blocks": 1}


def _blobs(n: int, size: int = 32, seed: int = 0) -> ArrayDataset:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    images, masks, labels = [], [], []
    for i in range(n):
        r = 5 + 4 * (i % 2)
        cy, cx = rng.integers(r + 1, size - r - 1, 2)
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).astype(np.float32)
        images.append(0.2 + 0.6 * mask + 0.05 * rng.standard_normal((size, size)))
        masks.append(mask)
        labels.append(i % 2)
    return ArrayDataset(
        [f"c{i}" for i in range(n)],
        np.clip(np.stack(images), 0, 1)[:, None].astype(np.float32),
        np.stack(masks)[:, None],
        np.array(labels, dtype=np.int64),
        ["train"] * n,
        ("benign", "malignant"),
    )


class _Interrupt(Exception):
    pass


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path) -> None:  # noqa: ANN001
    train, val = _blobs(6), _blobs(4, seed=1)
    config = TrainConfig(epochs=3, batch_size=4, seed=3, patience=10)

    torch.manual_seed(0)
    reference, _ = fit(build_network("hybrid-dual-task", **KW), train, val, config, lambda r: None)

    checkpoint = str(tmp_path / "run.ckpt")
    resumable = TrainConfig(**{**config.__dict__, "checkpoint": checkpoint, "resume": True})

    def stop_in_epoch_2(record: dict) -> None:
        if record.get("epoch") == 2:
            raise _Interrupt  # killed after epoch 2 was trained, before its checkpoint

    torch.manual_seed(0)
    with pytest.raises(_Interrupt):
        fit(build_network("hybrid-dual-task", **KW), train, val, resumable, stop_in_epoch_2)
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 1
    events: list[dict] = []
    torch.manual_seed(99)  # a fresh process: other initial weights, restored from the file
    resumed, history = fit(
        build_network("hybrid-dual-task", **KW), train, val, resumable, events.append
    )
    assert events[0] == {"event": "resumed", "epoch": 1, "checkpoint": checkpoint}
    assert [h["epoch"] for h in history] == [1, 2, 3]
    expected, got = reference.state_dict(), resumed.state_dict()
    for name, tensor in expected.items():
        assert torch.allclose(tensor, got[name], atol=1e-6), name


def test_focal_loss_matches_hand_computation() -> None:
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3], [-1.0, 1.5]])
    labels = torch.tensor([0, 1, 1])
    weights = torch.tensor([1.0, 3.0])
    gamma = 2.0
    expected_terms, weight_sum = [], 0.0
    for row, y in zip(logits.tolist(), labels.tolist(), strict=True):
        p = math.exp(row[y]) / sum(math.exp(v) for v in row)
        expected_terms.append(-weights[y].item() * (1 - p) ** gamma * math.log(p))
        weight_sum += weights[y].item()
    expected = sum(expected_terms) / weight_sum
    assert focal_loss(logits, labels, weights, gamma).item() == pytest.approx(expected, rel=1e-6)
    # gamma 0 is weighted cross-entropy; the option reaches it through classification_loss.
    assert focal_loss(logits, labels, weights, 0.0).item() == pytest.approx(
        F.cross_entropy(logits, labels, weight=weights).item(), rel=1e-6
    )
    assert classification_loss(logits, labels, weights, focal_gamma=gamma).item() == pytest.approx(
        expected, rel=1e-6
    )


def test_fit_trains_with_focal_loss_and_a_smaller_encoder_rate() -> None:
    net = build_network("hybrid-dual-task", **KW)
    config = TrainConfig(epochs=1, batch_size=4, focal_gamma=2.0, encoder_lr_scale=0.1)
    groups = _param_groups(net, config)
    assert [g["lr"] for g in groups] == pytest.approx([config.lr, config.lr * 0.1])
    n_encoder = sum(1 for name, _ in net.named_parameters() if name.startswith("encoder."))
    assert len(groups[1]["params"]) == n_encoder
    _, history = fit(net, _blobs(4), _blobs(2, seed=1), config, lambda r: None)
    assert np.isfinite(history[0]["loss"])


def test_progress_bar_is_plain_lines_in_a_log_and_a_bar_on_a_terminal() -> None:
    log = io.StringIO()  # not a terminal: a job log, a pipe
    bar = ProgressBar(40, stream=log)
    for done in range(1, 41):
        bar.update(done, f"epoch {1 + (done - 1) // 20} loss 0.5")
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines == [
        f"[{k}/40] training epoch {1 + (k - 1) // 20} loss 0.5" for k in range(2, 41, 2)
    ]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = ProgressBar(4, stream=terminal)
    bar.update(4, "epoch 1 loss 0.5")
    bar.close()
    assert "100%" in terminal.getvalue() and "4/4" in terminal.getvalue()
    assert "epoch 1 loss 0.5" in terminal.getvalue()
    assert format_seconds(3725) == "1h02m" and format_seconds(75) == "1m15s"


def test_ema_returns_the_moving_average_of_every_steps_weights(monkeypatch) -> None:  # noqa: ANN001
    import training.fit as fit_module

    seen: list[dict[str, torch.Tensor]] = []

    class Recording(fit_module.AveragedModel):
        def update_parameters(self, model: torch.nn.Module) -> None:
            seen.append({k: v.detach().clone() for k, v in model.state_dict().items()})
            super().update_parameters(model)

    monkeypatch.setattr(fit_module, "AveragedModel", Recording)
    decay = 0.6
    config = TrainConfig(epochs=2, batch_size=4, seed=5, select="last", ema=decay)
    torch.manual_seed(0)
    events: list[dict] = []
    net, _ = fit(
        build_network("hybrid-dual-task", **KW), _blobs(8), _blobs(2, seed=1), config, events.append
    )
    assert len(seen) == 4 and events[-1] == {"event": "ema", "decay": decay, "steps": 4}
    got = net.state_dict()
    for name, last in seen[-1].items():
        if not last.is_floating_point():
            continue
        expected = seen[0][name]
        for state in seen[1:]:
            expected = decay * expected + (1 - decay) * state[name]
        assert torch.allclose(got[name], expected, atol=1e-6), name
    # the average is not the last step's weights
    first = next(name for name, _ in net.named_parameters())
    assert not torch.allclose(got[first], seen[-1][first])


def test_ema_needs_a_fixed_budget() -> None:
    with pytest.raises(ValueError, match="select"):
        TrainConfig(ema=0.9, select="best")
    with pytest.raises(ValueError, match="ema"):
        TrainConfig(ema=1.0, select="last")
