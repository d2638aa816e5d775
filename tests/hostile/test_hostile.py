"""The tool against a hostile target: it ends in bounded time, reports, and never leaks the key.

Each run goes through the CLI (``main([...])``) against :class:`HostileServer`, which answers
``GET /v1/models`` correctly and misbehaves on the chosen operation; ``listModels`` runs beside it
as the control whose result must survive. Every run is checked for the same invariants
(:func:`_check_invariants`): bounded time, every report written, no traceback, the documented exit
status, and the key nowhere but in the ``Authorization`` header sent to the target itself.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openai_conformance.cli import main
from openai_conformance.config import RunConfig
from openai_conformance.errors import TransportError
from openai_conformance.runner.operation import OperationRunner
from openai_conformance.transport.http import HttpTransport
from tests.hostile.server import HostileServer, closed_port

KEY = "sk-hostile-SECRET-0123456789abcdef"
BOUND = 60.0  # seconds: generous for a noisy machine; every run here takes a few seconds
EMBEDDINGS = ("POST /v1/embeddings",)
CHAT = ("POST /v1/chat/completions",)
REPORTS = ("report.json", "report.html", "junit.xml", "summary.md")


@dataclass
class Run:
    code: int
    report: dict[str, Any]
    out: str
    err: str
    elapsed: float
    report_dir: Path

    def operation(self, operation_id: str) -> dict[str, Any]:
        found = [op for op in self.report["operations"] if op["operation_id"] == operation_id]
        assert found, f"{operation_id} is not in the report"
        operation: dict[str, Any] = found[0]
        return operation

    def checks(self, operation_id: str) -> set[str]:
        return {v["check"] for v in self.operation(operation_id)["violations"]}


def _run(
    capfd: pytest.CaptureFixture[str], base_url: str, report_dir: Path, include: str, *extra: str
) -> Run:
    started = time.monotonic()
    code = main(
        [
            "run",
            "--base-url",
            base_url,
            "--api-key",
            KEY,
            "--include",
            include,
            "--max-examples",
            "2",
            "--timeout",
            "1",
            "--stream-idle-timeout",
            "1",
            # two requests at the boundaries per operation: each request to a slow target costs seconds
            "--max-boundaries",
            "2",
            "--report-dir",
            str(report_dir),
            *extra,
        ]
    )
    elapsed = time.monotonic() - started
    captured = capfd.readouterr()
    report = json.loads((report_dir / "report.json").read_text())
    run = Run(code, report, captured.out, captured.err, elapsed, report_dir)
    _check_invariants(run)
    return run


def _check_invariants(run: Run) -> None:
    assert run.elapsed < BOUND, f"the run took {run.elapsed:.1f} s"
    for name in REPORTS:
        assert (run.report_dir / name).exists(), f"{name} was not written"
    assert "Traceback" not in run.out + run.err, run.out + run.err
    assert run.code == run.report["exit_code"] and run.code in (0, 1, 2)
    untested = run.report["fatal"] or run.report["interrupted"] or run.report["summary"]["error"]
    # 2 exactly when not everything could be tested (and no violation was found to say 1)
    assert (run.code == 2) == bool(untested and not run.report["summary"]["violations"])
    for path in run.report_dir.iterdir():
        assert KEY not in path.read_text(errors="replace"), f"the key leaked into {path.name}"
    assert KEY not in run.out and KEY not in run.err, "the key leaked into the console"
    curls = [v["curl"] for op in run.report["operations"] for v in op["violations"]]
    assert all("Authorization" not in c or "$OPENAI_API_KEY" in c for c in curls), curls


def _control_kept(run: Run) -> None:
    """listModels, which the server answers correctly, keeps its own result."""
    models = run.operation("listModels")
    assert models["outcome"] == "passed" and models["cases"] >= 1 and not models["errors"], models


def _could_not_test(run: Run, operation_id: str, words: str) -> None:
    operation = run.operation(operation_id)
    assert operation["outcome"] == "error", operation
    assert operation["errors"] and any(words in e for e in operation["errors"]), operation["errors"]
    assert not operation["violations"], operation["violations"]


# -- nothing to talk to ---------------------------------------------------------------------------------


def test_connection_refused_is_exit_2_with_one_line(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = _run(capfd, f"http://127.0.0.1:{closed_port()}/v1", tmp_path, "listModels,createEmbedding")
    assert run.code == 2
    assert "cannot be reached" in run.report["fatal"]
    assert [line for line in run.err.splitlines() if line.strip()] == [
        f"openai-conformance: error: {run.report['fatal']}"
    ]


# -- answers that cannot be read: "could not test" ------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "words", "extra"),
    [
        ("reset", "reset by peer", ()),
        ("truncated", "without sending complete message body", ()),
        ("slow-headers", "no answer within 1 s", ("--no-probes",)),
        ("huge", "exceeded 100000 bytes", ("--max-body-bytes", "100000")),
        ("trickle", "still arriving 1 s after the headers", ("--no-probes",)),
        ("trickle-headers", "no answer within 1 s", ("--no-probes",)),
        ("429-long", "Retry-After: 3600, which the suite does not wait for", ()),
    ],
)
def test_unreadable_answers_are_could_not_test(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, behaviour: str, words: str, extra: tuple[str, ...]
) -> None:
    with HostileServer(behaviour, EMBEDDINGS, delay=3.0, event_interval=0.1) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding", *extra)
    _could_not_test(run, "createEmbedding", words)
    _control_kept(run)
    assert run.code == 2  # documented: no violation, but an operation could not be tested
    assert server.seen.authorizations and set(server.seen.authorizations) == {f"Bearer {KEY}"}


def test_a_429_storm_is_retried_a_bounded_number_of_times(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("429", EMBEDDINGS) as server:
        run = _run(
            capfd,
            server.base_url,
            tmp_path,
            "listModels,createEmbedding",
            "--no-probes",
            "--max-boundaries",
            "0",
            # time enough for each 429 to arrive on a busy machine: a try that timed out is not retried
            "--timeout",
            "5",
        )
    _could_not_test(run, "createEmbedding", "still 429 after 3 attempts")
    _control_kept(run)
    sent = server.seen.requests["POST /v1/embeddings"]
    assert sent and sent % 3 == 0, sent  # each request: the first try and two retries, no more
    assert run.elapsed >= 2 * (sent // 3)  # Retry-After: 1 was honoured before each retry


def test_retry_after_bounds_in_the_transport() -> None:
    for behaviour, attempts, longest in (("429", 3, 10.0), ("429-long", 1, 1.0)):
        with HostileServer(behaviour, EMBEDDINGS) as server:
            settings = RunConfig(api_key=KEY, timeout=2.0)
            with HttpTransport(settings, server.base_url) as transport:
                request = transport.build("POST", "/embeddings", "/embeddings", body={"input": "hi"})
                started = time.monotonic()
                with pytest.raises(TransportError) as failure:
                    transport.send(request)
                elapsed = time.monotonic() - started
        assert failure.value.kind == "rate_limited"
        assert server.seen.requests["POST /v1/embeddings"] == attempts, behaviour
        assert elapsed < longest, (behaviour, elapsed)
        if behaviour == "429":
            assert elapsed >= 2.0  # it waited Retry-After: 1 twice


def test_a_stream_may_take_until_the_timeout_to_start_and_no_longer() -> None:
    """The headers of a streamed answer get ``--timeout`` in all (not the stream's idle timeout),
    and not a moment more, however the server spaces its bytes."""
    body = {"model": "hostile-chat", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with HostileServer("slow-headers", CHAT, delay=1.5) as server:
        settings = RunConfig(timeout=4.0, stream_idle_timeout=0.5)
        with HttpTransport(settings, server.base_url) as transport:
            request = transport.build("POST", "/chat/completions", "/chat/completions", body=body)
            assert transport.send(request, stream=True).status == 400  # after 1.5 s: in time
    for behaviour in ("slow-headers", "trickle-headers"):
        with HostileServer(behaviour, CHAT, delay=5.0, event_interval=0.2) as server:
            settings = RunConfig(timeout=1.0, stream_idle_timeout=0.5)
            with HttpTransport(settings, server.base_url) as transport:
                request = transport.build("POST", "/chat/completions", "/chat/completions", body=body)
                started = time.monotonic()
                with pytest.raises(TransportError, match="no answer within 1 s"):
                    transport.send(request, stream=True)
                assert time.monotonic() - started < 1.5, behaviour


# -- answers that can be read and are wrong: violations -------------------------------------------------


@pytest.mark.parametrize("behaviour", ["invalid-json", "invalid-utf8"])
def test_malformed_json_is_a_violation(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, behaviour: str
) -> None:
    with HostileServer(behaviour, EMBEDDINGS) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding")
    assert "schema.malformed_json" in run.checks("createEmbedding")
    assert run.operation("createEmbedding")["outcome"] == "failed"
    _control_kept(run)
    assert run.code == 1


def test_a_redirect_to_another_host_is_not_followed_with_the_key(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("redirect", EMBEDDINGS) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding")
    findings = run.operation("createEmbedding")["violations"]
    assert any(v["check"] == "schema.status_code" and v["status"] == 307 for v in findings), findings
    _control_kept(run)
    assert run.code == 1
    assert server.seen.requests["POST /v1/embeddings"] >= 1
    assert not server.other_host_seen.authorizations  # the key never reached 127.0.0.2 ...
    assert not server.other_host_seen.requests  # ... nor did anything else: redirects are not followed


# -- streams --------------------------------------------------------------------------------------------


def test_a_stalled_stream_is_cut_by_the_idle_timeout(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("stalled-sse", CHAT) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createChatCompletion")
    chat = run.operation("createChatCompletion")
    stalled = [v for v in chat["violations"] if v["check"] == "stream.stalled"]
    assert stalled and "silent for more than 1 s" in stalled[0]["message"], chat["violations"]
    _control_kept(run)
    assert run.code == 1


def test_an_endless_stream_is_cut_and_reported(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with HostileServer("endless-sse", CHAT, event_interval=0.01) as server:
        run = _run(
            capfd, server.base_url, tmp_path, "listModels,createChatCompletion", "--max-stream-seconds", "1"
        )
    chat = run.operation("createChatCompletion")
    done = [v for v in chat["violations"] if v["check"] == "stream.done"]
    assert done and "went on for more than 1 s" in done[0]["message"], chat["violations"]
    assert "stream.stalled" not in run.checks("createChatCompletion")  # it never went silent
    _control_kept(run)
    assert run.code == 1
    assert run.report["settings"]["max_stream_seconds"] == 1.0


def test_a_stream_reset_midway_is_judged_as_far_as_it_came_and_said_so(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("reset-sse", CHAT, event_interval=0.01) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createChatCompletion")
    chat = run.operation("createChatCompletion")
    assert any("the connection broke mid-stream" in e for e in chat["errors"]), chat["errors"]
    # The events that came were judged; nothing about the stream's end was ([DONE], finish_reason).
    assert not {"stream.done", "stream.finish_reason"} & run.checks("createChatCompletion"), chat
    _control_kept(run)


def test_a_flood_stream_is_cut_at_the_size_cap_and_said_so(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # events as fast as the server can write: the size cap, not the time cap, ends each stream
    with HostileServer("endless-sse", CHAT, event_interval=0.0005) as server:
        run = _run(
            capfd, server.base_url, tmp_path, "listModels,createChatCompletion", "--max-body-bytes", "50000"
        )
    errors = run.operation("createChatCompletion")["errors"]
    assert any("larger than the size cap" in e for e in errors), errors
    _control_kept(run)


# -- the run's own limits: --max-time and Ctrl-C ---------------------------------------------------------


def test_max_time_stops_a_slow_run_and_keeps_what_was_done(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    include = "listModels,retrieveModel,createEmbedding,createChatCompletion,createCompletion"
    with HostileServer("slow", ("POST *",), delay=0.3) as server:
        run = _run(capfd, server.base_url, tmp_path, include, "--max-time", "3", "--max-examples", "5")
    assert run.elapsed < 3 + 8, run.elapsed  # the budget, one request and some start-up, not the whole run
    assert run.report["interrupted"] and "time budget" in run.report["interrupted"]
    outcomes = {op["operation_id"]: op["outcome"] for op in run.report["operations"]}
    assert set(outcomes) == set(include.split(","))  # every selected operation is in the report
    assert any(outcome != "skipped" for outcome in outcomes.values())  # what was done is kept
    assert any(op["note"] == "not run: time budget exhausted" for op in run.report["operations"])


@pytest.mark.parametrize("where", ["run_operation", "send"])
def test_ctrl_c_keeps_the_reports_and_the_operations_done(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Ctrl-C as the second operation starts (``run_operation``), or inside its first request (``send``)."""
    finished = {"n": 0}
    original_run = OperationRunner.run
    original_send = HttpTransport.send

    def interrupting_run(self: OperationRunner, *args: Any, **kwargs: Any) -> Any:
        if where == "run_operation" and finished["n"] == 1:
            raise KeyboardInterrupt
        yield from original_run(self, *args, **kwargs)
        finished["n"] += 1

    def interrupting_send(self: HttpTransport, *args: Any, **kwargs: Any) -> Any:
        if where == "send" and finished["n"] == 1:
            raise KeyboardInterrupt  # in the middle of hypothesis's exploration of the second operation
        return original_send(self, *args, **kwargs)

    monkeypatch.setattr(OperationRunner, "run", interrupting_run)
    monkeypatch.setattr(HttpTransport, "send", interrupting_send)
    with HostileServer("invalid-json", EMBEDDINGS) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding,retrieveModel")
    assert run.report["interrupted"] == "interrupted by the user (Ctrl-C)"
    operations = run.report["operations"]
    assert len(operations) == 3
    done = [op for op in operations if op["outcome"] != "skipped"]
    assert len(done) == 1 and done[0]["cases"] >= 1, operations  # the operation before Ctrl-C is kept
    assert [op["note"] for op in operations if op not in done] == ["not run: interrupted"] * 2
    if done[0]["operation_id"] == "createEmbedding":
        assert run.code == 1 and "schema.malformed_json" in run.checks("createEmbedding")
