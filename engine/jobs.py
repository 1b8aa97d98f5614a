"""Fine-tuning jobs: a folder per job and a child process that speaks JSON lines.

<root>/jobs/<job-id>/request.json   what to do, with everything pinned (see training.finetune)
<root>/jobs/<job-id>/log.jsonl      every progress event, one JSON object per line
<root>/jobs/<job-id>/status.json    the latest state: queued, running, done, failed, cancelled

The child is `python -m training.finetune --request <job>/request.json`, so torch, its
memory and any crash stay out of the caller (the GUI runs the same command with QProcess).
It prints one JSON object per line on stdout, flushed at once:

  {"event": "start", "job_id", "base_model_id", "epochs", "n_train", "n_replay", "n_heldout"}
  {"event": "stage", "epoch", "trainable": [encoder levels being trained from this epoch]}
  {"event": "epoch", "epoch", "epochs", "loss", "val_dice", "val_accuracy", "elapsed_s",
   "eta_s", "trainable"}
  {"event": "export", "out"}
  {"event": "done", "candidate", "model_id", "parent_model_id", "wall_s", "peak_rss_mb",
   "heldout": {"dice", "accuracy"}}
  {"event": "error", "message"}

Exit status 0 means a complete candidate bundle is in place; anything else means there is
none (2: the request or its data is wrong, 1: training failed, killed: cancelled). To cancel,
kill the process tree: the bundle is swapped into place whole, so nothing half-written is
left visible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import IO, Any

from engine.atomic import write_bytes_atomic, write_json_atomic
from engine.datastore.home import data_root
from engine.errors import LesionLensError
from engine.finetune_request import REPLAY_FRACTION, BaseModel, FinetuneRequest, Replay

FINETUNE_MODULE = "training.finetune"
QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = (
    "queued",
    "running",
    "done",
    "failed",
    "cancelled",
    "interrupted",
)


class JobError(LesionLensError):
    """A job cannot be started or its files cannot be read."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_job_id(prefix: str = "ft") -> str:
    return f"{prefix}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def finetune_command(request_path: str | Path) -> list[str]:
    """The child's command line (the GUI gives the same to QProcess)."""
    return [sys.executable, "-m", FINETUNE_MODULE, "--request", str(request_path)]


def prepare_job(request: FinetuneRequest, root: str | Path | None = None) -> Path:
    """Give the request a job id and folder (under <root>/jobs unless it names one) and a
    candidate output folder (<job>/candidate unless it names one); write request.json there.
    Returns the path of request.json."""
    job_id = request.job_id or new_job_id()
    job_dir = Path(request.job_dir or data_root(root) / "jobs" / job_id)
    request = request.replace(
        job_id=job_id, job_dir=str(job_dir), out=request.out or str(job_dir / "candidate")
    )
    job_dir.mkdir(parents=True, exist_ok=True)
    request.write(job_dir / "request.json")
    write_json_atomic(job_dir / "status.json", {"state": QUEUED, "job_id": job_id, "at": _now()})
    return job_dir / "request.json"


class JobRecorder:
    """The child's side of the protocol: each event goes to stdout as one JSON line, into
    log.jsonl, and into status.json (all files replaced atomically)."""

    def __init__(self, job_dir: str | Path, job_id: str = "", stream: IO[str] | None = None):
        self.dir = Path(job_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.job_id = job_id
        self.stream = stream if stream is not None else sys.stdout
        self.lines: list[str] = []
        self.status: dict[str, Any] = {
            "state": RUNNING,
            "job_id": job_id,
            "pid": os.getpid(),
            "started": _now(),
        }

    def emit(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, allow_nan=False, default=str)
        self.stream.write(line + "\n")
        self.stream.flush()
        self.lines.append(line)
        write_bytes_atomic(self.dir / "log.jsonl", ("\n".join(self.lines) + "\n").encode())
        event = record.get("event")
        if event == "done":
            self.status.update(state=DONE, candidate=record.get("candidate"))
        elif event == "error":
            self.status.update(state=FAILED, message=record.get("message"))
        for key in ("epoch", "epochs", "val_dice", "loss", "eta_s"):
            if key in record:
                self.status[key] = record[key]
        self.status["updated"] = _now()
        write_json_atomic(self.dir / "status.json", self.status)


def read_status(job_dir: str | Path) -> dict[str, Any]:
    """status.json; a job still marked running whose process is gone reads "interrupted"."""
    path = Path(job_dir) / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise JobError(f"{path}: no such job status") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise JobError(f"{path}: cannot be read ({exc})") from exc
    if status.get("state") == RUNNING and not _alive(status.get("pid")):
        status["state"] = INTERRUPTED
    return status


def read_log(job_dir: str | Path) -> list[dict[str, Any]]:
    """The events of log.jsonl (a torn last line, from a kill, is skipped)."""
    path = Path(job_dir) / "log.jsonl"
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


class Job:
    """A running child process and the events it printed so far.

    Events are read on a background thread; iterate `events()` to follow them, or pass
    on_event to be called (on that thread) for each one.
    """

    def __init__(
        self,
        request_path: Path,
        command: list[str],
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.request_path = Path(request_path)
        self.dir = self.request_path.parent
        self.request = FinetuneRequest.read(self.request_path)
        self.command = command
        self.history: list[dict[str, Any]] = []
        self.stderr_tail: list[str] = []
        self.cancelled = False
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._on_event = on_event
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
            **_new_process_group(),
        )
        self._stdout = threading.Thread(target=self._read_stdout, daemon=True)
        self._stderr = threading.Thread(target=self._read_stderr, daemon=True)
        self._stdout.start()
        self._stderr.start()

    @property
    def job_id(self) -> str:
        return self.request.job_id or self.dir.name

    @property
    def out(self) -> Path:
        return Path(self.request.out)

    def events(self) -> Iterator[dict[str, Any]]:
        """Events not yet taken, in order, blocking until the child has printed its last
        line (all of them, taken or not, are in `history`)."""
        while True:
            event = self._queue.get()
            if event is None:
                self._queue.put(None)  # a later call ends at once too
                return
            yield event

    def poll(self) -> int | None:
        return self.process.poll()

    def wait(self, timeout: float | None = None) -> int:
        code = self.process.wait(timeout)
        self._stdout.join(timeout)
        self._stderr.join(timeout)
        return code

    def status(self) -> dict[str, Any]:
        return read_status(self.dir)

    @property
    def result(self) -> dict[str, Any] | None:
        """The "done" event, once the child has printed it."""
        return next((e for e in self.history if e.get("event") == "done"), None)

    @property
    def error(self) -> str | None:
        for event in self.history:
            if event.get("event") == "error":
                return str(event.get("message"))
        if self.process.returncode not in (None, 0) and not self.cancelled:
            tail = " | ".join(self.stderr_tail[-3:])
            return f"fine-tuning exited with status {self.process.returncode}: {tail}"
        return None

    def cancel(self) -> None:
        """Kill the child and everything it started; leave no half-written candidate."""
        if self.process.poll() is None:
            self.cancelled = True
            _kill_tree(self.process)
        self.wait(timeout=30)
        if self.cancelled:
            finish_cancelled(self.dir, self.out)

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "output", "text": line}
            if not isinstance(event, dict):
                event = {"event": "output", "text": line}
            self.history.append(event)
            self._queue.put(event)
            if self._on_event is not None:
                self._on_event(event)
        self._queue.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_tail = (self.stderr_tail + [line.rstrip()])[-50:]


def start_job(
    request_path: str | Path,
    command: list[str] | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> Job:
    """Run a prepared request (default command: the fine-tuning module)."""
    request_path = Path(request_path)
    if not request_path.is_file():
        raise JobError(f"{request_path}: no such request file")
    return Job(request_path, command or finetune_command(request_path), on_event)


def start_finetune(
    request: FinetuneRequest,
    root: str | Path | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> Job:
    """Write the request into a new job folder and start the fine-tuning child."""
    return start_job(prepare_job(request, root), on_event=on_event)


def _new_process_group() -> dict[str, Any]:
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def _kill_tree(process: subprocess.Popen) -> None:
    if os.name == "nt":
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False
        )
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the child leads its own session


def _remove_staging(out: Path) -> None:
    """The bundle writer's hidden staging folders next to the candidate (never the bundle)."""
    if out.parent.is_dir():
        for staging in out.parent.glob(f".{out.name}.*"):
            if staging.is_dir():
                shutil.rmtree(staging, ignore_errors=True)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name == "nt":
        return True  # no cheap check; trust the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- requests and the gate after a job (what the CLI and the GUI both call) -----------------

DEFAULT_EPOCHS = 12
REPLAY_CASES = 32
REPLAY_FOLDER_CASES = 128  # a real data set's sample: more than synthetic, seconds to read


def replay_for(base_dir: str | Path, home: str | Path | None = None) -> Replay | None:
    """A sample of the data the base model learnt from, to replay while fine-tuning: the
    bundle's own (own_replay), else the folder the reader named for this model in the data
    root (engine.replay_sources). None when unknown."""
    from engine.bundle import read_bundle

    return bundle_replay(read_bundle(base_dir), home)


def bundle_replay(bundle: Any, home: str | Path | None = None) -> Replay | None:
    """replay_for of a bundle already read (engine.bundle.Bundle): the GUI holds the active
    one and asks on every refresh of its training panel."""
    from engine.replay_sources import ReplaySources

    own = own_replay(bundle)
    if own is not None:
        return own
    folder = ReplaySources(home).folder_for(bundle.spec.model_id)
    return None if folder is None else folder_replay(folder)


def own_replay(bundle: Any) -> Replay | None:
    """What a bundle (engine.bundle.Bundle) knows itself: the replay its metrics.json records
    (fine-tuned bundles carry their base's on), or, for a model trained on synthetic nodes, the
    first cases of its own training set (case i depends only on the seed and i, so these are
    exactly images it was trained on). None for a model trained on data that is not shipped."""
    metrics = bundle.metrics
    if isinstance(metrics.get("replay"), dict):
        return Replay.from_json(metrics["replay"], f"{bundle.directory / 'metrics.json'}")
    dataset = str(metrics.get("dataset_id", ""))
    if dataset.startswith("synth-nodes-seed"):
        seed = int(metrics.get("train_config", {}).get("seed", 0))
        return Replay(synth="nodes", n=REPLAY_CASES, seed=seed, fraction=REPLAY_FRACTION)
    return None


def folder_replay(folder: str | Path, fraction: float | None = None) -> Replay:
    """Replay of a folder of the base model's training data (any layout engine.datasets
    reads): a seeded sample of REPLAY_FOLDER_CASES lesion cases."""
    share = REPLAY_FRACTION if fraction is None else fraction
    return Replay(folder=str(Path(folder).resolve()), n=REPLAY_FOLDER_CASES, fraction=share)


def finetune_request(
    base_dir: str | Path,
    train: dict[str, Any],
    heldout: dict[str, Any],
    epochs: int = DEFAULT_EPOCHS,
    seed: int = 0,
    out: str | Path | None = None,
    replay: Replay | dict[str, Any] | None | str = "auto",
    home: str | Path | None = None,
    **extra: Any,
) -> FinetuneRequest:
    """A request with the base model pinned by folder and id.

    train / heldout: data selections (engine.datastore.selection): {"folder": DIR, "split":
    "train"} or engine.datastore.pin_cases(store, "train"). extra: the other fields of
    FinetuneRequest (recipe, gate, threads, model_id).
    """
    from engine.bundle import read_bundle

    base = read_bundle(base_dir)
    # "auto": the bundle's own replay, else the folder named for it in home's replay_sources.json
    replay = replay_for(base.directory, home) if replay == "auto" else Replay.from_json(replay)
    return FinetuneRequest(
        base=BaseModel(str(base.directory.resolve()), base.spec.model_id),
        train=train,
        heldout=heldout,
        epochs=int(epochs),
        seed=int(seed),
        replay=replay,
        out=str(Path(out).resolve()) if out is not None else "",
        **extra,
    )


def gate_for(request: FinetuneRequest, heldout: Path) -> Any:
    """The registry's Gate on these held-out cases, with the request's "gate" options
    (min_cases, margins, bootstrap resamples, confidence, seed) over the defaults."""
    from engine.registry import Gate

    return Gate(heldout, **request.gate)


def judge_candidate(request: FinetuneRequest, baseline_dir: str | Path | None = None) -> Any:
    """The gate's verdict on a finished job's candidate against its base (or baseline_dir),
    on the request's held-out cases. Changes nothing."""
    from engine.datastore.selection import materialise

    baseline = baseline_dir if baseline_dir is not None else request.base.dir
    with tempfile.TemporaryDirectory(prefix="lesionlens-gate-") as tmp:
        heldout = materialise(request.heldout, Path(tmp) / "heldout")
        return gate_for(request, heldout).judge(request.out, baseline)


def promote_candidate(request: FinetuneRequest, registry: Any) -> Any:
    """Registry.promote for a finished job's candidate, gated on the request's held-out cases."""
    from engine.datastore.selection import materialise

    with tempfile.TemporaryDirectory(prefix="lesionlens-gate-") as tmp:
        heldout = materialise(request.heldout, Path(tmp) / "heldout")
        return registry.promote(request.out, gate_for(request, heldout))


def folder_selections(
    data: str | Path, heldout: str | Path | None = None, root: str | Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(train, held-out) selections for a canonical folder.

    With a separate held-out folder, all of it is held out and the data folder's "train"
    rows (all rows, without split.csv) are trained on. Without one, the fixed split decides:
    "train" rows train, "val" rows are held out. It is the folder's own split.csv when it has
    one; else it is drawn once and kept in the data root (engine.datastore.heldout), never
    written into the data folder, so a read-only or shared folder works. The selections then
    carry it as "split_file"; describe_split says which.
    """
    from engine.datastore.heldout import folder_split_file

    data = Path(data)
    if not (data / "labels.csv").is_file():
        raise JobError(f"{data}: not a canonical data set folder (labels.csv is missing)")
    has_split = (data / "split.csv").is_file()
    if heldout is not None:
        train = {"folder": str(data.resolve()), "split": "train" if has_split else None}
        return train, {"folder": str(Path(heldout).resolve()), "split": None}
    split_file, own = folder_split_file(data, root)
    if not own:
        from engine.datasets import ensure_fixed_split, load_dataset

        ensure_fixed_split(load_dataset(data), path=split_file)
    from engine.datasets.tables import read_mapping

    splits = read_mapping(split_file, "case", "split")
    if "val" not in splits.values():
        raise JobError(
            f"{split_file}: the fixed split holds no 'val' (held-out) cases; add some or give "
            "--heldout DIR"
        )
    folder = str(data.resolve())
    extra = {} if own else {"split_file": str(split_file)}
    return (
        {"folder": folder, "split": "train", **extra},
        {"folder": folder, "split": "val", **extra},
    )


def describe_split(selection: dict[str, Any]) -> str | None:
    """Where a folder selection's fixed held-out split lives, in one line (None: no split)."""
    if selection.get("split") is None or "folder" not in selection:
        return None
    if selection.get("split_file"):
        return (
            f"held-out split: kept in {selection['split_file']} (drawn once for this folder; "
            f"nothing is written into {selection['folder']})"
        )
    return f"held-out split: using the folder's own {Path(selection['folder']) / 'split.csv'}"


def describe_replay(replay: Replay | None, base: str, how: str = "--replay-folder DIR") -> str:
    """What a job from model `base` replays of its first domain, or why it replays nothing,
    what that costs and `how` to name the data: the CLI prints it, the GUI's training panel
    shows it."""
    if replay is None:
        return (
            f"replay: none — {base} has no record of its training data, so fine-tuning may "
            f"forget what it knew; name a folder of it with {how}"
        )
    share = f"{replay.fraction:.0%} of every batch"
    if replay.synth is not None:
        return f"replay: {replay.n} synthetic {replay.synth} cases (seed {replay.seed}), {share}"
    count = "every lesion case" if replay.n is None else f"up to {replay.n} lesion cases"
    return f"replay: {count} of {replay.folder}, {share}"


def describe_event(event: dict[str, Any]) -> str | None:
    """One human-readable line per progress event (None for events not worth a line)."""
    kind = event.get("event")
    if kind == "start":
        return (
            f"fine-tuning {event.get('base_model_id')} on {event.get('n_train')} cases "
            f"(+{event.get('n_replay')} replayed), {event.get('n_heldout')} held out, "
            f"{event.get('epochs')} epochs"
        )
    if kind == "stage":
        levels = ", ".join(event.get("trainable") or []) or "none (decoder and heads only)"
        return f"epoch {event.get('epoch')}: encoder levels trained: {levels}"
    if kind == "epoch":
        return (
            f"epoch {event['epoch']}/{event['epochs']}  loss {event['loss']:.4f}  "
            f"held-out Dice {_number(event.get('val_dice'), '.4f')}  "
            f"accuracy {_number(event.get('val_accuracy'), '.3f')}  eta {event['eta_s']:.0f} s"
        )
    if kind == "export":
        return f"writing the candidate bundle to {event.get('out')}"
    if kind == "done":
        return (
            f"done in {event.get('wall_s')} s (peak memory {event.get('peak_rss_mb')} MB): "
            f"candidate {event.get('model_id')}"
        )
    if kind == "skipped":
        return f"skipped {event.get('part')} case {event.get('case')}: {event.get('reason')}"
    if kind == "error":
        return f"error: {event.get('message')}"
    if kind == "output":
        return str(event.get("text"))
    return None


def _number(value: Any, spec: str) -> str:
    """A metric of an epoch line; "n/a" where the model has none (a multi-view model that
    segments no view has no Dice; a one-class held-out set no AUC)."""
    return "n/a" if value is None else format(float(value), spec)


MIN_TRAIN_CASES, MIN_HELDOUT_CASES = 2, 1


def finish_cancelled(job_dir: str | Path, out: str | Path) -> None:
    """After the child was killed (by Job.cancel or by the GUI's QProcess): remove what it
    may have left half-done (the bundle writer's staging folders beside the candidate, the
    job's work folder) and mark the job cancelled. A complete candidate is swapped in whole,
    so it is never half-written."""
    job_dir = Path(job_dir)
    _remove_staging(Path(out))
    shutil.rmtree(job_dir / "work", ignore_errors=True)
    try:
        status = read_status(job_dir)
    except JobError:
        status = {"job_id": job_dir.name}
    status.update(state=CANCELLED, updated=_now())
    write_json_atomic(job_dir / "status.json", status)


def datastore_readiness(
    store: Any,
    volumes: bool = False,
    studies: bool = False,
    views: Sequence[str] | None = None,
) -> str | None:
    """Why fine-tuning from this datastore cannot start yet, or None when it can (the GUI's
    "can apply?" check). volumes: count the corrected CT volume cases (a volume model's
    data, engine.datastore.volumes) instead of the 2D ones; studies: the confirmed
    multi-view studies (a views model's data, engine.datastore.studies), only those of
    exactly `views` when given (the study model's own views)."""
    from engine.datastore import CORRECTED, HELDOUT, TRAIN

    cases, what, one = store.cases, "cases", "case"
    if volumes:
        from engine.datastore.volumes import VolumeStore

        cases, what, one = VolumeStore(store).cases, "volume cases", "volume case"
    elif studies:
        from engine.datastore.studies import StudyStore

        cases, what, one = partial(StudyStore(store).studies, views=views), "studies", "study"
        if views:
            what, one = f"{' + '.join(views)} studies", f"{' + '.join(views)} study"
    n_train = len(cases(status=CORRECTED, split=TRAIN))
    n_heldout = len(cases(status=CORRECTED, split=HELDOUT))
    if n_train < MIN_TRAIN_CASES:
        return f"correct at least {MIN_TRAIN_CASES} training {what} first ({n_train} so far)"
    if n_heldout < MIN_HELDOUT_CASES:
        return (
            f"correct at least one held-out {one} first: the gate needs cases the model "
            "never trains on (about 1 case in 5 is held out)"
        )
    return None


def datastore_request(
    store: Any, base_dir: str | Path, epochs: int = DEFAULT_EPOCHS, seed: int = 0
) -> FinetuneRequest:
    """A request for every corrected training case of the datastore, pinned to its label
    time, with every corrected held-out case as the gate's held-out set. A volume bundle
    (task "volume") gets the corrected CT volume cases, a multi-view bundle (task "views")
    the confirmed studies (engine.datastore.studies, nothing replayed:
    training.finetune_views), any other the 2D cases."""
    from engine.bundle import read_bundle
    from engine.datastore import HELDOUT, TRAIN, pin_cases
    from engine.datastore.studies import pin_studies

    spec = read_bundle(base_dir).spec
    volumes, views = spec.task == "volume", spec.task == "views"
    # A study model trains on the studies of its own views only (its inputs name them).
    view_names = tuple(str(i.view) for i in spec.inputs) if views else None
    reason = datastore_readiness(store, volumes=volumes, studies=views, views=view_names)
    if reason:
        raise JobError(reason)
    pin: Callable[[Any, str], dict[str, Any]] = (
        partial(pin_studies, views=view_names) if views else pin_cases
    )
    if volumes:
        from engine.datastore.volumes import VolumeStore, pin_volume_cases

        store = VolumeStore(store)
        pin = pin_volume_cases
    return finetune_request(
        base_dir,
        pin(store, TRAIN),
        pin(store, HELDOUT),
        epochs=epochs,
        seed=seed,
        home=store.root,
        **({"replay": None} if views or volumes else {}),  # their recipes replay nothing
    )
