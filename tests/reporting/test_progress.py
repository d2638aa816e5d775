"""The live progress display: on a terminal it updates in place (tmux shows it), in a pipe it is absent."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from rich.console import Console

from openai_conformance.events import CaseJudged, OperationFinished, OperationStarted, RunFinished, RunStarted
from openai_conformance.openapi.operations import Operation
from openai_conformance.reporting.progress import ProgressDisplay, ProgressState
from openai_conformance.results.collector import OperationRecorder
from openai_conformance.results.info import SpecInfo, Target
from openai_conformance.validation.violations import Violation

OPS = [Operation("get", f"/things/{n}", f"getThing{n}", ("Things",), (), False) for n in range(4)]
PROGRESS = re.compile(r"(\d+)/(\d+) operations · (\d+) cases")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _events(op: Operation, *violations: Violation) -> list[object]:
    recorder = OperationRecorder(op)
    judged = CaseJudged(op, "generated", 200, violations)
    recorder.record(judged)
    return [OperationStarted(op), judged, OperationFinished(op, recorder.finish())]


def _started() -> RunStarted:
    return RunStarted(Target("http://t"), SpecInfo(title="t"), {}, tuple(OPS), "2026-12-01T00:00:00+00:00")


def test_the_state_counts_and_estimates() -> None:
    clock = Clock()
    state = ProgressState(clock)
    state.handle(_started())
    assert "0/4 operations" in state.line().plain and "estimating" in state.line().plain
    clock.now += 10
    for event in _events(OPS[0], Violation("schema.body", "bad", "/x")):
        state.handle(event)  # type: ignore[arg-type]
    assert (state.done, state.cases, len(state.kinds)) == (1, 1, 1)
    assert state.remaining == pytest.approx(30.0)
    clock.now += 5
    assert state.remaining == pytest.approx(25.0)
    line = state.line(200).plain
    assert "1/4 operations · 1 cases · 1 violation kind · 00:15 elapsed · ~00:25 left" in line
    state.handle(OperationStarted(OPS[1]))
    assert state.line(200).plain.endswith("GET /things/1")
    assert len(state.line(40).plain) <= 40, "the line never wraps"


def test_on_a_terminal_the_line_is_live_and_then_gone() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    display = ProgressDisplay(console)
    assert display.enabled
    display.handle(_started())
    for op in OPS[:2]:
        for event in _events(op):
            display.handle(event)  # type: ignore[arg-type]
    console.print("a line from the console")
    display.handle(RunFinished(duration=1.0, finished_at=""))
    text = out.getvalue()
    assert "2/4 operations" in text and "a line from the console" in text
    assert "\x1b[" in text, "a terminal gets the cursor movements that keep the line in place"
    display.close()  # idempotent


def test_anywhere_else_it_shows_nothing() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120)
    display = ProgressDisplay(console)
    assert not display.enabled
    display.handle(_started())
    for event in _events(OPS[0]):
        display.handle(event)  # type: ignore[arg-type]
    display.close()
    assert out.getvalue() == ""


def _command(report_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "openai_conformance",
        "run",
        "--report-dir",
        str(report_dir),
        "--include",
        "Models,Embeddings,Moderations,Files,Chat,Completions,Batch,Uploads",
        *extra,
    ]


@pytest.mark.slow
def test_in_a_pipe_the_output_is_plain_lines(tmp_path: Path) -> None:
    done = subprocess.run(
        _command(tmp_path / "r", "--max-examples", "2"),
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\x1b" not in out and "\r" not in out, "no cursor movement, no colour in a pipe"
    assert not PROGRESS.search(out), "no progress line in a pipe"
    lines = out.splitlines()
    assert sum(1 for line in lines if re.match(r"^\s+passed (GET|POST|DELETE) /", line)) >= 8, out
    assert lines[-1].startswith("reports: ")


@pytest.mark.slow
def test_in_a_real_terminal_it_updates_in_place(tmp_path: Path) -> None:
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip(
            "tmux is not installed (apt-get install -y tmux; .ci/run does): no real terminal to run in"
        )
    socket = f"oc-progress-{uuid.uuid4().hex[:8]}"
    base = [tmux, "-L", socket, "-f", "/dev/null"]
    marker = tmp_path / "finished"
    command = " ".join(_command(tmp_path / "r", "--max-examples", "6")) + f"; touch {marker}; sleep 120"
    subprocess.run(
        [*base, "new-session", "-d", "-x", "160", "-y", "45", command], check=True, env=os.environ.copy()
    )
    screens: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not marker.exists():
            shown = subprocess.run([*base, "capture-pane", "-p"], capture_output=True, text=True).stdout
            screens.append(shown)
            time.sleep(0.05)
        final = subprocess.run([*base, "capture-pane", "-p"], capture_output=True, text=True).stdout
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True)
    assert marker.exists(), "the run did not finish in the terminal:\n" + (screens[-1] if screens else "")
    seen = [tuple(map(int, m.groups())) for screen in screens for m in PROGRESS.finditer(screen)]
    done_counts = sorted({done for done, _, _ in seen})
    assert len(done_counts) >= 2, f"the progress line did not update: {seen[:5]}"
    assert all(total == seen[0][1] for _, total, _ in seen), "one total throughout"
    assert all(
        len([line for line in screen.splitlines() if PROGRESS.search(line)]) <= 1 for screen in screens
    ), "one progress line at a time, in place"
    assert not PROGRESS.search(final), "the line is gone when the run ends"
    assert "conformant: no violations" in final and "reports: " in final
