"""What a scenario is, and what it may use: one context to build, send and judge hand-made requests.

A scenario sends requests whose right answer the API documents and yields each violation with the
answer that shows it. It judges every answer with the per-answer checks (:meth:`ScenarioContext.check`)
and adds what only it can judge: that an invalid request was rejected, that a created file is
listed, that a stream has the shape of the plain answer. A request that gets no answer raises
:class:`~openai_conformance.errors.TransportError` out of the scenario; the engine records it against
the operation as could-not-test, naming the scenario, so that no request vanishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, overload

from openai_conformance.errors import TransportError
from openai_conformance.generation.models import models_for
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.parsed_stream import ParsedStream
from openai_conformance.validation.violations import Violation

__all__ = [
    "SEED",
    "AnswerJudge",
    "Scenario",
    "ScenarioContext",
    "ScenarioFinding",
    "Scenarios",
    "Steps",
    "Stopped",
    "Unimplemented",
    "WithModel",
    "answer_body",
    "fit_models",
    "json_object",
]

#: What a scenario yields: a violation and the answer that shows it.
ScenarioFinding = tuple[Violation, Exchange]

#: The sampling seed of every scenario request that generates text (with temperature 0).
SEED = 1234

#: A scenario's steps, given the model they name.
WithModel = Callable[["ScenarioContext", str], Iterator[ScenarioFinding]]
#: A scenario's steps that name no model of the target (what a scenario runs).
Steps = Callable[["ScenarioContext"], Iterator[ScenarioFinding]]
_NamingModel = TypeVar("_NamingModel", bound=WithModel)
_NamingNone = TypeVar("_NamingNone", bound=Steps)


class AnswerJudge(Protocol):
    """Runs the per-answer checks (``validation.judge.Judge``)."""

    def judge(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True
    ) -> Iterator[Violation]:
        """Every violation in one answer; ``valid_request`` says the request obeyed the schema."""

    def judge_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[Violation]:
        """Every violation in a streamed answer to a valid request, parsed already."""


class Stopped(Exception):
    """A workflow cannot go on: ``reason`` says where it stopped and what was left untested.

    The engine records the reason against the operation (the answers before it were judged).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unimplemented(Exception):
    """A workflow's step answered like a route the target lacks: the workflow ends there, quietly (that
    step's operation is reported unsupported by its own requests; nothing of it could be judged)."""


def json_object(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON object an answer holds, whatever its status, or None."""
    try:
        body = exchange.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def answer_body(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON object of a 200 answer, or None."""
    return json_object(exchange) if exchange.status == 200 else None


def fit_models(models: Sequence[str]) -> Callable[[str], list[str]]:
    """operationId → those of the target's ``models`` fit for it (none when the target lists none)."""
    listed = list(models)
    return lambda operation_id: models_for(operation_id, listed)


@dataclass(frozen=True, slots=True)
class ScenarioContext:
    """What a scenario may use; the engine fills one per operation."""

    transport: HttpTransport
    judge: AnswerJudge
    models: Callable[[str], Sequence[str]]  # operationId → models fit for it; see fit_models
    max_tokens: int = 16  # the budget cap for generated tokens per choice
    expect_auth: bool = False  # the target must refuse requests without a valid key
    on_answer: Callable[[Exchange], None] | None = None  # told of every answer, for counting
    notes: list[str] = field(default_factory=list)  # what the scenarios say about the target, for the report
    on_unanswered: Callable[[Request, str], None] | None = None  # told of every request with no answer
    max_wait: float = 5.0  # seconds a workflow waits for a lifecycle (polls) or a lagging list
    no_route: Callable[[Exchange], bool] | None = None  # whether an answer is the target's "no such route"

    def __post_init__(self) -> None:
        if not isinstance(self.max_tokens, int) or isinstance(self.max_tokens, bool) or self.max_tokens < 1:
            raise ValueError(
                f"ScenarioContext.max_tokens must be a positive integer, got {self.max_tokens!r}"
            )

    @property
    def keyed(self) -> bool:
        """Whether the run sends a credential (``--api-key``, or an authorization ``--header``)."""
        headers = self.transport.base_headers()
        return any(name.lower() in ("authorization", "api-key", "x-api-key") for name in headers)

    def note(self, text: str) -> None:
        """Say something about the target in the report (once), which is not a violation."""
        if text not in self.notes:
            self.notes.append(text)

    def model_for(self, operation_id: str) -> str | None:
        """The first of the target's models fit for an operation, or None."""
        fit = self.models(operation_id)
        return fit[0] if fit else None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        template: str | None = None,
        media_type: str | None = None,
        content: bytes | None = None,
        auth: bool = True,
        query: dict[str, Any] | None = None,
        about: str = "",
    ) -> Request:
        """A request to the target, ready to send.

        ``body`` is encoded as ``media_type`` says (JSON unless multipart); ``content`` is sent as it
        is, under ``media_type`` as its Content-Type (malformed JSON, a body of another type).
        ``template`` is the spec's path when ``path`` fills in a parameter; ``auth=False`` leaves
        the key out; ``query`` holds the query arguments. ``about`` says what makes the request
        invalid on purpose ("malformed JSON"): findings of an invalid request are kept apart from
        those of valid ones.
        """
        template = path if template is None else template
        if content is None:
            request = self.transport.build(
                method, path, template, query=query, body=body, media_type=media_type, auth=auth
            )
        else:
            request = self.transport.build(method, path, template, query=query, auth=auth)
            request.content = content
            request.headers["Content-Type"] = media_type or "application/octet-stream"
        request.about = about
        return request

    def send(self, request: Request, *, stream: bool = False) -> Exchange:
        """The target's answer; :class:`~openai_conformance.errors.TransportError` when there is none
        (the engine is told of the request first, so that it is recorded with its reproduction)."""
        try:
            exchange = self.transport.send(request, stream=stream)
        except TransportError as exc:
            if self.on_unanswered is not None:
                self.on_unanswered(request, exc.message)
            raise
        if self.on_answer is not None:
            self.on_answer(exchange)
        return exchange

    def post(self, path: str, body: Any, *, stream: bool = False, about: str = "") -> Exchange:
        """POST a JSON body and read the answer, as a stream when ``stream``."""
        request = self.request("POST", path, body, media_type="application/json", about=about)
        return self.send(request, stream=stream)

    def post_form(self, path: str, fields: dict[str, Any]) -> Exchange:
        """POST multipart form fields (bytes are sent as files) and read the answer."""
        return self.send(self.request("POST", path, fields, media_type="multipart/form-data"))

    def check(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True
    ) -> Iterator[ScenarioFinding]:
        """The per-answer checks on one answer, each violation with the answer.

        ``valid_request=False`` for a request that breaks the schema: the schema, 5xx and key checks
        run, not the stream or semantics rules.
        """
        for violation in self.judge.judge(exchange, operation_id, valid_request=valid_request):
            yield violation, exchange

    def check_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[ScenarioFinding]:
        """The per-answer checks on a streamed answer the scenario has parsed itself (to read it too)."""
        for violation in self.judge.judge_stream(stream, operation_id):
            yield violation, stream.exchange


@dataclass(frozen=True, slots=True)
class Scenario:
    """One hand-made scenario, reported under one operation."""

    id: str
    operation_id: str  # the operation whose result records what it finds
    description: str
    run: Callable[[ScenarioContext], Iterator[ScenarioFinding]]
    needs_models: bool = True  # it names one of the target's models: skipped when the target lists none


def _with_model(operation_id: str, steps: WithModel) -> Steps:
    """A scenario run that names the first of the target's models fit for an operation (none: no run)."""

    def run(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
        model = ctx.model_for(operation_id)
        if model is not None:
            yield from steps(ctx, model)

    return run


class Scenarios(Sequence[Scenario]):
    """The scenarios one module declares, in the order declared (the order an operation runs them in).

    A module declares each scenario where its steps are written, by decorating them
    (``scenario = SCENARIOS.declare``); a family of scenarios made in a loop calls the same
    declaration on each steps function it makes.
    """

    def __init__(self) -> None:
        self._declared: list[Scenario] = []

    @overload
    def __getitem__(self, index: int) -> Scenario: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Scenario]: ...

    def __getitem__(self, index: int | slice) -> Scenario | Sequence[Scenario]:
        return self._declared[index]

    def __len__(self) -> int:
        return len(self._declared)

    @overload
    def declare(
        self, scenario_id: str, operation_id: str, description: str, *, model_for: None
    ) -> Callable[[_NamingNone], _NamingNone]: ...

    @overload
    def declare(
        self, scenario_id: str, operation_id: str, description: str, *, model_for: str = ""
    ) -> Callable[[_NamingModel], _NamingModel]: ...

    def declare(
        self, scenario_id: str, operation_id: str, description: str, *, model_for: str | None = ""
    ) -> Callable[[Any], Any]:
        """Declares the scenario ``scenario_id``, reported under ``operation_id``, whose steps the
        decorated function is (returned unchanged: it may be a check too).

        The steps are given the first of the target's models fit for ``model_for`` (by default the
        scenario's own operation; the scenario does not run when the target has none), or, with
        ``model_for=None``, name no model of the target and run whatever it lists.
        """

        def declare(steps: Any) -> Any:
            if any(known.id == scenario_id for known in self._declared):
                raise ValueError(f"scenario {scenario_id} is declared twice")
            run = steps if model_for is None else _with_model(model_for or operation_id, steps)
            needs_models = model_for is not None
            self._declared.append(Scenario(scenario_id, operation_id, description, run, needs_models))
            return steps

        return declare
