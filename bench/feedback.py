"""The feedback loop on a shifted scanner (issue 8): do a few corrected cases make it better?

Target domain: synthetic lymph-node ultrasound from another scanner (`synth nodes --shift`:
other probe frequency, depth, dynamic range, gain, smoothing, gamma). A fixed held-out set
of 60 shifted cases; "corrections" are the ground-truth masks and labels of 20 further
shifted cases (what a clinician's corrected masks would be), the first 10 for one round and
all 20 for the other. Each round starts from the base model and runs the product path:
engine.jobs.start_finetune (the `python -m training.finetune` child, 2 torch threads) and
then the gate (engine.registry.Gate: onnxruntime with TTA on the same 60 held-out cases).
Forgetting is measured on 60 cases of the base model's own scanner.

Writes one JSON result and replaces its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from engine.atomic import write_bytes_atomic, write_json_atomic
from engine.bundle import default_bundle_dir, read_bundle
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from engine.jobs import describe_event, finetune_request, start_finetune
from engine.registry import Gate
from engine.synth.dataset import write_dataset

HELDOUT_SEED, CORRECTED_SEED, SOURCE_SEED = 8100, 8200, 8300
SECTION_START, SECTION_END = "<!-- feedback:start -->", "<!-- feedback:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=default_bundle_dir())
    parser.add_argument("--rounds", default="10,20", help="numbers of corrected cases")
    parser.add_argument("--n-heldout", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recipe", default="{}", help="JSON overrides of finetune.Recipe")
    parser.add_argument("--replay", default="auto", help="'auto', 'none' or a JSON object")
    parser.add_argument("--json", type=Path, default=Path("bench/results/feedback.json"))
    parser.add_argument("--docs", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--work", type=Path, default=None, help="keep data and models here")
    args = parser.parse_args()
    rounds = [int(n) for n in args.rounds.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-feedback-"))
    try:
        result = run(args, rounds, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    write_json_atomic(args.json, result)
    print(json.dumps(result["summary"], indent=2))
    if not args.no_docs:
        write_section(args.docs, result)


def run(args: argparse.Namespace, rounds: list[int], work: Path) -> dict[str, Any]:
    heldout = _synth(work / "heldout", args.n_heldout, HELDOUT_SEED, shift=True)
    corrected = _synth(work / "corrected", max(rounds), CORRECTED_SEED, shift=True)
    source = _synth(work / "source", args.n_heldout, SOURCE_SEED, shift=False)
    base = read_bundle(args.base)
    base_model = load_model(base.directory, device="cpu")
    before = _scores(base_model, heldout, source)
    replay = "auto" if args.replay == "auto" else json.loads(args.replay.replace("none", "null"))
    results, replay_used = [], None
    for n in rounds:
        train = _first_cases(corrected, work / f"train{n}", n)
        request = finetune_request(
            base.directory,
            {"folder": str(train), "split": None},
            {"folder": str(heldout), "split": None},
            epochs=args.epochs,
            seed=args.seed,
            out=work / f"candidate{n}",
            replay=replay,
            recipe=json.loads(args.recipe),
            threads=2,
        )
        replay_used = request.replay.to_json() if request.replay else None
        started, cpu_before = time.time(), _children_cpu_s()
        job = start_finetune(request, root=work / "home")
        curve = []
        for event in job.events():
            line = describe_event(event)
            if line:
                print(f"[{n} cases] {line}", flush=True)
            if event.get("event") == "epoch":
                curve.append({k: event[k] for k in ("epoch", "loss", "val_dice", "val_accuracy")})
        code = job.wait()
        job_s, job_cpu_s = time.time() - started, _children_cpu_s() - cpu_before
        if code != 0:
            raise SystemExit(f"fine-tuning with {n} cases failed: {job.error}")
        gate_started = time.time()
        verdict = Gate(heldout).judge(job.out, base.directory)
        gate_s = time.time() - gate_started
        after = _scores(load_model(job.out, device="cpu"), heldout, source)
        done = job.result or {}
        results.append(
            {
                "corrected_cases": n,
                "after": after,
                "gate": {"promoted": verdict.promoted, "reasons": list(verdict.reasons)},
                "finetune_wall_s": round(job_s, 1),
                "finetune_cpu_s": round(job_cpu_s, 1),
                "gate_wall_s": round(gate_s, 1),
                "round_wall_s": round(job_s + gate_s, 1),
                "child_peak_rss_mb": done.get("peak_rss_mb"),
                "curve": curve,
                "model_id": done.get("model_id"),
            }
        )
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "benchmark": "feedback",
        "base_model_id": base.spec.model_id,
        "heldout": f"{args.n_heldout} shifted synthetic node cases, seed {HELDOUT_SEED}",
        "corrections": f"ground-truth masks of shifted cases, seed {CORRECTED_SEED}",
        "forgetting_set": f"{args.n_heldout} original-scanner cases, seed {SOURCE_SEED}",
        "epochs": args.epochs,
        "recipe_overrides": json.loads(args.recipe),
        "replay": replay_used,
        "before": before,
        "rounds": results,
        "children_peak_rss_mb": round(children_peak, 1),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "torch_threads": 2,
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
        "summary": _summary(before, results),
    }


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of finished children: unlike wall time, not inflated by
    other work on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _synth(out: Path, n: int, seed: int, shift: bool) -> Path:
    if not (out / "labels.csv").is_file():
        write_dataset("nodes", n, out, seed=seed, shift=shift, val_fraction=0.0)
    return out


def _first_cases(source: Path, out: Path, n: int) -> Path:
    """The first n cases of a folder as a folder of their own (the corrections so far)."""
    from engine.datastore.export import build_folder

    rows = (source / "labels.csv").read_text().splitlines()[1 : n + 1]

    def fill(staging: Path) -> None:
        (staging / "images").mkdir()
        (staging / "masks").mkdir()
        for row in rows:
            case = row.split(",")[0]
            shutil.copyfile(source / "images" / f"{case}.png", staging / "images" / f"{case}.png")
            shutil.copyfile(source / "masks" / f"{case}.png", staging / "masks" / f"{case}.png")
        text = "case,label\n" + "\n".join(rows) + "\n"
        write_bytes_atomic(staging / "labels.csv", text.encode())

    return build_folder(out, fill)


def _scores(model, heldout: Path, source: Path) -> dict[str, Any]:  # noqa: ANN001
    shifted = evaluate_folder(heldout, model)["summary"]
    original = evaluate_folder(source, model)["summary"]
    keep = ("dice", "iou", "accuracy", "auc", "ece")
    return {
        "shifted_heldout": {k: round(float(shifted[k]), 4) for k in keep},
        "original_scanner": {k: round(float(original[k]), 4) for k in keep},
    }


def _summary(before: dict, rounds: list[dict]) -> dict[str, Any]:
    original = before["original_scanner"]["dice"]
    rows = {"0 (base)": before["shifted_heldout"] | {"original_dice": original}}
    for r in rounds:
        rows[str(r["corrected_cases"])] = r["after"]["shifted_heldout"] | {
            "original_dice": r["after"]["original_scanner"]["dice"],
            "round_wall_s": r["round_wall_s"],
            "finetune_cpu_s": r["finetune_cpu_s"],
            "child_peak_rss_mb": r["child_peak_rss_mb"],
            "promoted": r["gate"]["promoted"],
        }
    return rows


def write_section(path: Path, result: dict[str, Any]) -> None:
    """Replace (or append) this benchmark's section of docs/benchmarks.md."""
    intro = (
        f"Base model `{result['base_model_id']}`; held-out: {result['heldout']}; corrections: "
        f"{result['corrections']}; forgetting: Dice on {result['forgetting_set']}. Each round "
        f"fine-tunes the base for {result['epochs']} epochs in the `training.finetune` child "
        f"(2 torch threads; recipe overrides: {result['recipe_overrides'] or 'none'}) and is "
        "scored by the gate (onnxruntime, TTA). Wall time = child + gate; machine load (1 "
        f"min) at the end: {result['machine']['load_average_1m']} on "
        f"{result['machine']['cpus']} cores."
    )
    lines = [
        SECTION_START,
        "## Feedback loop: fine-tuning on corrected cases (`python bench/feedback.py`)",
        "",
        textwrap.fill(intro, width=92),
        "",
        "| corrected cases | held-out Dice | accuracy | AUC | original-scanner Dice | "
        "round wall (s) | child CPU (s) | child peak RSS (MB) | gate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["summary"].items():
        gate = "" if "promoted" not in row else ("promoted" if row["promoted"] else "rejected")
        lines.append(
            f"| {name} | {row['dice']:.3f} | {row['accuracy']:.3f} | {row['auc']:.3f} | "
            f"{row['original_dice']:.3f} | {row.get('round_wall_s', '')} | "
            f"{row.get('finetune_cpu_s', '')} | {row.get('child_peak_rss_mb', '')} | {gate} |"
        )
    lines += ["", "Raw numbers: `bench/results/feedback.json`.", SECTION_END]
    section = "\n".join(lines)
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    if SECTION_START in text and SECTION_END in text:
        head, rest = text.split(SECTION_START, 1)
        text = head + section + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


if __name__ == "__main__":
    main()
