"""Run TrainingState's job: the fine-tuning child under QProcess, then the gate on a thread.

The child is engine.jobs.finetune_command (`python -m training.finetune --request F`), never
the GUI process: torch, its memory and any crash stay outside. It leads its own session, so
Cancel kills it and everything it started (as engine.jobs and MONAI Label do). Its stdout
lines go to TrainingState.feed as they arrive; its exit status to TrainingState.finished.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Generator
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QThreadPool, Slot

from desktop.models.feedback.state import TrainingState
from desktop.widgets.worker import GeneratorJob
from engine.jobs import finetune_command
from engine.registry import Verdict

STDERR_LINES = 5
KILL_WAIT_MS = 10_000


class TrainingRunner(QObject):
    def __init__(self, state: TrainingState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.command_for: Callable[[Path], list[str]] = finetune_command  # tests swap it
        self.process: QProcess | None = None
        self.pid = 0
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._stderr: list[str] = []
        self._gate: GeneratorJob | None = None

    @property
    def running(self) -> bool:
        """True while the child runs or the gate scores its candidate."""
        return self.child_running or self._gate is not None

    @property
    def child_running(self) -> bool:
        process = self.process
        return process is not None and process.state() != QProcess.ProcessState.NotRunning

    def start(self, epochs: int | None = None) -> bool:
        """Prepare the request from the datastore and start the child; False (with the reason
        in the error bar) when the "can fine-tune?" check says no."""
        if self.running:
            return False
        request_path = self.state.prepare(epochs)
        if request_path is None:
            return False
        self._launch(self.command_for(request_path))
        return True

    def cancel(self) -> None:
        """Kill the child and its whole process group; finished() then cleans up."""
        if not self.child_running:
            return
        self.state.cancel()
        self._kill()

    def shutdown(self) -> None:
        """Window closing: never leave a training process behind."""
        if self.child_running:
            self.cancel()
            assert self.process is not None
            self.process.waitForFinished(KILL_WAIT_MS)
        self.pool.waitForDone(60_000)

    # -- the child ----------------------------------------------------------------------------

    def _launch(self, command: list[str]) -> None:
        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(env)
        if os.name == "posix":
            params = QProcess.UnixProcessParameters()
            params.flags = QProcess.UnixProcessFlag.CreateNewSession  # its own process group
            process.setUnixProcessParameters(params)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.started.connect(self._on_started)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self.process, self.pid, self._stderr = process, 0, []
        process.start(command[0], command[1:])

    def _kill(self) -> None:
        assert self.process is not None
        if os.name == "posix" and self.pid > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)  # the child leads its own session
        else:
            self.process.kill()

    @Slot()
    def _on_started(self) -> None:
        assert self.process is not None
        self.pid = int(self.process.processId())

    @Slot()
    def _read_stdout(self) -> None:
        process = self.process
        assert process is not None
        while process.canReadLine():
            self.state.feed(bytes(process.readLine().data()).decode("utf-8", "replace"))

    @Slot()
    def _read_stderr(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        self._stderr = (self._stderr + lines)[-50:]

    @Slot(int, QProcess.ExitStatus)
    def _on_finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        assert self.process is not None
        self._read_stdout()
        rest = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        for line in rest.splitlines():  # a last line without its newline
            self.state.feed(line)
        self._read_stderr()
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        tail = " | ".join(self._stderr[-STDERR_LINES:])
        if self.state.finished(exit_code, crashed, tail):
            self._start_gate()

    @Slot(QProcess.ProcessError)
    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            assert self.process is not None
            self.state.start_failed(self.process.errorString())

    # -- the gate -----------------------------------------------------------------------------

    def _start_gate(self) -> None:
        state = self.state

        def steps() -> Generator[str, None, Verdict]:
            yield "Gate: scoring both models on the held-out cases…"
            return state.run_gate()

        job = GeneratorJob(steps)
        job.signals.succeeded.connect(self._on_gate_done)
        job.signals.failed.connect(self._on_gate_failed)
        job.signals.finished.connect(self._on_gate_finished)
        self._gate = job
        self.pool.start(job)

    @Slot(object, object)
    def _on_gate_done(self, _tag: object, verdict: Verdict) -> None:
        self.state.gate_finished(verdict)

    @Slot(object, object)
    def _on_gate_failed(self, _tag: object, error: BaseException) -> None:
        self.state.gate_failed(error)

    @Slot()
    def _on_gate_finished(self) -> None:
        self._gate = None
