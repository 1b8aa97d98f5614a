"""Model ▸ Model for This Case / Model for This Folder: which 2D model reads the image.

The candidates are the shipped single-image bundles (engine.model_catalog.image_bundles).
Until the reader chooses, each image opened gets the model proposed for it
(engine.model_choice: a DICOM tag naming the body part, else the lowest scope score), chosen
on the worker thread before the analysis starts, and the status bar says which and why.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from desktop.models.image.model_choices import AUTO, ModelChoices
from engine.inference import LoadedModel, cached_model
from engine.model_catalog import image_bundles
from engine.model_choice import Proposal, propose_model
from engine.types import Image

PROPOSED = "Proposed for Each Image"


def proposal_steps(
    image: Image, bundles: list[Path], current: LoadedModel | None = None
) -> Generator[str, None, Proposal]:
    yield "Choosing the model for this image…"
    return propose_model(image, [cached_model(b) for b in bundles], current)


class ModelPicker:
    """Owns the choices and the two submenus; the window asks it before each analysis."""

    def __init__(
        self,
        menu: QMenu,
        current_case: Callable[[], Path | None],
        current_folder: Callable[[], Path | None],
        current_model: Callable[[], LoadedModel | None],
        use_model: Callable[[Path], None],
        start_job: Callable[..., None],
        notify: Callable[[str], None],
        resume: Callable[[], None],
    ) -> None:
        self.choices = ModelChoices()
        self.choosing = False  # a proposal is being made: the analysis waits for it
        self._current_case, self._current_folder = current_case, current_folder
        self._current_model, self._use_model = current_model, use_model
        self._start_job, self._notify, self._resume = start_job, notify, resume
        self.bundles = [b.directory for b in image_bundles()]
        self.case_menu = menu.addMenu("Model for This &Case")
        self.folder_menu = menu.addMenu("Model for This F&older")
        self._case_actions = self._fill(self.case_menu, self._choose_case)
        self._folder_actions = self._fill(self.folder_menu, self._choose_folder)

    def _fill(self, menu: QMenu, choose: Callable[[Path | None], None]) -> dict:
        group = QActionGroup(menu)
        actions: dict[Path | None, QAction] = {}
        for bundle in (AUTO, *self.bundles):
            text = PROPOSED if bundle is None else self._label(bundle)
            action = QAction(text, menu, checkable=True)
            action.triggered.connect(lambda _checked=False, b=bundle: choose(b))
            group.addAction(action)
            menu.addAction(action)
            actions[bundle] = action
        actions[AUTO].setChecked(True)
        return actions

    @staticmethod
    def _label(bundle: Path) -> str:
        model = cached_model(bundle)
        summary = str(model.spec.card.get("summary", "")).split(" (")[0]
        return f"{bundle.name}: {summary[:60]}" if summary else bundle.name

    # -- choices ------------------------------------------------------------------------------

    def _choose_case(self, bundle: Path | None) -> None:
        case = self._current_case()
        if case is None:
            self._notify("Open a case first")
            return
        self.choices.choose_for_case(case, bundle)
        self.apply()

    def _choose_folder(self, bundle: Path | None) -> None:
        folder = self._current_folder()
        if folder is None:
            self._notify("Open a folder of cases first (File ▸ Open Folder…)")
            return
        self.choices.choose_for_folder(folder, bundle)
        self.apply()

    def sync(self) -> None:
        """Tick the current case's and folder's choices in the menus."""
        case, folder = self._current_case(), self._current_folder()
        own = self.choices.choice_for(case) if case else AUTO
        self._case_actions.get(own, self._case_actions[AUTO]).setChecked(True)
        by_folder = self.choices.choice_for(folder / "_") if folder else AUTO
        self._folder_actions.get(by_folder, self._folder_actions[AUTO]).setChecked(True)

    # -- applying -----------------------------------------------------------------------------

    def apply(self, image: Image | None = None) -> bool:
        """Make the case's model current before it is analysed; True when a model change or
        a proposal is under way (the analysis follows when it lands)."""
        self.sync()
        if len(self.bundles) < 2:
            return False  # nothing to choose between
        chosen = self.choices.choice_for(self._current_case())
        current = self._current_model()
        here = current.bundle.directory.resolve() if current is not None else None
        if chosen is not AUTO:
            if here == chosen.resolve():
                return False
            self._use_model(chosen)
            return True
        if image is None or (here is not None and here not in {b.resolve() for b in self.bundles}):
            return False  # a registry (fine-tuned) model the reader loaded stays
        modality = str(image.metadata.get("Modality", "") or "").upper()
        if modality and modality != "US":
            return False  # the candidates read ultrasound; the domain check speaks for CT/MR
        self.choosing = True
        self._start_job(
            lambda: proposal_steps(image, self.bundles, current),
            None,
            self._proposed,
            self._failed,
        )
        return True

    def _proposed(self, _tag: None, proposal: Proposal) -> None:
        self.choosing = False
        self._notify(f"Model {proposal.model.spec.model_id}: {proposal.reason}")
        current = self._current_model()
        if current is None or current.bundle.directory.resolve() != proposal.bundle_dir.resolve():
            self._use_model(proposal.bundle_dir)
        else:
            self._resume()

    def _failed(self, _tag: None, error: BaseException) -> None:
        self.choosing = False  # the current model reads the image; the error bar says why
        self._notify(f"No model proposal ({error}); the current model reads the image")
        self._resume()
