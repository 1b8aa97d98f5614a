"""The Model & training dock: registry history, activate and roll back, the "can fine-tune?"
check, a real fine-tuning child under QProcess with live progress and the gate's verdict,
cancel, and the child's errors in the error bar.

A module-wide data root is prepared once (the tiny untrained bundle promoted into the registry,
a few corrected datastore cases) and copied into each test's LESIONLENS_HOME, so a real
1-epoch child on 64-px images finishes in seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PySide6.QtCore import QProcess

from desktop.main_window import MainWindow
from desktop.models.feedback.state import CANCELLED, DONE, FAILED, TrainingState
from engine.bundle import default_bundle_dir, read_bundle
from engine.datastore import HELDOUT, TRAIN, Datastore, split_for
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from engine.jobs import read_log, read_status
from engine.registry import Gate, Registry
from engine.synth.dataset import write_dataset

N_TRAIN, N_HELDOUT = 3, 1
JOB_TIMEOUT_MS = 120_000
MODEL_TIMEOUT_MS = 15_000


def case_ids(split: str, count: int) -> list[str]:
    """Case ids the datastore's fixed split puts in `split` (it hashes the id)."""
    return [c for c in (f"case{k:02d}" for k in range(100)) if split_for(c) == split][:count]


def add_corrected(store: Datastore, data: Path, cases: list[tuple[str, str]]) -> None:
    """(synthetic case, datastore id) pairs: import the image, save its true mask as the
    clinician's correction."""
    labels = dict(line.split(",") for line in (data / "labels.csv").read_text().splitlines()[1:])
    for source, case_id in cases:
        store.add_case(data / "images" / f"{source}.png", case_id=case_id)
        mask = np.asarray(PILImage.open(data / "masks" / f"{source}.png")) > 0
        store.save_correction(case_id, mask, labels[source], "dr.test")


@pytest.fixture(scope="module")
def prepared_home(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: Path) -> Path:
    """A data root whose active model is the tiny bundle (promoted over the shipped default),
    with N_TRAIN corrected training and N_HELDOUT corrected held-out cases."""
    root = tmp_path_factory.mktemp("prepared")
    home = root / "home"
    data = write_dataset("nodes", N_TRAIN + N_HELDOUT, root / "data", seed=9, val_fraction=0)
    sources = sorted(p.stem for p in (data / "images").iterdir())
    gate_cases = write_dataset("nodes", 2, root / "gate", seed=10, val_fraction=0)
    lenient = Gate(gate_cases, dice_margin=1.0, accuracy_margin=1.0, min_cases=1)
    assert Registry(home).promote(tiny_bundle, lenient).promoted
    ids = case_ids(TRAIN, N_TRAIN) + case_ids(HELDOUT, N_HELDOUT)
    add_corrected(Datastore(home), data, list(zip(sources, ids, strict=False)))
    return home


@pytest.fixture
def home(prepared_home: Path, datastore_home: Path) -> Path:
    shutil.copytree(prepared_home, datastore_home, dirs_exist_ok=True)
    return datastore_home


@pytest.fixture
def panel_window(home: Path, window: MainWindow) -> MainWindow:
    # One optimiser step per epoch on the few cases, one torch thread (a busy 2-core box).
    window.training.request_overrides = {
        "recipe": {"batch_size": 4, "steps_per_epoch": 1},
        "threads": 1,
    }
    window.training.refresh()
    window.training_action.trigger()  # Model ▸ Model & Training Panel
    return window


def wait_for_model(qtbot, window: MainWindow, model_id: str) -> None:  # noqa: ANN001
    qtbot.waitUntil(
        lambda: window.state.model.spec.model_id == model_id and not window.has_running_jobs(),
        timeout=MODEL_TIMEOUT_MS,
    )


def test_panel_shows_the_registry_and_activate_and_rollback_change_the_model(
    qtbot, panel_window: MainWindow, home: Path, node_png: Path
) -> None:  # noqa: ANN001
    window, panel = panel_window, panel_window.training_panel
    window.open_path(node_png)
    registry = Registry(home)
    builtin = read_bundle(default_bundle_dir())
    assert panel.isVisible() and registry.active_id() == "tiny-base"
    assert panel.model_value("Model") == "tiny-base"
    assert panel.model_value("Intended use") == "tests only"
    assert panel.model_value("Parent") == "none (trained from scratch)"
    gate = registry.get("tiny-base").gate["candidate"]
    assert f"Dice {gate['dice']:.3f} · accuracy {gate['accuracy']:.3f}" in panel.model_value(
        "Held-out"
    )
    test = builtin.metrics["test"]
    assert panel.history_rows() == [
        ("tiny-base", "active", f"{gate['dice']:.3f}", f"{gate['accuracy']:.3f}"),
        (builtin.spec.model_id, "previous", f"{test['dice']:.3f}", f"{test['accuracy']:.3f}"),
    ]

    assert panel.rollback_button.isEnabled()
    panel.rollback_button.click()
    assert Registry(home).active_id() == builtin.spec.model_id
    wait_for_model(qtbot, window, builtin.spec.model_id)  # analyses use it from now on
    assert panel.model_value("Model") == builtin.spec.model_id
    assert [r[1] for r in panel.history_rows()] == ["available", "active"]
    assert not panel.rollback_button.isEnabled()  # the first model: nothing before it

    assert not panel.activate_button.isEnabled()  # nothing selected
    assert panel.select_model("tiny-base")
    panel.activate_button.click()
    assert Registry(home).active_id() == "tiny-base"
    wait_for_model(qtbot, window, "tiny-base")
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=MODEL_TIMEOUT_MS)
    assert window.state.analysis.prediction.model_id == "tiny-base"  # re-analysed with it
    assert panel.history_rows()[0][:2] == ("tiny-base", "active")
    assert panel.rollback_button.text() == f"Roll back to {builtin.spec.model_id}"
    assert window.error_bar.isHidden()


def test_readiness_check_disables_fine_tuning_with_the_reason(
    qtbot, prepared_home: Path, home: Path, window: MainWindow, tmp_path: Path
) -> None:  # noqa: ANN001
    for name in ("datastore.json", "images", "labels"):  # a datastore without held-out cases
        path = home / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    data = prepared_home.parent / "data"
    sources = sorted(p.stem for p in (data / "images").iterdir())
    add_corrected(Datastore(home), data, list(zip(sources, case_ids(TRAIN, N_TRAIN), strict=False)))
    window.training.refresh()
    window.training_panel.show()
    panel = window.training_panel
    assert not panel.finetune_button.isEnabled() and not window.finetune_action.isEnabled()
    assert panel.readiness_label.text().startswith("Not available: correct at least one held-out")
    assert not window.start_finetune()  # the menu path says why too
    assert "Cannot fine-tune: correct at least one held-out" in window.error_bar.message()

    # Reviewing a case that falls in the held-out split and saving it (Ctrl+S) makes it ready.
    held_id = case_ids(HELDOUT, 1)[0]
    image = tmp_path / f"{held_id}.png"  # the datastore names the case after the file
    shutil.copy(data / "images" / f"{sources[-1]}.png", image)
    assert window.open_path(image)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=MODEL_TIMEOUT_MS)
    assert window.save_review()
    assert Datastore(home).case(held_id).heldout
    assert panel.finetune_button.isEnabled() and window.finetune_action.isEnabled()
    assert panel.readiness_label.text() == (
        f"Ready: fine-tunes tiny-base on {N_TRAIN} corrected training cases; "
        "1 held-out case (never trained on) judge it. The gate promotes only on 10 or more: "
        "review 9 more held-out cases (about 1 in 5 reviewed cases is held out); until then a "
        "candidate can be tried, not promoted."
    )


def test_the_reader_names_the_replay_data_of_a_model_trained_on_unshipped_data(
    qtbot, panel_window: MainWindow, home: Path, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    """The tiny model has no record of its training data: the panel says fine-tuning may
    forget it and offers Replay data…; the folder chosen is kept in the data root and every
    later request (GUI and CLI) replays it; Clear forgets it."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    from engine.jobs import datastore_request

    panel = panel_window.training_panel
    assert "replay: none — tiny-base has no record of its training data" in (
        panel.replay_label.text()
    )
    assert not panel.replay_button.isHidden() and panel.replay_clear_button.isHidden()
    data = write_dataset("nodes", 4, tmp_path / "first", seed=5, val_fraction=0)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(data))
    qtbot.mouseClick(panel.replay_button, Qt.MouseButton.LeftButton)
    assert f"replay: up to 128 lesion cases of {data.resolve()}" in panel.replay_label.text()
    assert not panel.replay_clear_button.isHidden()
    request = datastore_request(Datastore(home), panel_window.training.active_bundle.directory)
    assert request.replay is not None and request.replay.folder == str(data.resolve())
    qtbot.mouseClick(panel.replay_clear_button, Qt.MouseButton.LeftButton)
    assert "replay: none" in panel.replay_label.text() and panel.replay_clear_button.isHidden()
    assert datastore_request(Datastore(home), request.base.dir).replay is None


def test_a_model_without_weights_cannot_be_fine_tuned(tmp_path: Path, tiny_bundle: Path) -> None:
    from desktop.models.reading.review_store import ReviewStore

    no_weights = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, no_weights)
    (no_weights / "weights.pt").unlink()
    state = TrainingState(ReviewStore(tmp_path / "home"))
    state.active_bundle = read_bundle(no_weights)
    assert "tiny-base has no weights.pt" in state.finetune_blocker()
    state.active_bundle = read_bundle(tiny_bundle)
    assert state.finetune_blocker().startswith("no corrected cases yet")


def test_fine_tune_runs_a_real_child_shows_progress_curves_and_the_verdict(
    qtbot, panel_window: MainWindow, home: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    window, panel, training = panel_window, panel_window.training_panel, panel_window.training
    assert panel.finetune_button.isEnabled(), panel.readiness_label.text()
    panel.epochs_box.setValue(1)
    panel.finetune_button.click()
    assert not panel.finetune_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: training.phase in (DONE, FAILED), timeout=JOB_TIMEOUT_MS)
    assert training.phase == DONE, window.error_bar.message()

    request = training.request
    job_dir = Path(request.job_dir)
    log = read_log(job_dir)
    epochs = [e for e in log if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1] and log[-1]["event"] == "done"
    assert panel.progress.maximum() == 1 and panel.progress.value() == 1
    x, y = panel.loss_curve.getData()
    assert list(x) == [1] and y[0] == pytest.approx(epochs[0]["loss"])
    x, y = panel.dice_curve.getData()
    assert list(x) == [1] and y[0] == pytest.approx(epochs[0]["val_dice"])
    assert sorted(request.train["cases"]) == case_ids(TRAIN, N_TRAIN)

    # The verdict's numbers against an independent scoring of both models.
    candidate_id = log[-1]["model_id"]
    heldout = Datastore(home).export_training_set(tmp_path / "heldout", split=HELDOUT)
    after = evaluate_folder(heldout, load_model(request.out, device="cpu"))["summary"]
    before = evaluate_folder(heldout, load_model(request.base.dir, device="cpu"))["summary"]
    dice_row, accuracy_row = panel.verdict_cells()
    assert dice_row[:3] == ["Dice", f"{before['dice']:.4f}", f"{after['dice']:.4f}"]
    assert accuracy_row[:3] == [
        "Accuracy",
        f"{before['accuracy']:.4f}",
        f"{after['accuracy']:.4f}",
    ]
    # One held-out case: the default gate (10) cannot promote whatever the numbers; the panel
    # says how many more are needed and the candidate is available to try.
    verdict = training.verdict
    assert not verdict.promoted and verdict.too_few_cases and verdict.cases_needed == 9
    assert panel.verdict_label.text() == (
        "NOT PROMOTED: tiny-base stays active; review 9 more held-out cases (n=1 of 10). "
        f"{candidate_id} can be tried (select it and Activate)."
    )
    assert "Paired Dice difference" in panel.verdict_reasons.text()
    assert f"Held-out cases ({verdict.heldout_id}): {case_ids(HELDOUT, 1)[0]}" in (
        panel.verdict_reasons.text()
    )

    entry = Registry(home).get(candidate_id)
    assert entry.status == "available" and Registry(home).active_id() == "tiny-base"
    assert entry.parent == "tiny-base" and entry.gate["cases_needed"] == 9
    assert panel.history_rows()[0][:2] == (candidate_id, "available")
    assert read_status(job_dir)["state"] == "done"
    assert panel.select_model(candidate_id) and panel.activate_button.isEnabled()  # try it
    assert window.error_bar.isHidden()


@pytest.mark.skipif(os.name == "nt", reason="process groups are POSIX")
def test_cancel_kills_the_child_and_leaves_no_half_bundle(
    qtbot, panel_window: MainWindow, home: Path
) -> None:  # noqa: ANN001
    window, panel, training = panel_window, panel_window.training_panel, panel_window.training
    runner = window.training_runner
    models_before = [e.model_id for e in Registry(home).list()]
    panel.epochs_box.setValue(200)
    panel.finetune_button.click()
    qtbot.waitUntil(lambda: len(training.curve_epochs) >= 1, timeout=JOB_TIMEOUT_MS)
    assert panel.progress.maximum() == 200 and panel.progress.value() >= 1
    assert "ETA" in panel.progress.format()
    out = Path(training.request.out)
    staging = out.parent / f".{out.name}.half"  # what the bundle writer stages while exporting
    staging.mkdir()
    (staging / "model.onnx").write_bytes(b"half")
    pid = runner.pid
    assert pid > 0
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: training.phase == CANCELLED, timeout=JOB_TIMEOUT_MS)
    assert runner.process.state() == QProcess.ProcessState.NotRunning
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed, and reaped
    assert not out.exists() and not list(out.parent.glob(f".{out.name}*"))
    job_dir = Path(training.request.job_dir)
    assert read_status(job_dir)["state"] == "cancelled" and not (job_dir / "work").exists()
    assert [e.model_id for e in Registry(home).list()] == models_before
    assert panel.verdict_label.text().startswith("Cancelled")
    assert panel.finetune_button.isEnabled() and window.error_bar.isHidden()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "import json; print(json.dumps({'event': 'error', 'message': 'boom: bad data'}));"
            "raise SystemExit(2)",
            "Fine-tuning failed: boom: bad data",
        ),
        (
            "import sys; sys.stderr.write('MemoryError: out of memory\\n'); raise SystemExit(1)",
            "Fine-tuning failed: exit status 1: MemoryError: out of memory",
        ),
    ],
)
def test_child_errors_go_to_the_error_bar(
    qtbot, panel_window: MainWindow, home: Path, script: str, expected: str
) -> None:  # noqa: ANN001
    window, training = panel_window, panel_window.training
    window.training_runner.command_for = lambda _path: [sys.executable, "-c", script]
    assert window.start_finetune()
    qtbot.waitUntil(lambda: training.phase == FAILED, timeout=JOB_TIMEOUT_MS)
    assert window.error_bar.message() == expected
    assert window.training_panel.verdict_label.text().startswith("Failed")
    assert len(Registry(home).list()) == 2  # nothing registered
