"""Hierarchical freezing for fine-tuning a pretrained encoder (SCIENCE.md, method 4).

At first the whole pretrained encoder is frozen, so the freshly initialised class head and
the decoder adapt to its features without their large early gradients rewriting it. Then
the encoder levels are released one at a time. Default order "deep-first": the deepest level
(the attention stage, next to the heads) first, the stem last, so the earliest filters —
edges, blobs, speckle-scale texture, the most general features (Yosinski et al. 2014) — stay
fixed the longest, as in gradual unfreezing (Howard & Ruder 2018). "early-first" is the
opposite order, for sources whose low-level statistics differ most from the target.

A schedule is a pure function of the epoch, so a resumed run freezes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

ORDERS = ("deep-first", "early-first")


@dataclass(frozen=True)
class FreezingSchedule:
    """(parameter-name prefix, first epoch in which it trains), epochs counted from 1."""

    releases: tuple[tuple[str, int], ...]

    def frozen_at(self, epoch: int) -> list[str]:
        return [prefix for prefix, start in self.releases if epoch < start]

    def apply(self, net: torch.nn.Module, epoch: int) -> dict | None:
        """Set requires_grad for the scheduled levels; a log event when the set changed.

        Parameters outside the scheduled levels are left as they are."""
        frozen = self.frozen_at(epoch)
        for name, param in net.named_parameters():
            level = _level_of(name, self.releases)
            if level is not None:
                param.requires_grad_(level not in frozen)
                if level in frozen:
                    param.grad = None
        if epoch == 1 or frozen != self.frozen_at(epoch - 1):
            return {"event": "freezing", "epoch": epoch, "frozen": frozen}
        return None


def hierarchical_schedule(
    levels: tuple[str, ...],
    epochs: int,
    order: str = "deep-first",
    frozen_fraction: float = 0.2,
    release_fraction: float = 0.6,
) -> FreezingSchedule:
    """All `levels` (earliest to deepest) frozen for the first `frozen_fraction` of the
    epochs, then released one by one at even steps until `release_fraction` of the epochs;
    the rest of training updates everything."""
    if order not in ORDERS:
        raise ValueError(f"unknown freezing order {order!r}; choose from {', '.join(ORDERS)}")
    if not levels:
        raise ValueError("the network names no encoder levels to freeze")
    ordered = tuple(reversed(levels)) if order == "deep-first" else tuple(levels)
    first = 1 + max(1, round(frozen_fraction * epochs))
    last = max(first, 1 + round(release_fraction * epochs))
    n = len(ordered)
    starts = [first + round(i * (last - first) / max(1, n - 1)) for i in range(n)]
    return FreezingSchedule(tuple(zip(ordered, starts, strict=True)))


def schedule_from_spec(spec: str, net: torch.nn.Module, epochs: int) -> FreezingSchedule | None:
    """CLI spelling: "none", "deep-first", "early-first", or explicit "prefix@epoch,...".

    Named orders use the network's `encoder_levels` (earliest to deepest)."""
    spec = spec.strip()
    if spec == "none":
        return None
    if spec in ORDERS:
        return hierarchical_schedule(tuple(getattr(net, "encoder_levels", ())), epochs, spec)
    releases = []
    names = {name for name, _ in net.named_parameters()}
    for item in spec.split(","):
        prefix, sep, start = item.strip().partition("@")
        if not sep or not start.isdigit():
            raise ValueError(f"freeze schedule item {item!r}: expected PREFIX@EPOCH")
        if not any(n == prefix or n.startswith(prefix + ".") for n in names):
            raise ValueError(f"freeze schedule item {item!r}: no parameters under {prefix!r}")
        releases.append((prefix, int(start)))
    return FreezingSchedule(tuple(releases))


def _level_of(name: str, releases: tuple[tuple[str, int], ...]) -> str | None:
    for prefix, _ in releases:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None
