"""Entry points run for real, in a child process (a GUI event loop inside pytest-qt's
process is avoided on purpose: after `app.exec()` with a shown window, later pytest-qt
waits starve worker threads under PySide6 6.12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image as PILImage

from desktop.app import parse_args


def run_desktop(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    model = os.environ.get("LESIONLENS_TEST_MODEL")
    extra = ["--model", model] if model else []
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_module_help_runs() -> None:
    result = run_desktop("--help")
    assert result.returncode == 0
    assert "--model" in result.stdout and "not for diagnosis" in result.stdout


def test_parse_args_defaults() -> None:
    args = parse_args([])
    assert args.path is None and args.model is None and args.screenshot is None
    args = parse_args(["x.dcm", "--model", "bundle"])
    assert args.path == Path("x.dcm") and args.model == Path("bundle")


def test_gui_opens_file_analyses_and_saves_screenshot(node_dicom: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    result = run_desktop(str(node_dicom), "--screenshot", str(shot), "--timeout", "30")
    assert result.returncode == 0, result.stderr
    with PILImage.open(shot) as picture:
        assert picture.size == (1280, 800)


def test_gui_with_bad_file_exits_nonzero_with_message(tmp_path: Path) -> None:
    bad = tmp_path / "notes.dcm"
    bad.write_text("not an image")
    shot = tmp_path / "shot.png"
    result = run_desktop(str(bad), "--screenshot", str(shot), "--timeout", "30")
    assert result.returncode == 1
    assert "Cannot open notes.dcm: not a DICOM file" in result.stderr
    assert shot.exists()  # the window with its error bar, for the bug report


def test_lesionlens_view_subcommand_starts_the_gui(node_dicom: Path, tmp_path: Path) -> None:
    """The console script's `view` runs the GUI in its own process (engine imports no Qt)."""
    from PIL import Image as PILImage

    from engine.cli import main

    shot = tmp_path / "view.png"
    assert main(["view", str(node_dicom), "--screenshot", str(shot)]) == 0
    assert PILImage.open(shot).size[0] > 600
