"""Active learning in the case list: "most useful to correct next" orders the cases by the
model's own uncertainty, corrected cases last, and back to name order on request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from desktop.main_window import MainWindow
from desktop.models.reading.case_list import NAME_ORDER, USEFUL_ORDER, CaseEntry, CaseList
from engine.datastore import usefulness_score
from engine.io import load_image

TIMEOUT_MS = 30_000


def test_case_list_sorts_by_score_and_back(tmp_path: Path) -> None:
    cases = CaseList()
    orders: list[str] = []
    cases.subscribe("order_changed", orders.append)
    entries = [CaseEntry(tmp_path / f"{n}.png", f"{n}.png") for n in "abcd"]
    cases.set_entries(entries, "folder")
    cases.set_current_path(tmp_path / "c.png")

    class Score:
        def __init__(self, score: float) -> None:
            self.score = score

    scores = {
        entries[0].path: Score(0.2),
        entries[1].path: None,
        entries[2].path: Score(1.4),
        entries[3].path: Score(float("-inf")),  # no stored score: unranked
    }
    cases.sort_by_usefulness(scores)
    assert [e.name for e in cases.entries] == ["c.png", "a.png", "b.png", "d.png"]
    assert [e.usefulness for e in cases.entries] == [1.4, 0.2, None, None]
    assert cases.current == 0 and cases.entries[cases.current].name == "c.png"  # follows
    cases.sort_by_name()
    assert [e.name for e in cases.entries] == ["a.png", "b.png", "c.png", "d.png"]
    assert cases.current == 2 and all(e.usefulness is None for e in cases.entries)
    assert orders == [USEFUL_ORDER, NAME_ORDER]


def test_sort_by_most_useful_to_correct_next(
    qtbot, window: MainWindow, tmp_path: Path, node_sample
) -> None:  # noqa: ANN001
    folder = tmp_path / "cases"
    folder.mkdir()
    rng = np.random.default_rng(5)
    image = node_sample.image
    pictures = {
        "a_node.png": image,
        "b_faint.png": (image.astype(np.float32) * 0.35 + 60).astype(np.uint8),
        "c_noise.png": rng.integers(0, 255, image.shape, dtype=np.uint8),
        "d_shifted.png": np.roll(image, 40, axis=1),
    }
    for name, pixels in pictures.items():
        PILImage.fromarray(pixels).save(folder / name)
    assert window.open_folder(folder)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=TIMEOUT_MS)
    assert window.save_review()  # a_node.png is corrected now: nothing left to learn there

    dock = window.case_dock
    dock.choose_order(USEFUL_ORDER)
    qtbot.waitUntil(lambda: window.cases.order == USEFUL_ORDER, timeout=TIMEOUT_MS)

    # Reference: the datastore's score from a fresh prediction of each uncorrected file.
    model = window.state.model
    reference = {}
    for name in pictures:
        if name != "a_node.png":
            prediction = model.predict(load_image(folder / name))
            reference[name] = usefulness_score(
                prediction.mask, prediction.uncertainty, prediction.spread
            )[0]
    expected = sorted(reference, key=lambda n: -reference[n]) + ["a_node.png"]
    assert dock.row_names() == expected
    shown = {e.name: e.usefulness for e in window.cases.entries}
    assert shown.pop("a_node.png") is None
    assert shown == pytest.approx(reference, rel=1e-4)
    assert not dock.table.isColumnHidden(2)
    assert dock.table.topLevelItem(0).text(2) == f"{reference[expected[0]]:.2f}"
    assert dock.sort_box.currentData() == USEFUL_ORDER
    assert window.state.path == folder / "a_node.png"  # the open case stays open
    assert window.cases.entries[window.cases.current].name == "a_node.png"

    dock.choose_order(NAME_ORDER)
    assert dock.row_names() == sorted(pictures) and dock.table.isColumnHidden(2)
