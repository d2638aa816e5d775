"""A request after which the target stops answering is a finding against it; nothing else is lost.

The crashing server (tests/fakes/crashing_server.py) is a real process on 127.0.0.1 whose handler
exits on malformed JSON; a supervisor thread here can start it again, as a process manager would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import CliRun, run_cli
from tests.conftest import ROOT
from tests.hostile.server import HostileServer, closed_port

OPERATIONS = "listModels,createChatCompletion,createEmbedding"


class CrashingServer:
    """The crashing server as a process; with ``restart``, started again (at most 3 times) when it exits."""

    def __init__(self, *, restart: bool) -> None:
        self.port = closed_port()
        self.restart = restart
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._supervise, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _start(self) -> None:
        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.crashing_server", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the crashing server did not start within 20 s")

    def _supervise(self) -> None:
        while not self._stop.is_set() and self.starts < 4:
            process = self.process
            if process is not None and process.poll() is not None and not self._stop.is_set():
                time.sleep(0.3)  # a process manager's restart delay
                self._start()
            self._stop.wait(0.05)

    def __enter__(self) -> CrashingServer:
        self._start()
        if self.restart:
            self._watch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.restart:
            self._watch.join(5)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # the process this test started, by its own handle
            self.process.wait(5)


@pytest.fixture
def crashing(request: pytest.FixtureRequest) -> Iterator[CrashingServer]:
    with CrashingServer(restart=bool(request.param)) as server:
        yield server


def _run(base_url: str, tmp_path: Path, *args: str) -> CliRun:
    return run_cli(
        tmp_path,
        "--base-url",
        base_url,
        "--include",
        OPERATIONS,
        "--max-examples",
        "2",
        "--timeout",
        "5",
        *args,
        quiet=False,
    )


def _crashes(run: CliRun) -> list[dict[str, object]]:
    return [v for v in run.violations if v["check"] == "target.crashed"]


@pytest.mark.parametrize("crashing", [False], indirect=True)
def test_a_target_that_stays_down_is_one_finding_and_one_line_per_untested_operation(
    crashing: CrashingServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    run = _run(crashing.base_url, tmp_path, "--restart-wait", "1")
    assert time.monotonic() - started < 60  # the wait for the target is bounded
    (crash,) = _crashes(run)
    assert crash["request"] == "invalid: malformed JSON" and crash["status"] == 0
    assert "--data-binary '{\"model\": '" in str(crash["curl"])
    assert run.outcome("createChatCompletion") == "failed"
    down = [line for line in run.report["diagnosis"] if "went down" in line]
    assert len(down) == 1 and "POST http://127.0.0.1:" in down[0] and "(createChatCompletion" in down[0]
    assert run.out.count(down[0]) == 1  # the headline says it once
    embeddings = run.operation("createEmbedding")
    assert embeddings["outcome"] == "error" and len(embeddings["errors"]) == 1
    assert "the target stopped answering after POST" in embeddings["errors"][0]
    assert run.out.count("the target stopped answering after POST") == 1  # the reason once, on the console
    assert "Traceback" not in run.out + run.err


@pytest.mark.parametrize("crashing", [True], indirect=True)
def test_a_target_that_comes_back_is_tested_to_the_end(crashing: CrashingServer, tmp_path: Path) -> None:
    run = _run(crashing.base_url, tmp_path, "--restart-wait", "15")
    (crash,) = _crashes(run)
    assert "answered again after" in str(crash["message"])
    assert crashing.starts == 2
    assert run.outcome("createEmbedding") == "passed" and run.outcome("listModels") == "passed"
    assert run.report["diagnosis"] and "came back after" in run.report["diagnosis"][0]


# --- no request is lost ----------------------------------------------------------------------------------

CHAT = ("POST /v1/chat/completions",)


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [("reset", "reading the answer failed"), ("slow-headers", "no answer within 0.5 s")],
)
def test_requests_without_an_answer_are_recorded_with_their_reproduction(
    tmp_path: Path, behaviour: str, reason: str
) -> None:
    with HostileServer(behaviour, CHAT, delay=2.0) as server:
        run = run_cli(
            tmp_path,
            "--base-url",
            server.base_url,
            "--include",
            "createChatCompletion",
            "--model",
            "hostile-chat",
            "--max-examples",
            "2",
            "--timeout",
            "0.5",
        )
        sent = server.seen.requests["POST /v1/chat/completions"]
    chat = run.operation("createChatCompletion")
    assert chat["cases"] == sent  # every request sent is counted, answered or not
    untested = chat["untested"]
    # A stream reset midway is judged as far as it came; every other request is recorded
    assert sum(u["occurrences"] for u in untested) + sum(chat["statuses"].values()) == sent
    assert all(u["reason"].startswith(reason) for u in untested)
    sources = {u["source"] for u in untested}
    assert "generated" in sources and "errors.invalid.createChatCompletion" in sources
    assert all(u["curl"].startswith("curl ") for u in untested)


def test_the_count_of_cases_does_not_depend_on_the_profile(tmp_path: Path) -> None:
    counts = []
    for profile in ("strict", "compat"):
        with HostileServer("reset", CHAT) as server:
            run = run_cli(
                tmp_path / profile,
                "--base-url",
                server.base_url,
                "--include",
                "createChatCompletion,listModels",
                "--model",
                "hostile-chat",
                "--max-examples",
                "3",
                "--seed",
                "5",
                "--profile",
                profile,
            )
        counts.append({op["operation_id"]: op["cases"] for op in run.operations})
    assert counts[0] == counts[1] and counts[0]["createChatCompletion"] > 3
