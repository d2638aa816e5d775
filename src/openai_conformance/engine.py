"""The engine: operations × generated requests → sent → judged → results. The CLI and pytest share it."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from openai_conformance.config import RunConfig, selected_operations
from openai_conformance.errors import ConfigError, JudgeError, TargetError, TransportError
from openai_conformance.generation.request import GeneratedCase
from openai_conformance.openapi.loader import Contract
from openai_conformance.openapi.operations import Operation
from openai_conformance.results.models import OperationResult, Outcome, RunResult
from openai_conformance.transport.curl import to_curl
from openai_conformance.transport.exchange import Exchange, StreamEnd
from openai_conformance.transport.http import HttpTransport, TransportSettings
from openai_conformance.validation.judge import Judge
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:  # schemathesis and hypothesis load only where requests are drawn
    from openai_conformance.generation.ahead import CaseFeed
    from openai_conformance.generation.cases import Generator
    from openai_conformance.generation.explore import Drawn

__all__ = ["Engine", "RunConfig", "embedded_target", "selected_operations"]


@contextlib.contextmanager
def embedded_target(contract: Contract, *, api_key: str | None, faults: Sequence[str] = ()) -> Iterator[str]:
    """Start the reference server (with ``faults`` on) on a free loopback port; yield its base URL."""
    from openai_conformance.server.app import create_app
    from openai_conformance.server.thread import serve_in_thread

    app = create_app(contract.document, api_key=api_key, faults=faults)
    with serve_in_thread(app) as base_url:
        yield base_url


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Engine:
    """Runs operations against one target and collects what they show."""

    def __init__(
        self,
        contract: Contract,
        config: RunConfig,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        feed: CaseFeed | None = None,
    ) -> None:
        if config.max_examples < 1:
            raise ConfigError(f"--max-examples must be at least 1, not {config.max_examples}")
        self.contract = contract
        self.config = config
        self.base_url = base_url
        self.transport = HttpTransport(
            TransportSettings(
                base_url=base_url,
                api_key=config.api_key,
                headers=dict(config.headers),
                timeout=config.timeout,
                stream_idle_timeout=config.stream_idle_timeout,
                max_stream_seconds=config.max_stream_seconds,
                max_body_bytes=config.max_body_bytes,
                verify_tls=config.verify_tls,
                api_prefix=contract.server_base[1],
            ),
            client=client,
        )
        self.secrets = _secrets(config)
        self.judge = Judge(contract, secrets=self.secrets, profile=config.profile)
        self._generator: Generator | None = None
        self._feed = feed  # requests drawn ahead in a helper process, for run()
        self.drawing = "in a helper process" if feed is not None else "in this process"  # for the report
        self.models: list[str] = list(config.models)
        self.no_route: tuple[int, bytes] | None = None  # how the target answers a route it lacks
        self.out_of_time = False  # the time budget cut a request, probe or scenario short
        self.cut_short: OperationResult | None = None  # the operation a Ctrl-C stopped, as far as it got

    def close(self) -> None:
        self.transport.close()

    # -- set-up -----------------------------------------------------------------------------
    def operations(self) -> list[Operation]:
        """The operations the user selected."""
        return selected_operations(self.contract, self.config)

    def discover_models(self) -> list[str]:
        """The models to put in requests: the user's, or those the target lists at GET /models."""
        if self.models:
            return self.models
        request = self.transport.build("GET", "/models", "/models")
        try:
            exchange = self.transport.send(request)
        except TransportError as exc:
            raise TargetError(f"the target at {self.base_url} cannot be reached: {exc.message}") from exc
        ids: list[str] = []
        if exchange.status == 200:
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                ids = [
                    str(m["id"]) for m in exchange.json().get("data", []) if isinstance(m, dict) and "id" in m
                ]
        self.models = ids[:50]
        return self.models

    def discover_missing_route(self) -> None:
        """Ask for a route no server has, to recognise "no such route" answers later."""
        path = _NO_SUCH_ROUTE
        try:
            exchange = self.transport.send(self.transport.build("POST", path, path, body={}))
        except TransportError:
            return
        if exchange.status in (404, 405):
            self.no_route = (exchange.status, _normalise(exchange, path))

    @property
    def generator(self) -> Generator:
        from openai_conformance.generation.cases import Generator

        if self._generator is None:
            self._generator = Generator(
                self.contract.document,
                models=self.models,
                budget=self.config.budget,
                closed=self.contract.generation_document,
            )
        return self._generator

    # -- one operation ----------------------------------------------------------------------
    def send_case(self, operation: Operation, case: GeneratedCase) -> Exchange:
        request = self.transport.build(
            case.method,
            case.path,
            operation.path,
            query=case.query,
            headers=case.headers,
            body=case.body,
            media_type=case.media_type,
        )
        streamed = isinstance(case.body, dict) and case.body.get("stream") is True
        return self.transport.send(request, stream=streamed)

    def record(self, result: OperationResult, exchange: Exchange, violations: list[Violation]) -> None:
        """Add one answer's violations to the operation's result, with a redacted reproduction."""
        _count(result, exchange, self.no_route)
        for violation in violations:
            self.record_violation(result, exchange, violation)

    def run_operation(self, operation: Operation, *, deadline: float | None = None) -> OperationResult:
        """Generate, send and judge up to ``max_examples`` requests for one operation.

        On Ctrl-C, what the operation had shown so far is kept in :attr:`cut_short` before the
        KeyboardInterrupt goes on.
        """
        result = OperationResult(operation.operation_id, operation.method, operation.path, operation.tags)
        started = time.monotonic()
        self.cut_short = None
        try:
            return self._run_operation(operation, result, started, deadline)
        except KeyboardInterrupt:
            if result.cases:
                result.note = "cut short: interrupted by the user (Ctrl-C)"
                if result.outcome is not Outcome.ERROR:
                    result.outcome = Outcome.SKIPPED  # decide from what was seen
                result.conclude()
                result.duration = time.monotonic() - started
                self.cut_short = result
            raise

    def _run_operation(
        self, operation: Operation, result: OperationResult, started: float, deadline: float | None
    ) -> OperationResult:
        if self.config.negative and _nothing_to_negate(operation):
            result.note = "no invalid request can be made: the operation takes no body and no query"
            result.outcome = Outcome.SKIPPED
            return result

        # With --concurrency N, each request goes out as soon as it is generated and up to N are in
        # flight while the next ones are generated; answers are recorded in generation order.
        pool = (
            concurrent.futures.ThreadPoolExecutor(max_workers=self.config.concurrency)
            if self.config.concurrency > 1
            else None
        )
        pending: list[concurrent.futures.Future[tuple[Exchange, list[Violation]] | str]] = []

        def probe(case: GeneratedCase) -> None:
            if self._past(deadline):
                return
            if pool is not None:
                pending.append(pool.submit(self._judge_case, operation, case))
            else:
                self._record_outcome(result, self._judge_case(operation, case))

        try:
            drawn = self._draw(operation, probe, deadline)
        except KeyboardInterrupt:
            if pool is not None:  # requests not yet sent are dropped; those in flight end by their timeouts
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        if drawn.error:
            result.add_error(drawn.error)
        if drawn.note:
            result.note = drawn.note
        if drawn.fatal:
            if pool is not None:
                pool.shutdown(wait=True)
            result.outcome = Outcome.ERROR
            return result
        if pool is not None:
            pool.shutdown(wait=True)
            for future in pending:
                self._record_outcome(result, future.result())
        _conclude(result)
        if result.outcome is not Outcome.UNSUPPORTED and self.config.probes and not self.config.negative:
            self._run_probes(operation, result, deadline)
            result.outcome = Outcome.SKIPPED  # decide again with the probes' findings
            result.conclude()
        self._check_capability(operation, result)
        if self._past(deadline) and not result.note:
            result.note = "cut short: the run's time budget ran out"
        result.duration = time.monotonic() - started
        return result

    def _judge_case(
        self, operation: Operation, case: GeneratedCase
    ) -> tuple[Exchange, list[Violation]] | str:
        """Send one generated request and judge the answer; a string says why it could not be tested."""
        try:
            exchange = self.send_case(operation, case)
        except TransportError as exc:
            return exc.message
        negative = self.config.negative
        try:
            violations = list(self.judge.judge(exchange, operation.operation_id, valid_request=not negative))
        except JudgeError as exc:
            return exc.message
        except Exception as exc:  # a validator that breaks on this answer: it could not be judged
            return f"the answer could not be judged: {type(exc).__name__}: {exc}"
        if negative:
            from openai_conformance.validation.rejection import check_negative_answer

            violations += check_negative_answer(exchange, body_breaks_schema=case.invalid_body)
        return exchange, violations

    def _record_outcome(
        self, result: OperationResult, outcome: tuple[Exchange, list[Violation]] | str
    ) -> None:
        if isinstance(outcome, str):
            result.add_error(outcome)
        else:
            self.record(result, *outcome)

    def _past(self, deadline: float | None) -> bool:
        """Whether the run's time budget is spent (and remember that something was cut short)."""
        if deadline is not None and time.monotonic() > deadline:
            self.out_of_time = True
        return self.out_of_time

    def _run_probes(
        self, operation: Operation, result: OperationResult, deadline: float | None = None
    ) -> None:
        """The hand-made scenarios of this operation: invalid input, auth, state, semantics."""
        from openai_conformance.scenarios import scenarios_for

        context = self._scenario_context(result)
        for scenario in scenarios_for(operation.operation_id, models=bool(self.models)):
            if self._past(deadline):
                return
            self._collect(result, scenario.id, lambda scenario=scenario: scenario.run(context))  # type: ignore[misc]

    def _scenario_context(self, result: OperationResult) -> Any:  # a scenarios.ScenarioContext
        """What the scenarios of one operation use; every answer they get is counted in ``result``."""
        from openai_conformance.scenarios import ScenarioContext, fit_models

        return ScenarioContext(
            transport=self.transport,
            judge=self.judge,
            models=fit_models(self.models),
            max_tokens=self.config.budget.max_tokens,
            expect_auth=self.config.expect_auth,
            on_answer=lambda exchange: _count(result, exchange, self.no_route),
        )

    def _collect(
        self, result: OperationResult, name: str, run: Callable[[], Iterator[tuple[Violation, Exchange]]]
    ) -> None:
        """Record what one scenario finds; a request that got no answer, or a bug, is "could not test"."""
        try:
            for violation, exchange in run():
                self.record_violation(result, exchange, violation)
        except TransportError as exc:  # named by the scenario: "errors.invalid.createChatCompletion: …"
            result.add_error(f"{name}: {exc.message}")
        except Exception as exc:  # a scenario that breaks is a tool error, never a verdict
            result.add_error(f"{name} failed: {type(exc).__name__}: {exc}")

    def record_violation(self, result: OperationResult, exchange: Exchange, violation: Violation) -> None:
        curl = to_curl(exchange.request, self.secrets)
        size = len(exchange.request.content) + len(exchange.request.url)
        result.add(violation, status=exchange.status, curl=curl, request_size=size)

    def _check_capability(self, operation: Operation, result: OperationResult) -> None:
        from openai_conformance.capabilities import capability_of

        capability = capability_of(operation.operation_id)
        if capability and capability in self.config.expect and result.outcome is Outcome.UNSUPPORTED:
            result.outcome = Outcome.FAILED
            result.findings[("capability.missing", "", "")] = _capability_finding(capability, result)

    def _draw(
        self, operation: Operation, emit: Callable[[GeneratedCase], None], deadline: float | None = None
    ) -> Drawn:
        """Hand the operation's generated requests to ``emit``: from the helper process, or drawn here."""
        from openai_conformance.generation.ahead import FeedBroken
        from openai_conformance.generation.explore import explore

        skip = 0
        feed = self._feed
        if feed is not None and feed.covers(operation.method, operation.path):
            try:
                return feed.pump(
                    operation.method, operation.path, emit, should_stop=lambda: self._past(deadline)
                )
            except FeedBroken as exc:  # draw the rest here: the same seed gives the same requests
                skip = exc.received
                self.drawing = f"in a helper process, then in this process ({exc.reason})"
        if skip:
            seen = 0
            forward = emit

            def emit(case: GeneratedCase) -> None:
                nonlocal seen
                seen += 1
                if seen > skip:
                    forward(case)

        return explore(
            self.generator,
            operation,
            emit,
            negative=self.config.negative,
            max_examples=self.config.max_examples,
            seed_value=self.config.seed,
        )

    # -- a whole run ------------------------------------------------------------------------
    def run(
        self,
        operations: list[Operation] | None = None,
        *,
        on_operation: Callable[[OperationResult], None] | None = None,
        target: dict[str, Any] | None = None,
        workers: int = 1,
        session_options: Any = None,
    ) -> RunResult:
        """Every selected operation, in order; Ctrl-C or the time budget end it with what was done."""
        operations = operations if operations is not None else self.operations()
        run = RunResult(
            target=target or {"base_url": self.base_url},
            spec=self.contract.describe(),
            settings=self.config.describe(),
            started_at=_utcnow(),
        )
        started = time.monotonic()
        deadline = started + self.config.max_time if self.config.max_time else None
        self.out_of_time = False
        feed = self._feed
        try:
            self.discover_models()
            self.discover_missing_route()
            run.target["models"] = list(self.models)
            if feed is not None:
                negative = self.config.negative
                feed.begin(
                    self.models,
                    [(op.method, op.path) for op in operations if not (negative and _nothing_to_negate(op))],
                )
            if workers > 1 and session_options is not None and len(operations) > 1:
                from openai_conformance.parallel import run_in_workers

                run_in_workers(
                    self,
                    session_options,
                    operations,
                    workers,
                    deadline=deadline,
                    on_operation=on_operation,
                    sink=run.operations,
                )
                _sort_like(run.operations, operations)
                if deadline is not None and time.monotonic() > deadline:
                    run.interrupted = f"the run's time budget of {self.config.max_time:g} s ran out"
            else:
                for index, operation in enumerate(operations):
                    if deadline is not None and time.monotonic() > deadline:
                        run.interrupted = f"the run's time budget of {self.config.max_time:g} s ran out"
                        run.operations.extend(
                            _skipped(op, "not run: time budget exhausted") for op in operations[index:]
                        )
                        break
                    result = self.run_operation(operation, deadline=deadline)
                    run.operations.append(result)
                    if on_operation:
                        on_operation(result)
                if self.out_of_time and run.interrupted is None:  # the last operation was cut short
                    run.interrupted = f"the run's time budget of {self.config.max_time:g} s ran out"
        except KeyboardInterrupt:
            run.interrupted = "interrupted by the user (Ctrl-C)"
            if self.cut_short is not None:  # the operation under way: what it showed so far
                run.operations.append(self.cut_short)
                self.cut_short = None
            done = {(op.method, op.path) for op in run.operations}
            run.operations.extend(
                _skipped(op, "not run: interrupted") for op in operations if (op.method, op.path) not in done
            )
            _sort_like(run.operations, operations)
        except TargetError as exc:
            run.fatal = str(exc)
        finally:
            if feed is not None:  # its work is done (or cut short): let the helper go
                self._feed = None
                feed.close()
        run.settings["drawing"] = self.drawing
        run.spec_findings = [f.to_dict() for f in self.contract.findings]  # computed meanwhile, if new
        run.duration = time.monotonic() - started
        run.finished_at = _utcnow()
        if not run.fatal and run.operations and all(op.outcome is Outcome.ERROR for op in run.operations):
            first = next((e for op in run.operations for e in op.errors), "every request failed")
            run.fatal = f"the target could not be tested: {first}"
        return run


_NO_SUCH_ROUTE = "/openai-conformance-no-such-route"


def _normalise(exchange: Exchange, path: str) -> bytes:
    """The body with the request's path taken out, so answers for different routes compare equal."""
    body = exchange.body[:4096]
    for text in (exchange.request.url, exchange.request.path, path):
        if text:
            body = body.replace(text.encode(), b"<path>")
    return body


def _count(result: OperationResult, exchange: Exchange, no_route: tuple[int, bytes] | None = None) -> None:
    """Count one answer of an operation (generated, probe or scenario)."""
    result.cases += 1
    result.statuses[exchange.status] += 1
    if exchange.truncated:  # only streams get here cut: the rest of a stream was not judged
        result.add_error("a stream was larger than the size cap and was cut; its end was not judged")
    elif exchange.stream_end is StreamEnd.CUT:
        result.add_error(f"{exchange.stream_note}; what arrived was judged, its end could not be")
    if exchange.status == 405:
        result.bare_not_found += 1
    elif exchange.status == 404:
        if no_route is not None:
            route_missing = no_route[0] == 404 and _normalise(exchange, exchange.request.path) == no_route[1]
        else:
            route_missing = not _api_error_body(exchange)
        result.bare_not_found += route_missing


def _capability_finding(capability: str, result: OperationResult) -> Any:
    from openai_conformance.results.models import Finding

    return Finding(
        check="capability.missing",
        severity="error",
        message=f"--expect names {capability!r}, but the target does not implement {result.label}",
        pointer="",
        keyword="",
        status=max(result.statuses, default=404),
        curl="",
    )


def _nothing_to_negate(operation: Operation) -> bool:
    """Whether no invalid request can be made: path parameters arrive as strings whatever they hold."""
    return not (operation.request_media_types or operation.has_query_parameters)


def _json_media(media_type: str | None) -> bool:
    return media_type is None or media_type == "application/json" or media_type.endswith("+json")


def _sort_like(results: list[OperationResult], operations: list[Operation]) -> None:
    order = {(op.method, op.path): index for index, op in enumerate(operations)}
    results.sort(key=lambda r: order.get((r.method, r.path), len(order)))


def _skipped(operation: Operation, note: str) -> OperationResult:
    result = OperationResult(operation.operation_id, operation.method, operation.path, operation.tags)
    result.outcome = Outcome.SKIPPED
    result.note = note
    return result


def _conclude(result: OperationResult) -> None:
    """Decide the outcome; an operation whose every answer said "no such route" is unsupported.

    A 404 that differs from the target's answer for a route that cannot exist (say, "no such
    assistant") means the route is there.
    """
    answered = sum(result.statuses.values())
    not_routed = result.statuses.get(405, 0) + result.statuses.get(404, 0)
    if answered and not_routed == answered and result.bare_not_found == answered:
        result.outcome = Outcome.UNSUPPORTED
        result.note = "every request was answered 404/405: the target does not implement this operation"
        result.findings.clear()
        return
    result.conclude()


def _api_error_body(exchange: Exchange) -> bool:
    """Whether the body is a JSON object that speaks as an API error (envelope or flat)."""
    try:
        body = exchange.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    return isinstance(error, dict) or "message" in body or isinstance(error, str)


_SECRET_NAME_PARTS = ("auth", "key", "token", "secret", "cookie", "password")


def _secrets(config: RunConfig) -> tuple[str, ...]:
    """The key and the values of credential-like user headers: never written anywhere."""
    values = [config.api_key or ""]
    values += [v for k, v in config.headers.items() if any(part in k.lower() for part in _SECRET_NAME_PARTS)]
    found = []
    for value in values:
        token = value.split(" ", 1)[1] if value.lower().startswith(("bearer ", "basic ")) else value
        if len(token) >= 4:
            found.append(token)
    return tuple(found)
