"""Where a model's own training data lies on this machine, for replay while fine-tuning.

Fine-tuning on a new domain without replaying the first one forgets it (bench/feedback_real.py:
the breast model fine-tuned on 20 shifted-scanner cases lost 0.09 busi-dev Dice without
replay, kept it with half of every batch replayed). A synthetic model can regenerate its
training cases from their seed; a model trained on real data (breast-us on BUSI) cannot, and
its data is never shipped. The reader, who may hold a copy, names the folder once: it is kept
per model id in the data root (`<home>/replay_sources.json`), so the GUI and
`lesionlens finetune` find it for every later round.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic import write_json_atomic
from engine.datastore.home import data_root
from engine.errors import LesionLensError

FILE_NAME = "replay_sources.json"


class ReplaySources:
    """model id -> folder (any data-set layout engine.datasets reads: BUSI, canonical, ...)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.path = data_root(root) / FILE_NAME

    def all(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise LesionLensError(f"{self.path}: cannot be read ({exc})") from exc
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise LesionLensError(f"{self.path}: expected an object of model id -> folder")
        return dict(raw)

    def folder_for(self, model_id: str) -> Path | None:
        folder = self.all().get(model_id)
        return None if folder is None else Path(folder)

    def set_folder(self, model_id: str, folder: str | Path | None) -> None:
        """Remember (or, with None, forget) the folder of `model_id`'s training data. The
        folder must exist now: a typo found minutes later inside the job helps nobody."""
        if not model_id:
            raise LesionLensError("a replay folder needs the model's id")
        sources = self.all()
        if folder is None:
            sources.pop(model_id, None)
        else:
            path = Path(folder).expanduser().resolve()
            if not path.is_dir():
                raise LesionLensError(f"{path}: the replay folder does not exist")
            sources[model_id] = str(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, sources)
