"""What is stored with a case: calipers and, since issue 20, ellipses, traces and angles.
Files written before the shapes existed still load (no shapes); the round trip through the
datastore keeps every shape exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from desktop.models.editing.caliper import CaseMeasurements
from desktop.models.reading.review import ReviewToSave
from desktop.models.reading.review_store import ReviewStore
from engine.datastore import Datastore, DatastoreError
from engine.datastore.index import INDEX_NAME
from engine.reader_shapes import Angle, Ellipse, Trace
from engine.types import Prediction

SHAPES = (
    Ellipse((40.0, 50.0), (20.0, 8.5), 30.0),
    Trace(((1.0, 2.0), (3.0, 9.0), (7.5, 4.0))),
    Angle((0.0, 10.0), (0.0, 0.0), (10.0, 0.0)),
    Ellipse((10.0, 12.0), (3.0, 3.0), 0.0),
)


def test_json_round_trip_keeps_every_shape() -> None:
    m = CaseMeasurements(2, (0.1, 0.2), (((1.0, 2.0), (3.0, 4.0)),), SHAPES)
    back = CaseMeasurements.from_json(json.loads(json.dumps(m.to_json())))
    assert back.frame_index == 2 and back.calibration_mm == (0.1, 0.2)
    assert back.calipers == m.calipers
    # Grouped by kind on disk, each kind in the order drawn.
    assert back.shapes == (SHAPES[0], SHAPES[3], SHAPES[1], SHAPES[2])
    assert not back.empty and not CaseMeasurements(shapes=SHAPES[1:2]).empty


def test_a_file_from_before_the_shapes_loads_with_none() -> None:
    old = {"frame_index": 0, "calibration_mm": None, "calipers": [[[1, 2], [3, 4]]]}
    m = CaseMeasurements.from_json(old)
    assert m.shapes == () and m.calipers == (((1.0, 2.0), (3.0, 4.0)),)


def review(path: Path, measurements: CaseMeasurements) -> ReviewToSave:
    mask = np.zeros((8, 8), np.uint8)
    mask[2:5, 2:5] = 1
    prediction = Prediction(mask, {"benign": 0.7, "malignant": 0.3}, mask * 0.0, "m1")
    return ReviewToSave(path, "image", 0, prediction, mask, "benign", "dr.a",
                        measurements=measurements)  # fmt: skip


@pytest.fixture
def png(tmp_path: Path) -> Path:
    from PIL import Image as PILImage

    path = tmp_path / "scan.png"
    PILImage.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(path)
    return path


def test_shapes_are_stored_with_the_case_and_old_entries_still_load(
    tmp_path: Path, png: Path
) -> None:
    store = ReviewStore(tmp_path / "home")
    stored = CaseMeasurements(0, None, (), SHAPES[:3])
    store.save(review(png, stored))
    assert store.measurements(png).shapes == SHAPES[:3]
    # An entry written by the previous version (calipers only) reads with no shapes.
    (case_id,) = [r.case_id for r in store.cases()]
    Datastore(tmp_path / "home").save_measurements(
        case_id, {"frame_index": 0, "calibration_mm": [0.1, 0.1], "calipers": [[[1, 1], [5, 5]]]}
    )
    old = ReviewStore(tmp_path / "home").measurements(png)
    assert old.shapes == () and old.calibration_mm == (0.1, 0.1) and len(old.calipers) == 1


def test_a_malformed_shape_is_an_error_naming_the_case(tmp_path: Path, png: Path) -> None:
    store = ReviewStore(tmp_path / "home")
    store.save(review(png, CaseMeasurements(shapes=SHAPES[:1])))
    (case_id,) = [r.case_id for r in store.cases()]
    Datastore(tmp_path / "home").save_measurements(case_id, {"angles": [[[0, 1], [2, 3]]]})
    with pytest.raises(DatastoreError, match=f"case {case_id}.*{INDEX_NAME}.*malformed"):
        ReviewStore(tmp_path / "home").measurements(png)
