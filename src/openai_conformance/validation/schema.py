"""Schema conformance: openapi-core judges status, media type, headers and body of every answer.

openapi-core's exceptions stop here: each becomes a :class:`Violation` with a stable check id and a
JSON pointer. Its error objects are never turned into text with ``str()``, which itself fails on
hostile bodies (invalid UTF-8); messages are built from their fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from openapi_core import Config, OpenAPI
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from openai_conformance.errors import JudgeError
from openai_conformance.openapi.loader import Contract
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.fast import FastBodies
from openai_conformance.validation.registry import register
from openai_conformance.validation.violations import Violation, pointer_from_path

__all__ = [
    "BODY",
    "CONTENT_TYPE",
    "ENVELOPE",
    "HEADER",
    "MALFORMED_JSON",
    "STATUS_CODE",
    "SchemaValidator",
    "missing_nullable",
]

_COMPAT = (
    "under --profile compat, a required property that is missing but whose schema allows null is a "
    "warning (servers that leave out `message.refusal` and the like)"
)

STATUS_CODE = register(
    "schema.status_code",
    "error",
    "The status code is declared for the operation.",
    "OpenAPI 3 Responses Object; overlay 10-error-responses declares the API's error statuses",
    why="a status code is the server's choice, never the model's",
)
CONTENT_TYPE = register(
    "schema.content_type",
    "error",
    "The response media type is declared for the status.",
    "OpenAPI 3 Response Object `content`",
    why="the media type is the server's choice, never the model's",
)
MALFORMED_JSON = register(
    "schema.malformed_json",
    "error",
    "A JSON response body parses as JSON (UTF-8).",
    "RFC 8259; the spec declares application/json",
    why="the server serialises the body; what a model writes is a string inside it",
)
BODY = register(
    "schema.body",
    "error",
    "The response body validates against the declared schema.",
    "OpenAPI 3 Schema Object of the declared response",
    relaxed=_COMPAT,
    why="the shape of the body is built by the server; a model writes only the values of text fields",
)
HEADER = register(
    "schema.header",
    "error",
    "Declared response headers are present and valid.",
    "OpenAPI 3 Response Object `headers`",
    why="headers are the server's",
)
ENVELOPE = register(
    "errors.envelope",
    "error",
    'An error response carries {"error": {"message": str, "type": str, "param": str|null, '
    '"code": str|null}}.',
    "the spec's ErrorResponse schema; platform.openai.com/docs/guides/error-codes",
    relaxed=_COMPAT,
    why="the error body is built by the server, not a model",
)

_MAX_VALUE_CHARS = 120
_SPEC_URI = "urn:openai-conformance:spec"


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _schema_error_message(error: Any) -> str:
    keyword = str(getattr(error, "validator", ""))
    instance = getattr(error, "instance", None)
    if keyword in ("oneOf", "anyOf") and getattr(error, "context", None):
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            where = pointer_from_path(list(best.absolute_path))
            return f"{_short(instance)} matches no alternative of {keyword}; closest: {best.message[:200]} (at {where or '/'})"
    if keyword == "required":
        return str(getattr(error, "message", "a required property is missing"))
    if keyword == "additionalProperties":
        return str(getattr(error, "message", "unexpected property"))[:300]
    expected = getattr(error, "validator_value", None)
    return f"{_short(instance)} violates {keyword}: {_short(expected)}"


def _binary_read_as_text(error: Any) -> bool:
    """A binary body judged against its ``type: string`` schema (``format: binary``): OpenAPI's way to
    say "these bytes", which openapi-core's 3.1 validator reads as "a text value" and refuses bytes."""
    return (
        getattr(error, "validator", None) == "type"
        and getattr(error, "validator_value", None) == "string"
        and isinstance(getattr(error, "instance", None), bytes | bytearray)
        and not list(getattr(error, "absolute_path", None) or [])
    )


def missing_nullable(error: Any, schemas: Mapping[str, Any]) -> bool:
    """Whether a schema error is a missing required property whose schema allows null: the one
    rule of ``--profile compat``, for plain answers and streamed chunks alike."""
    if getattr(error, "validator", None) != "required":
        return False
    match = re.match(r"^'(.+)' is a required property$", str(getattr(error, "message", "")))
    schema = getattr(error, "schema", None)
    if not match or not isinstance(schema, dict):
        return False
    prop = (schema.get("properties") or {}).get(match.group(1))
    for _ in range(8):  # follow a short chain of $refs
        if isinstance(prop, dict) and isinstance(prop.get("$ref"), str):
            prop = schemas.get(prop["$ref"].rsplit("/", 1)[-1])
    if not isinstance(prop, dict):
        return False
    types = prop.get("type")
    return (
        prop.get("nullable") is True
        or (isinstance(types, list) and "null" in types)
        or any(isinstance(alt, dict) and alt.get("type") == "null" for alt in prop.get("anyOf") or ())
    )


def _closest(error: Any) -> list[Any]:
    """The error itself, or for a oneOf/anyOf every error of the alternative that comes closest (the
    one the message names): the compat rule holds there too when they are all nullable fields missing."""
    context = getattr(error, "context", None)
    if str(getattr(error, "validator", "")) in ("oneOf", "anyOf") and context:
        from jsonschema.exceptions import best_match

        best = best_match(context)
        if best is not None:
            branch = list(best.relative_schema_path)[:1]
            return [e for e in context if list(e.relative_schema_path)[:1] == branch]
    return [error]


class SchemaValidator:
    """Validates answers against one contract with openapi-core; built once per run."""

    def __init__(self, contract: Contract, *, profile: str = "strict", fast: bool = True) -> None:
        self._openapi = OpenAPI.from_dict(contract.document, config=Config(spec_validator_cls=None))
        self._schemas = contract.document.get("components", {}).get("schemas", {})
        self._compat = profile == "compat"
        self._fast = FastBodies(contract.document)
        self._fast.enabled = self._fast.enabled and fast
        self._host, self._base_path = contract.server_base
        self._openapi_31 = str(contract.document.get("openapi", "")).startswith("3.1")
        self._envelope_validator: Any | None = None

    def check(self, exchange: Exchange) -> Iterator[Violation]:
        """Every schema violation of one answer."""
        request = exchange.request
        status = exchange.status
        envelope = status >= 400
        media_type = exchange.content_type
        body = exchange.body
        parsed_ok: bool | None = True  # None: parsed by the standard parser only
        parsed: Any = None
        if _is_json(media_type):
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                try:  # orjson is stricter than openapi-core (NaN, huge integers): ask the standard parser
                    parsed = json.loads(body.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    parsed_ok = False
                    yield MALFORMED_JSON.violation(
                        f"the JSON body is not valid UTF-8 ({exc.reason} at byte {exc.start})"
                    )
                except ValueError as exc:
                    parsed_ok = False
                    if body.strip():
                        yield MALFORMED_JSON.violation(f"the body is declared JSON but does not parse: {exc}")
                else:
                    parsed_ok = None  # parsed, but not by the fast path's parser
            if parsed_ok:
                fast = self._fast.validator(request.method.lower(), request.path_template, status, media_type)
                if fast is not None and fast.is_valid(parsed):
                    return  # openapi-core would find nothing either (see validation/fast.py)
        path = self._base_path + request.path
        mock_request = MockRequest(self._host, request.method.lower(), path)
        mock_response = MockResponse(
            body,
            status_code=status,
            content_type=exchange.headers.get("content-type", ""),
            headers=dict(exchange.headers),
        )
        for error in self._openapi.response_validator.iter_errors(mock_request, mock_response):
            yield from self._translate(error, status, media_type, envelope, parsed_ok)
            if envelope and (
                isinstance(error, ResponseNotFound) or isinstance(error.__cause__, ResponseNotFound)
            ):
                # A status the spec does not declare (402, 413, 502, …) is still an error answer,
                # and a client reads its body as the API's envelope.
                yield from self._undeclared_error(exchange, parsed, parsed_ok)

    def _undeclared_error(
        self, exchange: Exchange, parsed: Any, parsed_ok: bool | None
    ) -> Iterator[Violation]:
        """The body of an error answer whose status is not declared, judged against ErrorResponse."""
        if not _is_json(exchange.content_type):
            shown = exchange.content_type or "no Content-Type"
            what = "an empty body" if not exchange.body.strip() else f"a {shown} body"
            yield ENVELOPE.violation(
                f"the {exchange.status} answer carries {what}, not the JSON error envelope"
            )
            return
        if parsed_ok is False:
            return  # the body does not parse: schema.malformed_json said so
        validator = self._envelope()
        if validator is None:
            return
        if parsed_ok is None:
            parsed = json.loads(exchange.body.decode("utf-8"))
        for error in validator.iter_errors(parsed):
            yield self._body_violation(error, envelope=True)

    def _envelope(self) -> Any | None:
        """A validator of the spec's ErrorResponse schema (None when the spec has none)."""
        if self._envelope_validator is None and "ErrorResponse" in self._schemas:
            openapi_31 = self._openapi_31
            specification = DRAFT202012 if openapi_31 else DRAFT4
            document = {"components": {"schemas": self._schemas}}
            registry: Registry[Any] = Registry().with_resource(
                _SPEC_URI, specification.create_resource(document)
            )
            root = {"$ref": f"{_SPEC_URI}#/components/schemas/ErrorResponse"}
            cls = OAS31Validator if openapi_31 else OAS30Validator
            self._envelope_validator = cls(root, registry=registry)
        return self._envelope_validator

    def _nullable_but_required(self, error: Any) -> bool:
        """A missing required property whose schema allows null (``message.refusal`` in 2.3.0)."""
        return missing_nullable(error, self._schemas)

    def _translate(
        self, error: Exception, status: int, media_type: str, envelope: bool, parsed_ok: bool | None
    ) -> Iterator[Violation]:
        cause = error.__cause__
        name = type(error).__name__
        body_check = ENVELOPE if envelope else BODY
        if isinstance(error, ResponseNotFound) or isinstance(cause, ResponseNotFound):
            yield STATUS_CODE.violation(f"status {status} is not declared for this operation")
        elif isinstance(cause, MediaTypeNotFound):
            shown = media_type or "(no Content-Type)"
            declared = ", ".join(getattr(cause, "availableMimetypes", []) or [])
            yield CONTENT_TYPE.violation(
                f"media type {shown} is not declared for status {status} (declared: {declared})"
            )
        elif type(cause).__name__ == "MediaTypeDeserializeError":
            if parsed_ok is not False:  # parsed by us but not by openapi-core: say so rather than drop it
                yield MALFORMED_JSON.violation(f"openapi-core cannot deserialize the {media_type} body")
        elif cause is not None and hasattr(cause, "schema_errors"):
            if media_type == "text/event-stream":
                # The newer specs give an event stream the schema of one event; openapi-core would
                # judge the whole stream's bytes as that one value. The events of chat and text
                # completions are judged one by one by validation/stream.py (stream.chunk_schema);
                # those of the newer specs' other streams (Responses, audio) are not judged yet.
                return
            for schema_error in cause.schema_errors:
                if not _binary_read_as_text(schema_error):
                    yield self._body_violation(schema_error, envelope)
        elif name == "MissingData":
            yield body_check.violation(f"status {status} declares a body, but the answer has none")
        elif "Header" in name:
            header = getattr(error, "name", None) or getattr(cause, "name", None) or "a header"
            yield HEADER.violation(f"{name}: response header {header} is missing or invalid")
        elif "Path" in name or "Server" in name or "Operation" in name:
            # The request did not match the spec: a tool error, not the server's fault.
            raise JudgeError(f"openapi-core cannot find the operation for this request ({name})")
        else:
            yield body_check.violation(f"openapi-core: {name}")

    def _body_violation(self, error: Any, envelope: bool) -> Violation:
        """One schema error of a body; the compat profile lets a missing nullable field be a warning."""
        check = ENVELOPE if envelope else BODY
        lenient = self._compat and all(self._nullable_but_required(e) for e in _closest(error))
        message = _schema_error_message(error) + (
            " (compat profile: a nullable field, warning)" if lenient else ""
        )
        pointer = pointer_from_path(list(error.absolute_path))
        return check.violation(message, pointer, str(error.validator), warning=lenient)
