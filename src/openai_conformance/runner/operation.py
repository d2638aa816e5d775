"""One operation: its generated requests and its hand-made scenarios sent, judged, and told as events."""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from openai_conformance.capabilities import capability_of
from openai_conformance.config import selected_operations
from openai_conformance.errors import CaseError, ConfigError, TransportError
from openai_conformance.events import (
    BOUNDARY,
    GENERATED,
    CaseJudged,
    Event,
    OperationFinished,
    OperationStarted,
    TargetDown,
)
from openai_conformance.generation.request import GeneratedCase
from openai_conformance.openapi.operations import Operation, iter_operations
from openai_conformance.openapi.resources import ResourceGraph
from openai_conformance.results.collector import OperationRecorder
from openai_conformance.runner.budget import TimeBudget
from openai_conformance.runner.compare import compare_case
from openai_conformance.runner.drawing import CaseSource
from openai_conformance.runner.health import WatchedTransport
from openai_conformance.runner.resources import Resources
from openai_conformance.runner.target import NoRoute
from openai_conformance.transport.curl import to_curl
from openai_conformance.transport.exchange import Exchange, Request, StreamEnd, asks_for_stream
from openai_conformance.validation.judge import Judge
from openai_conformance.validation.rejection import check_negative_answer
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    import httpx

    from openai_conformance.config import RunConfig
    from openai_conformance.generation.ahead import CaseFeed
    from openai_conformance.generation.request import Drawn
    from openai_conformance.openapi.loader import Contract

__all__ = ["OperationRunner", "build_operation_runner", "route_of", "secrets_of"]

INTERRUPTED = "interrupted by the user (Ctrl-C)"
_NOTHING_TO_NEGATE = "no invalid request can be made: the operation takes no body and no query"


def route_of(method: str, template: str) -> tuple[str, str]:
    """What identifies an operation's route whatever its parameters are named (one spec's
    ``{key_id}`` is another's ``{api_key_id}``)."""
    return method.lower(), re.sub(r"\{[^}/]*\}", "{}", template)


def request_kind(request: Request) -> str:
    """The kind of request a finding records: "" (valid), or what makes it invalid on purpose."""
    return f"invalid: {request.about}" if request.about else ""


class OperationRunner:
    """Runs one operation at a time against one target; every answer becomes a :class:`CaseJudged`."""

    def __init__(
        self,
        config: RunConfig,
        transport: WatchedTransport,
        judge: Judge,
        source: CaseSource,
        budget: TimeBudget,
        *,
        secrets: tuple[str, ...] = (),
        no_route: NoRoute | None = None,
        graph: ResourceGraph | None = None,
        operations: Sequence[Operation] = (),
    ) -> None:
        self.config = config
        self.transport = transport
        self.judge = judge
        self.source = source
        self.budget = budget
        self.secrets = secrets
        self.no_route = no_route or NoRoute()
        self.resources = Resources(graph or ResourceGraph(), self)
        # The operations of the run a workflow's step may call, by method and path template.
        self.routes = {route_of(op.method, op.path): op for op in operations}

    def step_of(self, operation: Operation, request: Request) -> Operation | None:
        """The operation a request of ``operation``'s scenario called, when it is another one of the
        run (None: ``operation`` itself, or one the run does not judge, which ``operation`` keeps)."""
        called = self.routes.get(route_of(request.method, request.path_template))
        if called is None or (called.method, called.path) == (operation.method, operation.path):
            return None
        return called

    def run(self, operation: Operation) -> Iterator[Event | TargetDown]:
        """The operation's events, ending with its :class:`OperationFinished`.

        On Ctrl-C the operation ends with what it had shown (noted as cut short), then the
        KeyboardInterrupt goes on.
        """
        yield OperationStarted(operation)
        self.transport.operation = operation
        recorder = OperationRecorder(operation)
        config = self.config
        if config.negative and not (operation.request_media_types or operation.has_query_parameters):
            # Path parameters arrive as strings whatever they hold: nothing can be made invalid.
            result = recorder.finish(note=_NOTHING_TO_NEGATE)
            yield OperationFinished(operation, result, recorder.decision)
            return
        told: list[CaseJudged] = []
        self.resources.begin(operation)
        try:
            drawn = self._generated(operation, recorder, told)
            yield from told
            told.clear()
            yield from self.transport.take_events()
            if drawn.error:
                recorder.result.add_error(drawn.error)
            said: list[str] = []  # what the scenarios say about the target, for the operation's note
            if not drawn.fatal and config.probes and not config.negative and not recorder.unsupported:
                for event in self._scenarios(operation, said):
                    if event.sent_by is None:  # a step of another operation is filed under it
                        recorder.record(event)
                    yield event
                    yield from self.transport.take_events()
        except KeyboardInterrupt:
            yield from told
            if recorder.result.cases:
                result = recorder.finish(interrupted=INTERRUPTED)
                yield OperationFinished(operation, result, recorder.decision)
            raise
        if self.transport.down is not None:
            recorder.result.add_error(f"the rest was not sent: {self.transport.down}")
        if drawn.fatal:
            result = recorder.finish(error=True, note=drawn.note)
        else:
            note = drawn.note or "; ".join(said)
            if not note and self.budget.past():
                note = "cut short: the run's time budget ran out"
            capability = capability_of(operation.operation_id)
            result = recorder.finish(
                note=note,
                capability=capability if capability in config.expect else None,
                expect_success=not config.negative,
                unreached=self.resources.unreached_reason(),
            )
        yield OperationFinished(operation, result, recorder.decision)

    # -- generated requests ---------------------------------------------------------------------
    def _generated(self, operation: Operation, recorder: OperationRecorder, told: list[CaseJudged]) -> Drawn:
        """Draw, send and judge the generated requests; each event is recorded and kept in ``told``."""

        def keep(event: CaseJudged) -> None:
            recorder.record(event)
            told.append(event)

        # With --concurrency N, each request goes out as soon as it is drawn and up to N are in flight
        # while the next ones are drawn; answers are recorded in the order they were drawn.
        concurrency = self.config.concurrency
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) if concurrency > 1 else None
        pending: list[concurrent.futures.Future[CaseJudged]] = []

        def emit(case: GeneratedCase) -> None:
            if self.budget.past() or self.transport.down is not None:
                return
            case = self.resources.fill(case)  # in drawing order, before the request goes out
            if pool is None:
                keep(self._judge_case(operation, case))
            else:
                pending.append(pool.submit(self._judge_case, operation, case))

        try:
            drawn = self.source.draw(operation, emit, self.budget.past)
        except KeyboardInterrupt:
            if pool is not None:  # requests not yet sent are dropped; those in flight end by their timeouts
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        if pool is not None:
            pool.shutdown(wait=True)
            for future in pending:
                keep(future.result())
        return drawn

    def request_of(self, operation: Operation, case: GeneratedCase) -> Request:
        """The request a generated case makes, ready to send."""
        return self.transport.build(
            case.method,
            case.path,
            operation.path,
            query=case.query,
            headers=case.headers,
            body=case.body,
            media_type=case.media_type,
        )

    def _judge_case(self, operation: Operation, case: GeneratedCase) -> CaseJudged:
        """Send one generated request and judge the answer."""
        request = self.request_of(operation, case)
        streamed = asks_for_stream(case.body)
        source = BOUNDARY if case.boundary else GENERATED
        negative = self.config.negative
        if negative:
            request.about = "generated to break the schema"
        try:
            exchange = self.transport.send(request, stream=streamed)
        except TransportError as exc:
            return self.unusable(operation, source, exc, request)
        self.resources.capture(operation, exchange, case)
        # A 5xx says which request broke the server: one at a boundary says which boundary.
        what = f"a valid request at a boundary of its schema ({case.boundary})" if case.boundary else ""
        try:
            judged = self.judge.judge(exchange, operation.operation_id, valid_request=not negative, what=what)
            violations = list(judged)
        except CaseError as exc:
            return self.failed(operation, source, request, exc.message)
        except Exception as exc:  # a validator that breaks on this answer: it could not be judged
            return self.failed(
                operation, source, request, f"the answer could not be judged: {type(exc).__name__}: {exc}"
            )
        if negative:
            violations.extend(check_negative_answer(exchange, body_breaks_schema=case.invalid_body))
        return self.answered(operation, source, exchange, violations)

    # -- events --------------------------------------------------------------------------------
    def answered(
        self,
        operation: Operation,
        source: str,
        exchange: Exchange,
        violations: list[Violation],
        *,
        upstream_violations: list[Violation] | None = None,
        notes: tuple[str, ...] = (),
    ) -> CaseJudged:
        """The event of one answer, with its redacted reproduction; with --upstream, compared with
        the upstream's answer (``upstream_violations``: what the checks found in it, if known).
        ``notes``: what the caller has to say about it."""
        if exchange.truncated:  # only streams get here cut: the rest of a stream was not judged
            notes += ("a stream was larger than the size cap and was cut; its end was not judged",)
        elif exchange.stream_end is StreamEnd.CUT:
            notes += (f"{exchange.stream_note}; what arrived was judged, its end could not be",)
        no_route = self.no_route.matches(exchange)
        pairing = self.transport.pairing
        upstream = None
        if pairing is not None and not no_route:  # a route the proxy lacks: unsupported, not compared
            violations, upstream, said = compare_case(
                pairing,
                self.judge,
                operation.operation_id,
                exchange,
                violations,
                secrets=self.secrets,
                upstream_violations=upstream_violations,
            )
            notes += said
        request = exchange.request
        return CaseJudged(
            operation=operation,
            source=source,
            status=exchange.status,
            violations=tuple(violations),
            curl=to_curl(request, self.secrets),
            request_size=len(request.content) + len(request.url),
            notes=notes,
            no_route=no_route,
            request_kind=request_kind(request),
            elapsed=exchange.elapsed,
            exchange=exchange,
            upstream=upstream,
        )

    def unusable(
        self, operation: Operation, source: str, exc: TransportError, request: Request, message: str = ""
    ) -> CaseJudged:
        """A request that could not be tested; an answer that came all the same (a 429 that remains
        after the retries) is judged as the error answer it is, and reported when it breaks a rule."""
        message = message or exc.message
        if exc.exchange is not None:
            try:
                violations = list(self.judge.judge(exc.exchange, operation.operation_id, valid_request=False))
            except Exception:  # a validator that breaks on it: it stays could-not-test
                violations = []
            if violations:
                return replace(self.answered(operation, source, exc.exchange, violations), error=message)
        return self.failed(operation, source, request, message)

    def failed(self, operation: Operation, source: str, request: Request, message: str) -> CaseJudged:
        """The event of a request that could not be tested, with its reproduction."""
        return CaseJudged(
            operation=operation,
            source=source,
            status=None,
            error=message,
            curl=to_curl(request, self.secrets),
            request_size=len(request.content) + len(request.url),
            request_kind=request_kind(request),
        )

    # -- hand-made scenarios ---------------------------------------------------------------------
    def _scenarios(self, operation: Operation, notes: list[str]) -> Iterator[CaseJudged]:
        from openai_conformance.runner.scenarios import run_scenarios

        yield from run_scenarios(self, operation, notes)


def build_operation_runner(
    contract: Contract,
    config: RunConfig,
    base_url: str,
    *,
    no_route: NoRoute | None = None,
    client: httpx.Client | None = None,
    feed: CaseFeed | None = None,
    api_prefix: str | None = None,
) -> OperationRunner:
    """The transport, judge and request source of one process, around one target.

    ``api_prefix``: what to put between ``base_url`` and the spec's paths (None: the spec's own
    ``/v1``, unless ``base_url`` ends with it; "" once the probes have found where the API is).
    """
    secrets = secrets_of(config)
    transport = WatchedTransport(
        config,
        base_url,
        restart_wait=config.restart_wait,
        secrets=secrets,
        api_prefix=contract.server_base[1] if api_prefix is None else api_prefix,
        client=client,
    )
    judge = Judge(contract, secrets=secrets, profile=config.profile)
    source = CaseSource(contract, config, feed=feed)
    budget = TimeBudget(config.max_time)
    operations = list(iter_operations(contract.document))
    graph = ResourceGraph.from_document(contract.document, operations)
    return OperationRunner(
        config,
        transport,
        judge,
        source,
        budget,
        secrets=secrets,
        no_route=no_route,
        graph=graph,
        operations=_selected(contract, config, operations),
    )


def _selected(contract: Contract, config: RunConfig, every: list[Operation]) -> list[Operation]:
    """The operations of the run (none selected is the run's error to say, not this one's)."""
    try:
        return selected_operations(contract, config)
    except ConfigError:
        return every


_SECRET_NAME_PARTS = ("auth", "key", "token", "secret", "cookie", "password")


def secrets_of(config: RunConfig) -> tuple[str, ...]:
    """The key and the values of credential-like user headers: never written anywhere."""
    values = [config.api_key or "", config.upstream_api_key or ""]
    for given in (config.headers, config.upstream_headers):
        values += [v for k, v in given.items() if any(part in k.lower() for part in _SECRET_NAME_PARTS)]
    found = []
    for value in values:
        token = value.split(" ", 1)[1] if value.lower().startswith(("bearer ", "basic ")) else value
        if len(token) >= 4:
            found.append(token)
    return tuple(found)
