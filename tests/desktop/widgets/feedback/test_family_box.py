"""The training panel's "Model to fine-tune" box: images only until CT cases are stored, then
the CT model too; choosing it shows that model, its readiness and its history."""

from __future__ import annotations

from pathlib import Path

from desktop.models.feedback.state import TrainingState
from desktop.models.reading.review_store import ReviewStore
from desktop.widgets.feedback.panel import TrainingPanel
from desktop.widgets.feedback.runner import TrainingRunner
from engine.bundle import default_bundle_dir, read_bundle
from engine.model_catalog import bundle_for_volume
from engine.registry import IMAGE, VOLUME


def _panel(qtbot, home: Path) -> TrainingPanel:  # noqa: ANN001 - pytest-qt's qtbot
    state = TrainingState(ReviewStore(home))
    panel = TrainingPanel(state, TrainingRunner(state))
    qtbot.addWidget(panel)
    state.refresh()
    return panel


def test_the_box_offers_the_ct_model_once_ct_cases_are_stored(
    qtbot, tmp_path: Path, store_ct_cases
) -> None:  # noqa: ANN001
    home = tmp_path / "home"
    panel = _panel(qtbot, home)
    box = panel.family_box
    assert [box.itemText(i) for i in range(box.count())] == ["Image model"]
    assert not box.isEnabled()  # one family: nothing to choose

    store_ct_cases(home, 2, 1)
    panel.state.refresh()
    assert [box.itemData(i) for i in range(box.count())] == [IMAGE, VOLUME]
    assert box.itemText(1) == "CT volume model" and box.isEnabled()
    image_model = read_bundle(default_bundle_dir()).spec.model_id
    assert panel.model_value("Model") == image_model
    assert panel.readiness_label.text().startswith("Not available: correct at least 2 training")
    assert not panel.finetune_button.isEnabled()

    box.setCurrentIndex(1)  # the reader chooses the CT model
    ct = bundle_for_volume()
    assert ct is not None
    assert panel.state.family == VOLUME
    assert panel.model_value("Model") == ct.spec.model_id
    assert panel.readiness_label.text().startswith(
        f"Ready: fine-tunes {ct.spec.model_id} on 2 corrected training CT volume cases"
    )
    assert panel.finetune_button.isEnabled()
    assert [row[0] for row in panel.history_rows()] == [ct.spec.model_id]
    # A CT round replays nothing: no replay folder to ask for, and the panel says why.
    assert "a CT volume model trains on the stored cases alone" in panel.replay_label.text()
    assert not panel.state.replay_choice_needed() and panel.replay_button.isHidden()

    box.setCurrentIndex(0)
    assert panel.state.family == IMAGE and panel.model_value("Model") == image_model
    assert not panel.finetune_button.isEnabled()
