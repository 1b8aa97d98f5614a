"""Desktop fixtures: the model for GUI tests, a known analysis, and a shown main window.

The tests run against the default bundle (`default_model` in tests/conftest.py). Set
LESIONLENS_TEST_MODEL=/path/to/bundle to point them at another bundle, e.g. while the default
one is being trained.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

from engine.analysis import findings_from
from engine.inference import LoadedModel, load_model
from engine.synth.nodes import NodeSample
from engine.types import Analysis, Image, Prediction


@pytest.fixture(scope="session", autouse=True)
def qt_configured() -> None:
    """What app.main does before any widget exists (binding fix, pyqtgraph row-major)."""
    from desktop.app import configure_qt

    configure_qt()


@pytest.fixture(scope="session")
def model(request: pytest.FixtureRequest) -> LoadedModel:
    override = os.environ.get("LESIONLENS_TEST_MODEL")
    if override:
        return load_model(override, device="cpu")
    return request.getfixturevalue("default_model")


@pytest.fixture
def known_analysis(node_sample: NodeSample) -> Analysis:
    """The synthetic ground truth dressed as a prediction: drawing tests then do not depend on
    what a model happens to find."""
    image = Image(pixels=node_sample.image, spacing_mm=(node_sample.spacing_mm,) * 2)
    mask = (node_sample.mask > 0).astype(np.uint8)
    prediction = Prediction(
        mask=mask,
        probabilities={"benign": 0.8, "malignant": 0.2},
        uncertainty=np.zeros(mask.shape, dtype=np.float32),
        model_id="ground-truth",
    )
    return Analysis(image=image, prediction=prediction, findings=findings_from(image, prediction))


@pytest.fixture
def window(qtbot, model: LoadedModel) -> Iterator[object]:  # noqa: ANN001 - pytest-qt's qtbot
    from desktop.main_window import MainWindow
    from desktop.state import CaseState

    main_window = MainWindow(CaseState(model))
    qtbot.addWidget(main_window)
    main_window.resize(1280, 800)
    main_window.show()
    yield main_window
    main_window.close()  # waits for a running analysis before the widgets go
