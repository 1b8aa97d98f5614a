"""The volume page: a CT/MR volume opens in the three-view workspace.

Kept out of main_window.py so the window stays about 2D cases: this page adds the workspace
to the window's central stack and its actions to the File, Edit and Model menus, and hides
the 2D side panel, toolbar and frame slider while a volume is on screen, all through
desktop.pages.host.PageHost (never the window itself). The 2D model's domain check stays as it
is (an ultrasound model is not run on CT slices); volumes go to the registry's active volume
model (engine.model_lookup.default_bundle: a promoted CT fine-tune, else the shipped volume
bundle; what `lesionlens analyze` runs too) on the window's worker queue, and the page says
so plainly when there is no volume model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from desktop.models.editing.tool_state import BRUSH, ERASER, SMART_CLICK
from desktop.models.image.findings_table import disclaimer_text
from desktop.models.image.series import VOLUME
from desktop.models.pacs.export import send_exported, send_failure
from desktop.models.volume.session import VolumeRequest, volume_analysis_steps
from desktop.pages.host import EDIT_END, FILE_AFTER_SAVE, MODEL_END, PageHost
from desktop.widgets.questions import DISCARD, SAVE
from desktop.widgets.volume.export_dialog import VolumeExportDialog
from desktop.widgets.volume.workspace import VolumeWorkspace
from desktop.widgets.window_presets_menu import PresetTarget
from engine.bundle import Bundle
from engine.case_kind import VOLUME as VOLUME_CASE
from engine.errors import LesionLensError
from engine.model_lookup import default_bundle
from engine.pacs import PacsNode
from engine.report import ExportResult, ModelInfo
from engine.report.naming import case_pseudonym
from engine.report.volume.export import VolumeExportRequest, export_volume
from engine.types import Volume, VolumePrediction

ANALYZE_TAG = "volume"
NO_VOLUME_MODEL = (
    "No volume model is shipped with this installation (resources/models has no bundle with "
    'task "volume"), so the CT is not analysed. Label kidney and tumour by hand: the volumes '
    "follow every edit."
)
EXPORT_TAG = "volume-export"


def volume_export_steps(
    volume: Volume,
    prediction: VolumePrediction,
    model: ModelInfo,
    request: VolumeExportRequest,
    send_to: PacsNode | None = None,
) -> Generator[str, None, ExportResult]:
    """Export, then (send_to) store the SEG (and a NIfTI's derived CT series) on a PACS."""
    yield "Exporting the volume (SEG, finding, labels)…"
    result = export_volume(volume, prediction, model, request)
    if send_to is None:
        return result
    return (yield from send_exported(result, send_to))


class VolumePage(QObject):
    def __init__(self, host: PageHost, home: str | Path | None = None) -> None:
        """home: the data root whose registry names the active volume model (default:
        LESIONLENS_HOME), the one the window's training panel promotes into."""
        super().__init__(host.parent_widget())
        self.host = host
        self.home = home
        self.state = host.state
        self.workspace = VolumeWorkspace(host.tools)
        self.session = self.workspace.session
        self.last_export: ExportResult | None = None
        self.controls = self.workspace.controls
        host.add_page(self.workspace)
        self._build_actions()

        session = self.session
        session.subscribe("status", self.state.notify)
        session.subscribe("error", self.state.report_error)
        for event in ("labels_changed", "busy_changed", "volume_changed"):
            session.subscribe(event, lambda *_: self._sync_actions())
        session.subscribe("labels_changed", self._mark_title)
        self.state.subscribe("image_changed", lambda _image: self._on_case_changed())
        self.state.subscribe("review_changed", self._sync_actions)
        self.state.subscribe("review_changed", self._mark_title)  # after the window's title
        self.state.subscribe("model_changed", lambda _model: self._show_model_note())
        self.controls.analyze_requested.connect(self.analyze)
        self.controls.save_requested.connect(self.save_labels)
        self.controls.load_requested.connect(self.choose_labels)
        for panel in self.workspace.panels.values():
            panel.canvas.cursor_moved.connect(host.show_cursor)
        host.on_page_shown(self._on_page_changed)
        self._sync_actions()

    def _build_actions(self) -> None:
        tools = self.host.tools
        self.save_labels_action = self._action("Save &Labels", self.save_labels, "Ctrl+Shift+S")
        self.load_labels_action = self._action("Load Labels…", self.choose_labels)
        self.analyze_action = self._action("Analyze &Volume", self.analyze, "Ctrl+Shift+A")
        self.interpolate_action = self._action("&Interpolate Labels", self.session.interpolate, "I")
        # In volume mode the 2D toolbar's undo and brush actions are disabled (no 2D mask), so
        # these take their keys without ever being enabled at the same time.
        self.undo_action = self._action("Undo Label Edit", self.session.undo, "Ctrl+Z")
        self.redo_action = self._action("Redo Label Edit", self.session.redo, "Ctrl+Shift+Z")
        self.brush_action = self._action("Label Brush", lambda: tools.set_tool(BRUSH), "B")
        self.eraser_action = self._action("Label Eraser", lambda: tools.set_tool(ERASER), "E")
        self.smart_click_action = self._action(
            "Label Smart Click", lambda: tools.set_tool(SMART_CLICK), "A"
        )
        host = self.host
        host.add_actions([self.save_labels_action, self.load_labels_action], FILE_AFTER_SAVE)
        host.add_actions([self.analyze_action], MODEL_END)
        host.add_actions([self.interpolate_action], EDIT_END)
        host.add_actions(
            [
                self.undo_action,
                self.redo_action,
                self.brush_action,
                self.eraser_action,
                self.smart_click_action,
            ]
        )

    def _action(self, text: str, slot, shortcut: str = "") -> QAction:  # noqa: ANN001
        action = QAction(text, self.host.parent_widget())
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    # -- mode ---------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.session.volume is not None

    def _on_case_changed(self) -> None:
        series, host = self.state.series, self.host
        if series is not None and series.kind == VOLUME and isinstance(series.content, Volume):
            self.session.open(series.content, self.state.path)
            # Each view has its own slider; the 2D findings and review do not apply; the 2D
            # toolbar's tools act on a 2D mask (the volume panel has its own, on the shared
            # tool, so their keys stay on).
            host.show_page(self.workspace, keep_side_column=False, tools_off=None)
            self._show_model_note()
        elif self.active:
            self._leave()
        self._sync_actions()  # Run Model Anyway does not apply to volumes

    def _leave(self) -> None:
        self.session.clear()  # the page shown instead brought its own widgets
        self.host.show_model_card(None)

    def _mark_title(self) -> None:
        """Unsaved label edits put the same " *" in the title as 2D corrections do."""
        title = self.host.title()
        if self.session.modified and not title.endswith(" *"):
            self.host.set_title(title + " *")
        elif not self.session.modified and not self.state.modified and title.endswith(" *"):
            self.host.set_title(title[:-2])

    def _on_page_changed(self) -> None:
        """Another page (a study, the 2D canvas) replaced the volume without a new image."""
        if self.active and self.host.shown_page() is not self.workspace:
            self._leave()
            self._sync_actions()

    def volume_bundle(self, report: bool = False) -> Bundle | None:
        """The registry's active volume model, asked at each use so that a promotion or a
        rollback in the training panel is what the next analysis runs. None when there is
        none or the registry cannot be read (report: say why in the error bar)."""
        try:
            bundle = default_bundle(VOLUME_CASE, home=self.home)
        except (LesionLensError, OSError) as exc:
            if report:
                self.state.report_error(f"The volume model cannot be found: {exc}")
            return None
        if bundle is None and report:
            self.state.report_error(NO_VOLUME_MODEL)
        return bundle

    def _show_model_note(self) -> None:
        if not self.active:
            return
        bundle = self.volume_bundle()
        lines = []
        model = self.state.model
        if model is not None and self.state.withheld is not None:
            lines.append(
                f"The 2D model {model.spec.model_id} is not run on CT slices "
                f"(made for {self.state.withheld.made_for} only)."
            )
        if bundle is None:
            lines.append(NO_VOLUME_MODEL)
        else:
            spec = bundle.spec
            lines.append(f"Volume model: {spec.model_id} v{spec.version} ({spec.intended_use}).")
            # The banner quotes the card of the model that answers for what is on screen.
            self.host.show_model_card(disclaimer_text(bundle))
        self.controls.set_note("\n".join(lines))

    def _sync_actions(self) -> None:
        labels, active = self.session.labels, self.active
        editable = active and labels is not None and not self.session.busy
        no_2d_editor = self.state.editor is None
        self.undo_action.setEnabled(editable and no_2d_editor and labels.can_undo)
        self.redo_action.setEnabled(editable and no_2d_editor and labels.can_redo)
        self.brush_action.setEnabled(editable and no_2d_editor)
        self.eraser_action.setEnabled(editable and no_2d_editor)
        self.smart_click_action.setEnabled(editable and no_2d_editor)
        self.interpolate_action.setEnabled(editable)
        self.save_labels_action.setEnabled(editable and self.session.path is not None)
        # Ctrl+S saves what is on screen: the labels, unless a 2D correction holds that key.
        keys = [QKeySequence("Ctrl+Shift+S")]
        if no_2d_editor:
            keys.append(QKeySequence("Ctrl+S"))
        self.save_labels_action.setShortcuts(keys)
        self.load_labels_action.setEnabled(editable)
        self.analyze_action.setEnabled(active and not self.session.busy)
        self.host.refresh_actions()  # File ▸ Export… writes the volume's SEG once analysed

    def reset_window(self) -> None:
        self.session.reset_window()
        self.state.reset_window()  # the volume's 2D slice too, as before the three planes

    def preset_target(self) -> PresetTarget:
        session = self.session
        names = lambda: [p.name for p in session.presets]  # noqa: E731
        return PresetTarget(names, session.apply_preset, self.state.notify)

    # -- the volume model ---------------------------------------------------------------------

    def analyze(self) -> bool:
        """Model ▸ Analyze Volume: the active volume model on the worker thread."""
        session = self.session
        if not self.active:
            self.state.notify("Open a CT volume to analyse it with the volume model")
            return False
        if session.busy:
            return False
        bundle = self.volume_bundle(report=True)
        if bundle is None:
            return False
        request = session.start_analysis(bundle.directory)
        self.host.start_job(  # the window's one worker queue
            lambda: volume_analysis_steps(request), request, self._on_analysed, self._on_failed
        )
        return True

    @Slot(object, object)
    def _on_analysed(self, request: VolumeRequest, prediction: VolumePrediction) -> None:
        if self.session.finish_analysis(request, prediction):
            volumes = ", ".join(f"{k} {v:.1f} mL" for k, v in prediction.volumes_ml.items())
            kept = self.session.labels is not None and self.session.labels.differs_from_ai
            note = "; your labels stay on screen (Reset to AI shows the model's)" if kept else ""
            self.state.notify(f"Volume analysed: tumour {prediction.label}; {volumes}{note}")

    @Slot(object, object)
    def _on_failed(self, request: VolumeRequest, error: BaseException) -> None:
        self.session.fail_analysis(request, error)

    # -- export -------------------------------------------------------------------------------

    def exportable(self) -> bool:
        return self.active and self.session.prediction is not None and not self.session.busy

    def open_export_dialog(self) -> VolumeExportDialog | None:
        """File ▸ Export… for a volume: SEG, JSON and NIfTI of the labels on screen (the
        reader's corrections included; the classes stay the model's)."""
        session = self.session
        if not self.exportable() or session.labels is None:
            self.state.notify("Nothing to export: analyse the volume first (Model ▸ Analyze…)")
            return None
        path = session.path or Path.home() / "volume"
        stem = path.name.removesuffix(".gz").removesuffix(".nii")
        corrected = session.labels.differs_from_ai
        dialog = VolumeExportDialog(
            stem,
            path.parent / "export",
            corrected,
            self.host.parent_widget(),
            pseudonym=case_pseudonym(path),
        )
        dialog.accepted.connect(lambda: self.start_export(dialog.request(), dialog.send_node()))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def start_export(self, request: VolumeExportRequest, send_to: PacsNode | None = None) -> bool:
        session = self.session
        if not self.exportable() or session.labels is None or not request.outputs:
            return False
        bundle = self.volume_bundle(report=True)
        if bundle is None:
            return False
        assert session.volume is not None and session.prediction is not None
        labels = session.labels
        prediction = dataclasses.replace(
            session.prediction, labels=labels.labels.copy(), volumes_ml=labels.volumes_ml()
        )
        volume, model = session.volume, ModelInfo.from_spec(bundle.spec)
        self.host.start_job(  # the window's one worker queue
            lambda: volume_export_steps(volume, prediction, model, request, send_to),
            EXPORT_TAG,
            self._on_exported,
        )
        return True

    @Slot(object, object)
    def _on_exported(self, _tag: object, result: ExportResult) -> None:
        names = ", ".join(p.name for p in result.written)
        self.last_export = result
        self.state.notify(f"Exported {names} to {result.written[0].parent}" if names else "")
        if send_failure(result):
            self.state.report_error(send_failure(result))
        else:
            sent = [note for note in result.notes if note.startswith("Sent ")]
            if sent:
                self.state.notify(f"Exported {names}; {sent[0]}")

    # -- label files --------------------------------------------------------------------------

    def save_labels(self, path: str | Path | None = None) -> bool:
        """File ▸ Save Labels: `labels/<name>.labels.nii.gz` beside the CT (atomic), and the
        volume case in the datastore (desktop.shell.saving)."""
        if not self.active:
            self.state.notify("No volume open: nothing to save")
            return False
        return self.host.save_volume_labels(self.session, path)  # + the datastore

    def choose_labels(self) -> None:
        start = str(self.session.path.parent) if self.session.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self.host.parent_widget(),
            "Load labels",
            start,
            "NIfTI labels (*.nii *.nii.gz);;All files (*)",
        )
        if path:
            self.session.load_labels(path)

    def confirm_leave(self, what: str) -> bool:
        """Unsaved label edits: ask (save / discard / cancel) as the window does for 2D."""
        if not self.session.modified:
            return True
        answer = self.host.ask_unsaved_changes(what)
        if answer == SAVE:
            return self.save_labels()
        return answer == DISCARD
