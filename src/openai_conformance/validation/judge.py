"""Every per-answer check in one place: schema, server errors, key hygiene, streams, semantics."""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.openapi.loader import Contract
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.chunk_schema import chunk_validator
from openai_conformance.validation.event_schema import EventUnion, SchemaSet
from openai_conformance.validation.parsed_stream import ParsedStream, parse_stream
from openai_conformance.validation.registry import check
from openai_conformance.validation.responses_answer import check_response_answer
from openai_conformance.validation.schema import CONTENT_TYPE, MALFORMED_JSON, SchemaValidator
from openai_conformance.validation.semantics import check_semantics
from openai_conformance.validation.stream import ChunkValidator, check_event_stream, check_stream
from openai_conformance.validation.stream_kinds import stream_kinds
from openai_conformance.validation.violations import Violation

__all__ = ["Judge", "key_echoed", "server_error"]


@check("errors.server_error", "error")
def server_error(exchange: Exchange, what: str) -> Iterator[Violation]:
    """A request, valid or invalid, is never answered with a 5xx.

    ``what`` names the request in the message ("a valid request at a boundary …").

    Reference: a 5xx means the server failed; input, valid or not, must not crash it
    Why: a 5xx is the server failing; no input, valid or not, makes failing correct
    """
    if exchange.status >= 500:
        yield server_error.violation(f"{what} was answered with {exchange.status}")


@check("auth.key_echoed", "error")
def key_echoed(exchange: Exchange, secrets: tuple[str, ...]) -> Iterator[Violation]:
    """The API key never appears in a response.

    Reference: basic secret hygiene
    Why: a correct server has no reason to send a credential back
    """
    for secret in secrets:
        encoded = secret.encode()
        if encoded in exchange.body or any(secret in value for value in exchange.headers.values()):
            yield key_echoed.violation("the API key sent with the request appears in the answer")
            return


class Judge:
    """Runs every check that applies to one answer; built once per run."""

    def __init__(self, contract: Contract, *, secrets: tuple[str, ...] = (), profile: str = "strict") -> None:
        self._schema = SchemaValidator(contract, profile=profile)
        self._secrets = tuple(s for s in secrets if s and len(s) >= 8)
        self._streams = _StreamChecks(contract, compat=profile == "compat")

    def judge(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True, what: str = ""
    ) -> Iterator[Violation]:
        """Every violation in one answer. ``valid_request`` says the request obeyed the schema;
        ``what`` names the request in a 5xx's message ("a valid request at a boundary …")."""
        return self._judge(exchange, operation_id, valid_request, None, what)

    def judge_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[Violation]:
        """Every violation in a streamed answer to a valid request that its caller has parsed already."""
        return self._judge(stream.exchange, operation_id, True, stream, "")

    def _judge(
        self,
        exchange: Exchange,
        operation_id: str,
        valid_request: bool,
        stream: ParsedStream | None,
        what: str,
    ) -> Iterator[Violation]:
        streamed = exchange.request.asks_stream and not self._streams.served_plain(exchange, operation_id)
        if exchange.stream_cut and not streamed:
            return
        for violation in self._schema.check(exchange):
            # A stream served under another media type is stream.content_type's to report, once;
            # that its event-stream body does not parse as JSON is the same fault, not a second one.
            if streamed and violation.check in (MALFORMED_JSON.id, CONTENT_TYPE.id):
                continue
            yield violation
        yield from server_error(
            exchange, what or ("a valid request" if valid_request else "an invalid request")
        )
        yield from key_echoed(exchange, self._secrets)
        if not valid_request:
            return  # what an invalid request's answer means is the caller's to judge (scenarios, --negative)
        if streamed:
            # A stream is parsed once per answer, here, unless its caller has parsed it already.
            yield from self._streams.check(exchange, operation_id, stream)
        elif 200 <= exchange.status < 300:
            yield from check_semantics(exchange, operation_id)
            yield from check_response_answer(exchange, operation_id)


class _StreamChecks:
    """Stream checks by the operation's kind of stream (read from the spec), validators built once."""

    def __init__(self, contract: Contract, *, compat: bool = False) -> None:
        self._contract = contract
        self._compat = compat
        self._kinds = stream_kinds(contract.document)
        self._schemas: SchemaSet | None = None
        self._chunks: dict[str, ChunkValidator] = {}
        self._unions: dict[str, EventUnion] = {}

    def _schema_set(self) -> SchemaSet:
        if self._schemas is None:
            self._schemas = SchemaSet(self._contract.document, compat=self._compat)
        return self._schemas

    def served_plain(self, exchange: Exchange, operation_id: str) -> bool:
        """A stream request the spec says is answered plain (a transcription by whisper-1)."""
        kind = self._kinds.get(operation_id)
        request = exchange.request
        return kind is not None and kind.served_plain(
            request.json_body if request.files is None else request.files
        )

    def check(
        self, exchange: Exchange, operation_id: str, stream: ParsedStream | None
    ) -> Iterator[Violation]:
        kind = self._kinds.get(operation_id)
        if kind is None:
            return
        parsed = parse_stream(exchange) if stream is None else stream
        chunk = kind.chunk_kind
        if chunk is not None:
            if kind.schema not in self._chunks:
                self._chunks[kind.schema] = chunk_validator(self._schema_set(), chunk, kind.schema)
            yield from check_stream(parsed, chunk, self._chunks[kind.schema])
            return
        if kind.schema not in self._unions:
            self._unions[kind.schema] = EventUnion.of(self._schema_set(), kind.schema)
        yield from check_event_stream(parsed, kind, self._unions[kind.schema])
