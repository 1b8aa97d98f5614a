"""The open volume as plain Python: crosshair, presets, stale model results, kept edits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.models.volume.session import HU_PRESETS, VolumeSession
from engine.types import Volume, VolumePrediction, WindowPreset

SHAPE = (6, 10, 12)
NAMES = ("background", "kidney", "tumour")


def volume(presets: tuple[WindowPreset, ...] = ()) -> Volume:
    return Volume(np.zeros(SHAPE, np.int16), (2.0, 1.0, 1.0), window_presets=presets)


def prediction(labels: np.ndarray) -> VolumePrediction:
    return VolumePrediction(labels, NAMES, {"benign": 0.4, "malignant": 0.6}, {}, "m")


def test_crosshair_presets_and_events() -> None:
    own = WindowPreset("Scanner", 50.0, 350.0)
    session = VolumeSession()
    events: list[str] = []
    for name in ("position_changed", "window_changed"):
        session.subscribe(name, lambda *_a, name=name: events.append(name))
    session.open(volume((own, WindowPreset("Bone too", 400.0, 1800.0))))
    assert session.position == (3, 5, 6)
    assert [p.name for p in session.presets] == [*(p.name for p in HU_PRESETS), "Scanner"]
    assert session.window.center == 50.0  # the file's own first preset
    events.clear()
    assert session.set_slice("sagittal", 99) and session.position == (3, 5, 11)
    assert not session.set_slice("sagittal", 11)  # no change, no event
    assert session.apply_preset("Lung") and session.window.levels == (-1350.0, 150.0)
    assert events == ["position_changed", "window_changed"]


def test_a_result_for_a_volume_no_longer_open_is_dropped() -> None:
    session = VolumeSession()
    session.open(volume())
    request = session.start_analysis(Path("/bundle"))
    assert session.busy
    session.open(volume())  # another case meanwhile
    assert not session.finish_analysis(request, prediction(np.ones(SHAPE, np.uint8)))
    assert session.prediction is None and not session.labels.labels.any()


def test_unsaved_edits_survive_the_model_and_stay_unsaved() -> None:
    session = VolumeSession()
    session.open(volume())
    mine = np.zeros(SHAPE, np.uint8)
    mine[1:3, 2:5, 2:5] = 2
    session.labels.replace(mine, "mine")
    ai = np.zeros(SHAPE, np.uint8)
    ai[2:5, 4:8, 4:8] = 1
    request = session.start_analysis(Path("/bundle"))
    assert session.finish_analysis(request, prediction(ai))
    assert np.array_equal(session.labels.labels, mine) and session.modified
    assert np.array_equal(session.labels.original, ai)
    assert session.undo() and np.array_equal(session.labels.labels, ai)

    session.open(volume())  # untouched labels: the model's are shown
    request = session.start_analysis(Path("/bundle"))
    session.finish_analysis(request, prediction(ai))
    assert np.array_equal(session.labels.labels, ai) and not session.modified
    assert not session.reset_to_ai()  # already the AI's
