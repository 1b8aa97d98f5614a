"""training.finetune in process: the freezing schedule, the loop keeping frozen levels fixed,
replay in the batches, and the refusals (bad request, changed base, held-out overlap)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch

from engine.jobs import read_log, read_status
from engine.synth.dataset import write_dataset
from training.checkpoint import network_from_bundle
from training.data import load_folder
from training.finetune import EXIT_BAD_REQUEST, Recipe, adapt, main

LEVELS = (
    "encoder.stem",
    "encoder.level1",
    "encoder.level2",
    "encoder.level3",
    "encoder.attention",
)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset("nodes", 6, tmp_path_factory.mktemp("nodes"), seed=3, val_fraction=0.34)


def test_hierarchical_schedule_releases_the_deepest_level_first(
    tiny_bundle: Path, nodes: Path
) -> None:
    data = load_folder(nodes, 64)
    events: list[dict] = []
    recipe = Recipe(batch_size=2, steps_per_epoch=1, freeze="hierarchical", annotations=0.0)
    adapt(
        network_from_bundle(tiny_bundle),
        data.subset("train"),
        None,
        data.subset("val"),
        10,
        0,
        recipe,
        0.0,
        events.append,
    )
    stages = [e for e in events if e["event"] == "stage"]
    assert stages[0] == {"event": "stage", "epoch": 1, "trainable": []}
    assert stages[-1]["trainable"] == list(LEVELS)
    first = {level: min(s["epoch"] for s in stages if level in s["trainable"]) for level in LEVELS}
    starts = [first[level] for level in reversed(LEVELS)]  # attention ... stem
    assert starts == sorted(starts) and starts[0] < starts[-1]
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == list(range(1, 11))


def test_frozen_encoder_stays_exactly_as_loaded(tiny_bundle: Path, nodes: Path) -> None:
    data = load_folder(nodes, 64)
    base = network_from_bundle(tiny_bundle)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    events: list[dict] = []
    recipe = Recipe(batch_size=4, steps_per_epoch=2, freeze="hierarchical", frozen_fraction=1.0)
    net, history = adapt(
        base,
        data.subset("train"),
        data.subset("train"),  # replayed too: one of every four in a batch
        data.subset("val"),
        epochs=1,
        seed=0,
        recipe=recipe,
        replay_fraction=0.25,
        log=events.append,
    )
    after = net.state_dict()
    encoder = [k for k in before if k.startswith("encoder.")]
    decoder = [k for k in before if not k.startswith("encoder.")]
    assert encoder and all(torch.equal(before[k], after[k]) for k in encoder)
    assert any(not torch.equal(before[k], after[k]) for k in decoder)
    assert events[0] == {"event": "stage", "epoch": 1, "trainable": []}
    assert history[0]["epoch"] == 1 and 0.0 <= history[0]["val_dice"] <= 1.0
    assert {"loss", "val_dice", "val_accuracy", "eta_s", "epochs"} <= set(history[0])
    assert all(p.requires_grad for p in net.parameters())  # ready for export


def test_head_warm_up_keeps_the_encoder_while_the_heads_learn(
    tiny_bundle: Path, nodes: Path
) -> None:
    data = load_folder(nodes, 64)
    for warm_up, encoder_moves in ((1.0, False), (0.0, True)):
        net = network_from_bundle(tiny_bundle)
        start = {k: v.clone() for k, v in net.state_dict().items()}
        recipe = Recipe(batch_size=4, steps_per_epoch=2, head_warmup_fraction=warm_up)
        events: list[dict] = []
        net, _ = adapt(
            net, data.subset("train"), None, data.subset("val"), 1, 0, recipe, 0.0, events.append
        )
        after = net.state_dict()
        encoder = [k for k in start if k.startswith("encoder.")]
        heads = [k for k in start if not k.startswith("encoder.")]
        assert any(not torch.equal(start[k], after[k]) for k in encoder) is encoder_moves
        assert any(not torch.equal(start[k], after[k]) for k in heads)
        trainable = [] if warm_up else list(LEVELS)
        assert events[0] == {"event": "stage", "epoch": 1, "trainable": trainable}


def test_anchor_keeps_the_weights_near_the_base(tiny_bundle: Path, nodes: Path) -> None:
    data = load_folder(nodes, 64)
    moved = []
    for weight in (0.0, 1.0):
        net = network_from_bundle(tiny_bundle)
        start = {name: p.detach().clone() for name, p in net.named_parameters()}
        recipe = Recipe(batch_size=4, steps_per_epoch=4, anchor_weight=weight)
        net, _ = adapt(
            net, data.subset("train"), None, data.subset("val"), 1, 0, recipe, 0.0, lambda e: None
        )
        moved.append(sum(float(((p - start[n]) ** 2).sum()) for n, p in net.named_parameters()))
    assert 0 < moved[1] < 0.5 * moved[0]


def _request(tmp_path: Path, **fields) -> Path:  # noqa: ANN003
    path = tmp_path / "job" / "request.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields))
    return path


def _last_event(capsys: pytest.CaptureFixture) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_bad_request_is_one_error_line_and_exit_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    path = _request(tmp_path, base={"dir": "x"}, heldout={}, epochs=1, out="o")
    assert main(["--request", str(path)]) == EXIT_BAD_REQUEST
    event = _last_event(capsys)
    assert event["event"] == "error" and "no train" in event["message"]
    assert read_status(path.parent)["state"] == "failed"
    assert read_log(path.parent) == [event]


def test_changed_base_and_heldout_overlap_are_refused(
    tmp_path: Path, tiny_bundle: Path, nodes: Path, capsys: pytest.CaptureFixture
) -> None:
    common = {"epochs": 1, "out": str(tmp_path / "cand")}
    path = _request(
        tmp_path,
        base={"dir": str(tiny_bundle), "model_id": "some-other-model"},
        train={"folder": str(nodes), "split": "train"},
        heldout={"folder": str(nodes), "split": "val"},
        **common,
    )
    assert main(["--request", str(path)]) == EXIT_BAD_REQUEST
    assert "pinned some-other-model" in _last_event(capsys)["message"]

    path = _request(
        tmp_path,
        base={"dir": str(tiny_bundle), "model_id": "tiny-base"},
        train={"folder": str(nodes)},
        heldout={"folder": str(nodes), "split": "val"},
        **common,
    )
    assert main(["--request", str(path)]) == EXIT_BAD_REQUEST
    assert "never trained on" in _last_event(capsys)["message"]
    assert not (tmp_path / "cand").exists() and not (tmp_path / "job" / "work").exists()


def test_recorder_line_protocol(tmp_path: Path) -> None:
    from engine.jobs import JobRecorder

    stream = io.StringIO()
    recorder = JobRecorder(tmp_path, "j1", stream=stream)
    recorder.emit({"event": "epoch", "epoch": 1, "epochs": 2, "loss": 0.5, "val_dice": 0.7})
    recorder.emit({"event": "done", "candidate": "c"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines == read_log(tmp_path) and lines[0]["val_dice"] == 0.7
    status = read_status(tmp_path)
    assert status["state"] == "done" and status["epoch"] == 1 and status["candidate"] == "c"


def test_a_fine_tuned_card_says_what_it_was_trained_on(tiny_bundle: Path, tmp_path: Path) -> None:
    """The card (and so the GUI's banner, which quotes it) names the reviewed cases, the date
    and the base, and drops the base's "No patient data" claim, which no longer holds."""
    import datetime as dt
    import shutil

    from desktop.models.image.findings_table import disclaimer_text
    from engine.bundle import read_bundle
    from engine.inference import load_model
    from training.finetune import _candidate_spec

    base = read_bundle(tiny_bundle)
    base.spec.card["training_data"] = "Synthetic lymph-node B-mode images. No patient data."
    from engine.finetune_request import BaseModel, FinetuneRequest

    request = FinetuneRequest(
        BaseModel(str(tiny_bundle)), {"datastore": "/home", "split": "train", "cases": {}}, {}, 1
    )
    spec = _candidate_spec(request, base, 23, "abc123")
    today = f"{dt.datetime.now(dt.UTC):%Y-%m-%d}"
    text = spec["card"]["training_data"]
    assert text.startswith(
        f"Fine-tuned on 23 reviewed cases of this site, {today}, from tiny-base "
        f"v{base.spec.version} (data abc123)."
    )
    assert "no patient data" not in text.lower()
    assert "Base model: Synthetic lymph-node B-mode images." in text
    assert spec["card"]["fine_tuned"]["n_cases"] == 23
    thyroid = request.replace(train={"folder": "/data/thyroid", "split": "train"})
    folder = _candidate_spec(thyroid, base, 5, "d")
    assert folder["card"]["training_data"].startswith(
        "Fine-tuned on 5 cases of the data set thyroid"
    )

    bundle = Path(shutil.copytree(tiny_bundle, tmp_path / "bundle"))
    (bundle / "model.json").write_text(json.dumps(spec))
    banner = disclaimer_text(load_model(bundle, device="cpu"))
    assert f"Fine-tuned on 23 reviewed cases of this site, {today}" in banner


def test_a_folder_replay_is_a_seeded_sample_of_its_lesion_cases(
    nodes: Path, tmp_path: Path
) -> None:
    """A model's real training data named by the reader (any layout engine.datasets reads):
    its normal cases are not replayed, and n cases are a seeded sample, not the first n."""
    import shutil

    import numpy as np
    from PIL import Image

    from engine.finetune_request import Replay
    from training.finetune import _load_replay

    folder = shutil.copytree(nodes, tmp_path / "data")
    (folder / "split.csv").unlink()
    lesions = sorted(
        line.split(",")[0] for line in (folder / "labels.csv").read_text().splitlines()[1:]
    )
    with (folder / "labels.csv").open("a") as table:
        for k in range(3):
            Image.fromarray(np.full((64, 64), 40, np.uint8)).save(folder / "images" / f"n{k}.png")
            table.write(f"n{k},normal\n")
    classes = ("benign", "malignant")
    every = _load_replay(Replay(folder=str(folder)), tmp_path / "w", 64, classes)
    assert every is not None and sorted(every.cases) == lesions
    picks = [
        _load_replay(Replay(folder=str(folder), n=3, seed=seed), tmp_path / "w", 64, classes)
        for seed in (0, 0, 1)
    ]
    assert all(p is not None and len(p) == 3 and set(p.cases) <= set(lesions) for p in picks)
    assert picks[0].cases == picks[1].cases  # seeded
    assert {tuple(p.cases) for p in picks} != {tuple(lesions[:3])}  # not just the first three
