"""The fine-tuning request as a type: what the CLI, the GUI and the benches ask a job to do.

A request was a dict that each side filled in and the child checked by hand (a misspelt
gate option or a replay without a source surfaced minutes later, inside the job). Now it is
checked once, when it is made or read, with the file and the reason in the error; the child
(`python -m training.finetune --request F`) reads the same type. On disk it is the same
JSON as before (request.json, schema version 1), so jobs written earlier still run.

    base      the bundle training starts from, pinned by folder and model id
    train     the corrected cases (a selection, engine.datastore.selection)
    heldout   the fixed held-out cases (never trained on; the gate scores them)
    epochs    rounds of the progress curve (each a fixed number of optimiser steps)
    replay    earlier data mixed into every batch against forgetting the first domain
    recipe    overrides of training.finetune.Recipe (checked by the child, which owns it)
    gate      overrides of engine.registry.Gate (min_cases, margins, bootstrap settings)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from engine.atomic import write_json_atomic
from engine.errors import LesionLensError

R = TypeVar("R")

SCHEMA_VERSION = 1
GATE_OPTIONS = ("min_cases", "dice_margin", "accuracy_margin", "resamples", "confidence", "seed")
REQUIRED = ("base", "train", "heldout", "epochs", "out")


class RequestError(LesionLensError):
    """The request is missing something or names data that cannot be used."""


@dataclass(frozen=True)
class BaseModel:
    """The bundle a job starts from; refused later if the folder now holds another model."""

    dir: str
    model_id: str = ""


# Half of every batch: the share that kept the breast model's busi-dev Dice within 0.02 after
# 20 cases of another domain in 3 of 3 seeds (a quarter: 2 of 3), for ~0.01 less Dice on the
# new domain (docs/finetuning.md, "No forgetting").
REPLAY_FRACTION = 0.5


@dataclass(frozen=True)
class Replay:
    """Cases of the base model's first domain replayed as `fraction` of every batch: `n`
    synthetic cases of a domain (regenerated from their seed), or cases of a folder."""

    synth: str | None = None
    folder: str | None = None
    n: int | None = None
    seed: int = 0
    fraction: float = REPLAY_FRACTION

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, raw: Any, source: str = "the replay") -> Replay | None:
        """A replay from its JSON form (a request's, or a bundle's metrics.json), its fields
        checked: None stays None."""
        if raw is None or isinstance(raw, Replay):
            return raw
        if not isinstance(raw, dict):
            raise RequestError(f"{source}: 'replay' must be an object or null")
        unknown = sorted(set(raw) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise RequestError(f"{source}: unknown replay fields {unknown}")
        return cls(**raw)


@dataclass(frozen=True)
class FinetuneRequest:
    """Everything a fine-tuning job needs, pinned (see the module docstring)."""

    base: BaseModel
    train: dict[str, Any]
    heldout: dict[str, Any]
    epochs: int
    out: str = ""
    seed: int = 0
    replay: Replay | None = None
    recipe: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    threads: int = 2
    job_id: str = ""
    job_dir: str = ""
    model_id: str = ""
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _check(self)

    def replace(self, **changes: Any) -> FinetuneRequest:
        """A copy with these fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def with_overrides(self, overrides: dict[str, Any]) -> FinetuneRequest:
        """A copy with JSON-shaped overrides ({"gate": {...}, "replay": None, ...}) applied,
        as the GUI's settings and the tests give them."""
        return FinetuneRequest.from_json({**self.to_json(), **overrides})

    def to_json(self) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "schema_version": self.schema_version,
            "base": dataclasses.asdict(self.base),
            "train": self.train,
            "heldout": self.heldout,
            "epochs": self.epochs,
            "seed": self.seed,
            "replay": self.replay.to_json() if self.replay else None,
            "out": self.out,
            "threads": self.threads,
        }
        optional = {"recipe": self.recipe, "gate": self.gate, "job_id": self.job_id}
        optional |= {"job_dir": self.job_dir, "model_id": self.model_id}
        raw.update({k: v for k, v in optional.items() if v})
        return raw

    @classmethod
    def from_json(cls, raw: Any, source: str = "the request") -> FinetuneRequest:
        """A request from its JSON form; RequestError naming `source` and what is wrong."""
        if not isinstance(raw, dict):
            raise RequestError(f"{source}: a request must be a JSON object")
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise RequestError(f"{source}: the request has no {', '.join(missing)}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise RequestError(f"{source}: unknown request fields {unknown}")
        base = raw["base"]
        if not isinstance(base, dict) or "dir" not in base or set(base) - {"dir", "model_id"}:
            raise RequestError(f"{source}: 'base' must be {{'dir': bundle folder, 'model_id': id}}")
        try:
            return cls(
                **{
                    **raw,
                    "base": BaseModel(str(base["dir"]), str(base.get("model_id") or "")),
                    "replay": Replay.from_json(raw.get("replay"), source),
                    "recipe": dict(raw.get("recipe") or {}),
                    "gate": dict(raw.get("gate") or {}),
                    "out": str(raw["out"]),
                    "job_id": str(raw.get("job_id") or ""),
                    "job_dir": str(raw.get("job_dir") or ""),
                    "model_id": str(raw.get("model_id") or ""),
                }
            )
        except RequestError as exc:
            raise RequestError(f"{source}: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise RequestError(f"{source}: {exc}") from None

    def write(self, path: str | Path) -> Path:
        """request.json, replaced atomically."""
        path = Path(path)
        write_json_atomic(path, self.to_json())
        return path

    @classmethod
    def read(cls, path: str | Path) -> FinetuneRequest:
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise RequestError(f"{path}: no such request file") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(f"{path}: not a readable JSON request ({exc})") from exc
        request = cls.from_json(raw, str(path))
        return request if request.job_dir else request.replace(job_dir=str(path.parent))


def recipe_with(
    recipe_type: type[R], overrides: dict[str, Any], model: str = "", hidden: Iterable[str] = ()
) -> R:
    """A recipe dataclass with a request's overrides, checked: a setting the recipe does not
    have (or one it keeps to itself, `hidden`) or a value it refuses is a RequestError naming
    it, raised before any data is read. `model` says whose recipe it is ("a volume model")."""
    known = {f.name for f in dataclasses.fields(recipe_type)} - set(hidden)  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - known)
    if unknown:
        whose = f" for {model}" if model else ""
        raise RequestError(f"unknown recipe settings {unknown}{whose}; known: {sorted(known)}")
    try:
        return recipe_type(**overrides)
    except (TypeError, ValueError) as error:  # a known setting with a value the recipe refuses
        raise RequestError(f"recipe: {error}") from None


def _check(request: FinetuneRequest) -> None:
    epochs = request.epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise RequestError("'epochs' must be a positive integer")
    if not isinstance(request.train, dict) or not isinstance(request.heldout, dict):
        raise RequestError("'train' and 'heldout' must be data selections (JSON objects)")
    kinds = (request.train.get("kind"), request.heldout.get("kind"))
    if kinds[0] != kinds[1]:  # e.g. CT volumes trained on, 2D images held out
        raise RequestError(
            f"'train' and 'heldout' select different kinds of case ({kinds[0] or 'image'} and "
            f"{kinds[1] or 'image'}); the gate must score what was trained on"
        )
    unknown = sorted(set(request.gate) - set(GATE_OPTIONS))
    if unknown:
        raise RequestError(f"unknown gate options {unknown}; known: {', '.join(GATE_OPTIONS)}")
    replay = request.replay
    if replay is not None:
        if (replay.synth is None) == (replay.folder is None):
            raise RequestError("replay needs exactly one of 'synth' or 'folder'")
        if not 0.0 <= float(replay.fraction) < 1.0:
            raise RequestError(f"replay fraction must be in [0, 1), got {replay.fraction}")
    if int(request.threads) < 1:
        raise RequestError("'threads' must be at least 1")
