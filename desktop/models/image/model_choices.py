"""Which model reads which case: the reader's choice per case or per folder, else proposed.

Qt-free. A case's own choice wins over its folder's; with neither, the model is proposed
for the image (engine.model_choice: tags, then scope scores) among the candidates. Choices
live for the session: they are reading decisions, not settings.
"""

from __future__ import annotations

from pathlib import Path

AUTO = None  # no choice: propose a model for each image


class ModelChoices:
    def __init__(self) -> None:
        self._cases: dict[Path, Path] = {}
        self._folders: dict[Path, Path] = {}

    def choice_for(self, case: Path | None) -> Path | None:
        """The bundle folder chosen for this case (its own, else its folder's), or AUTO."""
        if case is None:
            return AUTO
        case = Path(case)
        if case in self._cases:
            return self._cases[case]
        for folder in (case.parent, *case.parent.parents):
            if folder in self._folders:
                return self._folders[folder]
        return AUTO

    def choose_for_case(self, case: Path, bundle: Path | None) -> None:
        """bundle None: back to the folder's choice (or the proposal)."""
        if bundle is None:
            self._cases.pop(Path(case), None)
        else:
            self._cases[Path(case)] = Path(bundle)

    def choose_for_folder(self, folder: Path, bundle: Path | None) -> None:
        """Every case under the folder that has no choice of its own; None: propose again."""
        if bundle is None:
            self._folders.pop(Path(folder), None)
        else:
            self._folders[Path(folder)] = Path(bundle)
