"""engine.case and engine.tasks: one Case for every kind, one Task per kind, one analyse loop.

Each task runs for real on a tiny synthetic case with the bundle it ships with (default for
images, scinti-two-view for anterior + posterior views, kidney-ct for volumes); a missing
bundle fails these tests, it never skips them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.case import IMAGE, STUDY, VOLUME, Case, dataset_kind, inputs_kind, open_case
from engine.errors import LoadError
from engine.model_catalog import models_root
from engine.tasks import (
    TASKS,
    AnalyseRequest,
    Batch,
    BatchRefused,
    CaseInput,
    ExportBatchRequest,
    ModelRequest,
    analyse_cases,
    task_for,
    task_for_kind,
)
from engine.tasks.image import ImageTask
from engine.tasks.views import ViewsTask
from engine.tasks.volume import VolumeTask
from engine.types import (
    Analysis,
    CaseAnalysis,
    CasePrediction,
    Prediction,
    StudyAnalysis,
    StudyPrediction,
    VolumeAnalysis,
    VolumePrediction,
)


def _shipped(name: str) -> Path:
    """A shipped bundle, which must be there: its absence is a failure, not a skip."""
    folder = models_root() / name
    assert (folder / "model.onnx").is_file(), f"the shipped bundle {name} is missing"
    return folder


def _png(path: Path, shape: tuple[int, int] = (64, 72), seed: int = 0) -> Path:
    """A grey picture with a darker ellipse in the middle (a lesion-like blob)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices(shape)
    blob = ((rows - shape[0] / 2) / (shape[0] / 5)) ** 2 + (
        (cols - shape[1] / 2) / (shape[1] / 4)
    ) ** 2
    pixels = np.where(blob < 1, 40.0, 150.0) + rng.normal(0, 8, shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
    return path


def _nifti(path: Path, hu: np.ndarray) -> Path:
    from engine.synth.nifti_out import write_nifti

    path.parent.mkdir(parents=True, exist_ok=True)
    return write_nifti(path, np.round(hu).astype(np.int16), (3.0, 2.8, 2.8))


def _request(out: Path, model: Path | None = None) -> AnalyseRequest:
    return AnalyseRequest(model=model, device="cpu", out=out, tta=False)


def test_an_image_opens_predicts_and_writes_with_the_default_bundle(tmp_path: Path) -> None:
    path = _png(tmp_path / "in" / "node7.png")
    case = open_case(path)
    assert (case.kind, case.case_id, list(case.views), case.source) == (
        IMAGE,
        "node7",
        ["image"],
        path,
    )
    task = task_for(case)
    assert isinstance(task, ImageTask)
    request = _request(tmp_path / "out", _shipped("default"))
    model = task.find_model(case, request)
    prediction = task.predict(case, model, request)
    assert isinstance(prediction, Prediction) and isinstance(prediction, CasePrediction)
    assert prediction.model_id == model.spec.model_id
    assert set(prediction.probabilities) == set(model.spec.classes)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    analysis = task.analyse(case, model, request)
    assert isinstance(analysis, Analysis) and isinstance(analysis, CaseAnalysis)
    assert analysis.prediction.label == prediction.label  # the same model, the same image
    out = tmp_path / "out" / "node7"
    task.write(case, analysis, model, out, request)
    record = json.loads((out / "findings.json").read_text())
    assert record["model_id"] == model.spec.model_id
    assert (out / "mask.png").is_file()
    line = task.result_line(case, analysis, out)
    assert line.startswith(f"node7.png: {prediction.label} (") and line.endswith(f"-> {out}")


def test_two_views_open_as_a_study_and_find_the_shipped_two_view_model(tmp_path: Path) -> None:
    folder = tmp_path / "case3"
    _png(folder / "anterior.png", (128, 48), seed=1)
    _png(folder / "posterior.png", (128, 48), seed=2)
    case = open_case(folder)
    assert (case.kind, case.case_id, list(case.views)) == (
        STUDY,
        "case3",
        ["anterior", "posterior"],
    )
    task = task_for(case)
    assert isinstance(task, ViewsTask)
    request = _request(tmp_path / "out")  # no --model: the bundle that takes these views
    model = task.find_model(case, request)
    assert model.bundle.directory.resolve() == _shipped("scinti-two-view").resolve()
    prediction = task.predict(case, model, request)
    assert isinstance(prediction, StudyPrediction) and isinstance(prediction, CasePrediction)
    assert set(prediction.probabilities) == set(model.spec.classes)
    analysis = task.analyse(case, model, request)
    assert isinstance(analysis, StudyAnalysis) and isinstance(analysis, CaseAnalysis)
    out = tmp_path / "out" / "case3"
    task.write(case, analysis, model, out, request)
    record = json.loads((out / "findings.json").read_text())
    assert (record["case"], record["label"]) == ("case3", prediction.label)
    assert sorted(record["views"]) == ["anterior", "posterior"]
    assert task.result_line(case, analysis, out).startswith("case3 (anterior, posterior): ")


def test_a_nifti_opens_as_a_volume_and_is_read_by_the_shipped_kidney_model(
    tmp_path: Path,
    volume_kit,  # noqa: ANN001
) -> None:
    path = _nifti(tmp_path / "in" / "kidney2.nii.gz", volume_kit.phantom((16, 40, 40)))
    case = open_case(path)
    assert (case.kind, case.case_id, list(case.views)) == (VOLUME, "kidney2", ["volume"])
    assert case.volume.voxels.shape == (16, 40, 40)
    task = task_for(case)
    assert isinstance(task, VolumeTask)
    request = _request(tmp_path / "out")
    model = task.find_model(case, request)
    assert model.bundle.directory.resolve() == _shipped("kidney-ct").resolve()
    prediction = task.predict(case, model, request)
    assert isinstance(prediction, VolumePrediction) and isinstance(prediction, CasePrediction)
    assert prediction.labels.shape == case.volume.voxels.shape
    analysis = task.analyse(case, model, request)
    assert isinstance(analysis, VolumeAnalysis) and isinstance(analysis, CaseAnalysis)
    out = tmp_path / "out" / "kidney2"
    task.write(case, analysis, model, out, request)
    record = json.loads((out / "volume.json").read_text())
    assert record["label_names"] == ["background", "kidney", "tumour"]
    assert record["deep_label"] == prediction.label
    assert not (out / "labels.nii.gz").exists()  # only with --labels-nifti


def test_the_analyse_loop_goes_on_past_a_bad_case_and_names_it(
    tmp_path: Path,
    capsys,  # noqa: ANN001
) -> None:
    good = _png(tmp_path / "in" / "good.png")
    bad = tmp_path / "in" / "bad.png"
    bad.write_bytes(b"not a png")
    task = TASKS[IMAGE]
    request = _request(tmp_path / "out", _shipped("default"))
    batch = task.analyse_batch([good, bad], request)
    assert [item.name for item in batch.inputs] == ["good", "bad"]
    assert analyse_cases(task, batch, request) == 1
    assert (tmp_path / "out" / "good" / "findings.json").is_file()
    assert not (tmp_path / "out" / "bad").exists()
    err = capsys.readouterr().err
    assert f"[2/2] {bad}" in err and "1 of 2 input(s) could not be analysed" in err


def test_cases_without_an_output_name_get_their_id_made_unique(tmp_path: Path) -> None:
    """Two studies of one case id write case3 and case3_2, never one over the other."""
    for parent in ("a", "b"):
        _png(tmp_path / parent / "case3" / "anterior.png", (128, 48), seed=1)
        _png(tmp_path / parent / "case3" / "posterior.png", (128, 48), seed=2)
    task = TASKS[STUDY]
    request = _request(tmp_path / "out")
    batch = Batch([CaseInput(tmp_path / p / "case3") for p in ("a", "b")], noun="case(s)")
    assert analyse_cases(task, batch, request) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["case3", "case3_2"]


def test_every_kind_has_a_task_with_the_whole_protocol() -> None:
    assert set(TASKS) == {IMAGE, STUDY, VOLUME}
    members = (
        "analyse_batch",
        "failure_name",
        "open",
        "find_model",
        "predict",
        "analyse",
        "write",
        "result_line",
        "export",
        "scoring",
    )
    for kind, task in TASKS.items():
        assert task.kind == kind and task_for_kind(kind) is task
        assert [m for m in members if not callable(getattr(task, m, None))] == []
    with pytest.raises(ValueError, match="'slide'"):
        task_for_kind("slide")


def test_a_case_says_what_it_is_not() -> None:
    from engine.types import Image

    image = Image(np.zeros((4, 4), np.uint8))
    case = Case("c1", STUDY, {"anterior": image}, Path("c1"))
    with pytest.raises(TypeError, match="c1 is a study, not an image"):
        _ = case.image
    with pytest.raises(TypeError, match="not a volume"):
        _ = case.volume
    with pytest.raises(ValueError, match="unknown kind of case 'slide'"):
        Case("c1", "slide", {"image": image}, Path("c1"))
    with pytest.raises(LoadError, match="no views"):
        Case("c1", IMAGE, {}, Path("c1"))


def test_open_case_names_the_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as raised:
        open_case(tmp_path / "missing.png")
    assert raised.value.path == tmp_path / "missing.png"
    with pytest.raises(LoadError, match="not a volume"):
        open_case(_png(tmp_path / "flat.png"), kind=VOLUME)


def test_a_batch_and_a_data_set_have_one_kind(tmp_path: Path, volume_kit) -> None:  # noqa: ANN001
    images = [_png(tmp_path / "imgs" / "case1_us.png"), _png(tmp_path / "imgs" / "case2_photo.png")]
    study = tmp_path / "study"
    _png(study / "case7_us.png"), _png(study / "case7_photo.png")
    nifti = _nifti(tmp_path / "vol" / "v.nii.gz", volume_kit.phantom((8, 16, 16)))
    assert inputs_kind(images) == IMAGE
    assert inputs_kind([tmp_path / "imgs"]) == IMAGE  # two cases with one view each
    assert inputs_kind([study]) == STUDY
    assert inputs_kind([study], case="case7") == STUDY
    assert inputs_kind([images[0], nifti]) == VOLUME  # any volume makes a volume batch
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "views.csv").write_text("case,view,file\n")
    assert dataset_kind(tmp_path / "views") == STUDY
    assert dataset_kind(tmp_path / "vol") == IMAGE  # not images/: no volume data set
    _nifti(tmp_path / "vols" / "images" / "v.nii.gz", volume_kit.phantom((8, 16, 16)))
    assert dataset_kind(tmp_path / "vols") == VOLUME


def test_each_kind_refuses_what_it_cannot_do_before_reading_anything(tmp_path: Path) -> None:
    missing = [tmp_path / "never-read"]
    with pytest.raises(BatchRefused, match="--frame counts from 1"):
        TASKS[IMAGE].analyse_batch(missing, AnalyseRequest(out=tmp_path, frame=0))
    with pytest.raises(BatchRefused, match="no input images found"):
        TASKS[IMAGE].export([tmp_path], ExportBatchRequest(out=tmp_path / "out"))
    study = tmp_path / "case7"
    _png(study / "case7_us.png"), _png(study / "case7_photo.png")
    with pytest.raises(BatchRefused, match="no SEG, SR or key image"):
        TASKS[STUDY].export([study], ExportBatchRequest(out=tmp_path, seg=Path("s.dcm")))
    with pytest.raises(BatchRefused, match="--key-image is for images"):
        TASKS[VOLUME].export(missing, ExportBatchRequest(out=tmp_path, key_image=Path("k.png")))


def test_the_image_model_lookup_applies_the_operating_point() -> None:
    """--model wins over the registry, and --operating-point moves the lesion threshold of
    that model (the shipped breast model names sensitive, balanced and specific)."""
    from engine.errors import BundleError
    from engine.tasks.image import image_model

    breast = _shipped("breast-us")
    plain = image_model(ModelRequest(model=breast, device="cpu"))
    assert plain.bundle.directory == breast
    moved = image_model(ModelRequest(model=breast, device="cpu", operating_point="sensitive"))
    assert moved.spec.operating_point == "sensitive"
    named = {p.name: p.threshold for p in plain.spec.operating_points}
    assert moved.spec.presence_threshold == named["sensitive"] != named["specific"]
    with pytest.raises(BundleError, match="nonesuch"):
        image_model(ModelRequest(model=breast, device="cpu", operating_point="nonesuch"))
