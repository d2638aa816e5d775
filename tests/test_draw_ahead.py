"""Requests drawn ahead in a helper process: the very same requests, and nothing lost when the helper fails."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from openai_conformance.config import RunConfig
from openai_conformance.events import Event, OperationFinished
from openai_conformance.generation.ahead import CaseFeed, FeedBroken, should_draw_ahead
from openai_conformance.generation.hints import Budget
from openai_conformance.openapi.loader import load_contract
from openai_conformance.results.models import RunResult
from openai_conformance.runner import Runner

CONTRACT = load_contract(pin="6b8287f", findings=False)
# JSON bodies (the heaviest schema), multipart, path and query parameters, no parameters at all.
OPERATIONS = ("createChatCompletion", "createFile", "retrieveModel", "listFiles", "listModels")
MODELS = ("chat-a", "embed-b")

Sent = list[tuple[str, str, bytes]]


def _feed(config: RunConfig, sha256: str = CONTRACT.source.sha256) -> CaseFeed:
    return CaseFeed(config, sha256=sha256)


def _config(**changes: Any) -> RunConfig:
    config = RunConfig(
        base_url="http://127.0.0.1:1",
        max_examples=6,
        seed=11,
        models=MODELS,
        include=OPERATIONS,
        probes=False,
        draw_cache=False,  # drawn each time: what is tested is where
    )
    return replace(config, **changes)


class _OnOperation:
    """Calls ``on_operation`` with each finished operation's result, as a consumer of the run's events."""

    def __init__(self, on_operation: Any) -> None:
        self.on_operation = on_operation

    def handle(self, event: Event) -> None:
        if isinstance(event, OperationFinished):
            self.on_operation(event.result)


def _run(
    config: RunConfig,
    feed: CaseFeed | None,
    *,
    on_request: Any = None,
    on_operation: Any = None,
) -> tuple[Sent, RunResult, Runner]:
    sent: Sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        # httpx picks a random multipart boundary for each request: take it out
        body = re.sub(rb"--[0-9a-f]{32}", b"--BOUNDARY", request.read())
        sent.append((request.method, str(request.url), body))
        if on_request is not None:
            on_request(len(sent))
        return httpx.Response(
            400,
            json={"error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}},
        )

    engine = Runner(
        CONTRACT,
        config,
        config.base_url or "",
        client=httpx.Client(transport=httpx.MockTransport(handler)),
        feed=feed,
    )
    try:
        run = engine.collect(handlers=[_OnOperation(on_operation)] if on_operation else [])
    finally:
        engine.close()
    return sent, run, engine


def _generated(sent: Sent) -> Sent:
    """The generated requests only (not the run's own GET /models and no-such-route questions)."""
    return [item for item in sent if "openai-conformance-no-such-route" not in item[1]]


def _verdicts(run: RunResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.to_dict().items() if k != "duration_seconds"} for r in run.operations]


def _gone(feed: CaseFeed, within: float = 10.0) -> bool:
    pid = feed.pid
    assert pid is not None
    ends = time.monotonic() + within
    while time.monotonic() < ends:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("negative", [False, True], ids=["positive", "negative"])
def test_the_helper_sends_the_very_requests_drawn_in_process(negative: bool) -> None:
    config = _config(negative=negative)
    here, run_here, _ = _run(config, None)
    feed = _feed(config)
    ahead, run_ahead, engine = _run(config, feed)
    assert engine.drawing == "in a helper process"
    assert run_ahead.settings["drawing"] == "in a helper process"
    assert run_here.settings["drawing"] == "in this process"
    assert len(_generated(here)) >= 12  # chat completions and files at least, in both modes
    if not negative:  # the requests at the schemas' boundaries come after the drawn ones, in both
        assert len(_generated(here)) > config.max_examples * len(OPERATIONS)
    assert ahead == here
    assert _verdicts(run_ahead) == _verdicts(run_here)
    assert _gone(feed), "the helper process outlived the run"


def test_a_helper_killed_mid_run_loses_nothing() -> None:
    config = _config()
    here, run_here, _ = _run(config, None)
    feed = _feed(config)

    def kill_on_the_sixth(count: int) -> None:
        # 4 probes, then the first operation's second request: the helper is still drawing that
        # operation (its heaviest body, then the requests at its boundaries), so it cannot have
        # drawn everything already — later, the little that is left may all be waiting in the pipe
        if count == 6 and feed.pid is not None:
            os.kill(feed.pid, signal.SIGKILL)

    ahead, run_ahead, engine = _run(config, feed, on_request=kill_on_the_sixth)
    assert ahead == here
    assert _verdicts(run_ahead) == _verdicts(run_here)
    assert not any(r.errors for r in run_ahead.operations)
    assert engine.drawing.startswith("in a helper process, then in this process (")
    assert "stopped" in engine.drawing


def test_a_helper_that_cannot_draw_hands_over_to_the_engine() -> None:
    config = _config()
    here, _, _ = _run(config, None)
    feed = _feed(config, sha256="0" * 64)  # as if the spec changed under the run
    ahead, run, engine = _run(config, feed)
    assert ahead == here
    assert "the spec changed since the run started" in engine.drawing
    assert run.settings["drawing"] == engine.drawing
    assert _gone(feed)


def test_ctrl_c_stops_the_helper_and_keeps_what_was_done() -> None:
    config = _config(max_boundaries=0)  # max_examples requests per operation, exactly
    feed = _feed(config)

    def interrupt(result: Any) -> None:
        raise KeyboardInterrupt

    _, run, _ = _run(config, feed, on_operation=interrupt)
    assert run.interrupted == "interrupted by the user (Ctrl-C)"
    assert run.operations[0].cases == 6 and run.operations[0].note != "not run: interrupted"
    assert [r.note for r in run.operations[1:]] == ["not run: interrupted"] * (len(OPERATIONS) - 1)
    assert _gone(feed)


def test_the_time_budget_stops_the_helper() -> None:
    config = _config(max_time=0.3)
    feed = _feed(config)

    def slow(count: int) -> None:
        time.sleep(0.03)

    _, run, _ = _run(config, feed, on_request=slow)
    assert run.interrupted is not None and "time budget" in run.interrupted
    assert run.operations[-1].note == "not run: time budget exhausted"
    assert _gone(feed)


def test_a_feed_never_begun_stops_when_closed() -> None:
    feed = _feed(_config())
    feed.close()
    feed.close()  # again: harmless
    assert _gone(feed)


def test_when_to_draw_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    import openai_conformance.generation.ahead as ahead

    monkeypatch.setattr(ahead, "usable_cpus", lambda: 2)
    assert should_draw_ahead("auto", draws=470, workers=1)
    assert not should_draw_ahead("auto", draws=10, workers=1)  # starting the helper would cost more
    assert not should_draw_ahead("auto", draws=470, workers=2)  # each worker draws its own
    assert should_draw_ahead("always", draws=1, workers=1)
    assert not should_draw_ahead("always", draws=470, workers=4)
    assert not should_draw_ahead("never", draws=470, workers=1)
    monkeypatch.setattr(ahead, "usable_cpus", lambda: 1)
    assert not should_draw_ahead("auto", draws=470, workers=1)  # one CPU: nothing to overlap


class _HalfFeed:
    """Hands over the first ``given`` requests of each operation, then breaks as a dying helper would."""

    def __init__(self, given: int) -> None:
        from openai_conformance.generation.cases import Generator

        self.given = given
        self.generator = Generator(
            CONTRACT.document, models=list(MODELS), budget=Budget(), closed=CONTRACT.generation_document
        )
        self.pumped = 0
        self.started = True

    def begin(self, models: list[str], operations: list[tuple[str, str]]) -> None:
        pass

    def covers(self, method: str, path: str) -> bool:
        return True

    def pump(self, method: str, path: str, emit: Any, should_stop: Any = None) -> Any:
        from openai_conformance.generation.explore import explore
        from openai_conformance.openapi.operations import iter_operations

        operation = next(
            op for op in iter_operations(CONTRACT.document) if (op.method, op.path) == (method, path)
        )
        cases: list[Any] = []

        def keep(case: Any) -> None:
            cases.append(case)

        explore(self.generator, operation, keep, negative=False, max_examples=6, seed_value=11)
        for case in cases[: self.given]:
            emit(case)
        self.pumped += 1
        raise FeedBroken("the request-drawing process stopped (exit status -9)", min(self.given, len(cases)))

    def close(self) -> None:
        pass


@pytest.mark.parametrize("given", [0, 1, 4])
def test_the_engine_draws_exactly_the_requests_the_helper_did_not_send(given: int) -> None:
    config = _config()
    here, run_here, _ = _run(config, None)
    feed = _HalfFeed(given)
    ahead, run_ahead, engine = _run(config, feed)  # type: ignore[arg-type]
    assert feed.pumped == len(OPERATIONS)
    assert ahead == here  # no request twice, none missing, the same order
    assert _verdicts(run_ahead) == _verdicts(run_here)
    assert engine.drawing == (
        "in a helper process, then in this process (the request-drawing process stopped (exit status -9))"
    )


def test_a_stalled_helper_does_not_hold_the_run_past_its_time_budget() -> None:
    config = _config(max_time=1.0)
    feed = _feed(config)
    assert feed.pid is not None
    os.kill(feed.pid, signal.SIGSTOP)  # frozen: it draws nothing, and says nothing
    try:
        started = time.monotonic()
        _, run, _ = _run(config, feed)
        took = time.monotonic() - started
    finally:
        with contextlib.suppress(ProcessLookupError):  # the run has stopped it already
            os.kill(feed.pid, signal.SIGCONT)
    assert took < 5.0
    assert run.interrupted is not None and "time budget" in run.interrupted
    assert run.operations[0].note == "cut short: the run's time budget ran out"
    assert _gone(feed)


_DRAW_ELSEWHERE = """
import hashlib, sys
from openai_conformance.generation.cases import Generator
from openai_conformance.generation.explore import explore
from openai_conformance.generation.hints import Budget
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations

contract = load_contract(pin="6b8287f", findings=False)
generator = Generator(contract.document, models=["chat-a", "embed-b"], budget=Budget(), closed=contract.generation_document)
for operation in iter_operations(contract.document):
    if operation.operation_id in sys.argv[1:]:
        def emit(case):
            print(operation.operation_id, hashlib.sha256(repr(case).encode()).hexdigest())
        explore(generator, operation, emit, negative=False, max_examples=8, seed_value=3)
"""


def test_the_same_seed_draws_the_same_requests_in_another_process_and_folder(tmp_path: Any) -> None:
    import hashlib
    import subprocess
    import sys

    from openai_conformance.generation.cases import Generator
    from openai_conformance.generation.explore import explore
    from openai_conformance.openapi.operations import iter_operations

    names = ["createChatCompletion", "createAssistant", "createFile", "listFiles"]
    generator = Generator(
        CONTRACT.document, models=["chat-a", "embed-b"], budget=Budget(), closed=CONTRACT.generation_document
    )
    here: list[str] = []

    def recorder(name: str) -> Any:
        def emit(case: Any) -> None:
            here.append(f"{name} {hashlib.sha256(repr(case).encode()).hexdigest()}")

        return emit

    for operation in iter_operations(CONTRACT.document):
        if operation.operation_id in names:
            drawn = explore(
                generator,
                operation,
                recorder(operation.operation_id),
                negative=False,
                max_examples=8,
                seed_value=3,
            )
            assert drawn.error is None
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    elsewhere = subprocess.run(
        [sys.executable, "-c", _DRAW_ELSEWHERE, *names],
        cwd=tmp_path,  # another working folder: other "local" modules as far as hypothesis can tell
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split("\n")
    assert len(here) >= 4 * 8
    assert [line for line in elsewhere if line] == here


@pytest.mark.parametrize("ahead", [False, True], ids=["in-process", "helper"])
def test_ctrl_c_in_the_middle_of_an_operation_keeps_what_it_showed(ahead: bool) -> None:
    config = _config(max_boundaries=0)  # max_examples requests per operation, exactly
    feed = _feed(config) if ahead else None

    def interrupt_on_the_thirteenth(count: int) -> None:
        # 4 probes (GET /v1/models and /models, the no-such-route GET and POST), 6 requests of the
        # first operation, 2 of the second
        if count == 13:
            raise KeyboardInterrupt

    _, run, _ = _run(config, feed, on_request=interrupt_on_the_thirteenth)
    assert run.interrupted == "interrupted by the user (Ctrl-C)"
    # The first two to run (creates run first); every answer was a 400: the first finished, but never
    # reached a success; the second was cut short.
    by_id = {r.operation_id: r for r in run.operations}
    first, second = by_id.pop("createChatCompletion"), by_id.pop("createFile")
    rest = list(by_id.values())
    assert first.cases == 6 and first.outcome.value == "not_reached"
    assert first.note == "no success answer: every answer was an error (400: 6)"
    assert second.cases == 2 and second.statuses == {400: 2}
    assert second.note == "cut short: interrupted by the user (Ctrl-C)"
    assert second.outcome.value == "not_reached"
    assert [r.note for r in rest] == ["not run: interrupted"] * (len(OPERATIONS) - 2)
    if feed is not None:
        assert _gone(feed)


def test_an_answer_that_breaks_the_validator_is_could_not_test_and_the_run_goes_on() -> None:
    """A third-party validator that raises on an answer: that case could not be judged; nothing crashes."""
    config = _config(include=("retrieveModel", "listModels"))
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        if "no-such-route" in request.url.path:
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(200, json={"id": "m", "object": "model", "created": 1, "owned_by": "o"})

    for feed in (None, _feed(config)):
        engine = Runner(
            CONTRACT,
            config,
            "http://127.0.0.1:1",
            client=httpx.Client(transport=httpx.MockTransport(handler)),
            feed=feed,
        )

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise TypeError("unhashable type: 'list'")

        engine.judge.judge = broken  # type: ignore[method-assign]
        run = engine.collect()
        engine.close()
        assert [r.outcome.value for r in run.operations] == ["error", "error"]
        for result in run.operations:
            assert result.errors == ["the answer could not be judged: TypeError: unhashable type: 'list'"]
