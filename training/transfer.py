"""Load pretrained weights that fit: copy by name and shape, skip the task heads, say what was
skipped (nnU-Net's load_pretrained_weights, made lenient about shapes).

A source-domain network (e.g. trained on dermoscopy) and the target network share the
encoder and the decoder; the classification head belongs to the source task (its classes
mean something else), so it starts fresh. A layer whose shape differs (a segmentation head
with another number of classes, a different input channel count) cannot be copied and is
reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine.errors import BundleError

DEFAULT_TASK_HEADS = ("cls_head",)


@dataclass
class TransferReport:
    copied: list[str] = field(default_factory=list)
    skipped_heads: list[str] = field(default_factory=list)
    skipped_shape: list[dict] = field(default_factory=list)  # name, source and target shapes
    missing_in_source: list[str] = field(default_factory=list)
    unused_from_source: list[str] = field(default_factory=list)

    def as_event(self) -> dict:
        """A JSON line for the training log."""
        return {
            "event": "transfer",
            "copied": len(self.copied),
            "skipped_heads": self.skipped_heads,
            "skipped_shape": self.skipped_shape,
            "missing_in_source": self.missing_in_source,
            "unused_from_source": self.unused_from_source,
        }


def read_state_dict(source: str | Path) -> dict[str, torch.Tensor]:
    """A weights file, or a bundle folder holding weights.pt; loaded with weights_only=True."""
    path = Path(source)
    if path.is_dir():
        path = path / "weights.pt"
    if not path.is_file():
        raise BundleError(path.parent, f"{path.name} is missing (pretrained weights)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises several untyped errors here
        raise BundleError(path.parent, f"{path.name} cannot be read ({exc})") from exc
    if not isinstance(state, Mapping):
        raise BundleError(path.parent, f"{path.name} does not hold a state dict")
    return dict(state)


def load_pretrained_weights(
    net: torch.nn.Module,
    source: Mapping[str, torch.Tensor] | str | Path,
    task_heads: tuple[str, ...] | None = None,
    log: Callable[[dict], None] | None = None,
) -> TransferReport:
    """Copy every source tensor whose name and shape match into `net`, except the task heads
    (name prefixes; default: the network's `task_heads`, else "cls_head")."""
    state = read_state_dict(source) if isinstance(source, str | Path) else dict(source)
    heads = task_heads if task_heads is not None else getattr(net, "task_heads", DEFAULT_TASK_HEADS)
    target = net.state_dict()
    report = TransferReport()
    merged = {}
    for name, tensor in target.items():
        if _is_head(name, heads):
            report.skipped_heads.append(name)
        elif name not in state:
            report.missing_in_source.append(name)
        elif tuple(state[name].shape) != tuple(tensor.shape):
            report.skipped_shape.append(
                {
                    "name": name,
                    "source": list(state[name].shape),
                    "target": list(tensor.shape),
                }
            )
        else:
            merged[name] = state[name].to(dtype=tensor.dtype)
            report.copied.append(name)
    report.unused_from_source = sorted(
        name for name in state if name not in target and not _is_head(name, heads)
    )
    net.load_state_dict(merged, strict=False)
    if log is not None:
        log(report.as_event())
    return report


def _is_head(name: str, heads: tuple[str, ...]) -> bool:
    return any(name == h or name.startswith(h + ".") for h in heads)
