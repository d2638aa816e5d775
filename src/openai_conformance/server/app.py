"""The reference server: a deterministic, strictly validating implementation of the OpenAI REST API.

``create_app(spec)`` serves every operation of ``spec`` under ``/v1`` and without the prefix.  Model
endpoints behave like the API (chat, completions, embeddings, moderations, images, audio), resources
keep in-memory state, every other operation answers a minimal body valid for its 200 schema.  Invalid
requests get OpenAI's error envelope.  ``fault=ID`` switches on one deviation from ``faults.FAULTS``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openai_conformance.server.core import Call, Server
from openai_conformance.server.faults import FAULTS
from openai_conformance.server.inference import HANDLERS
from openai_conformance.server.resources import RESOURCE_HANDLERS, Resources
from openai_conformance.server.routing import Operation, RequestError

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

Handler = Callable[[Server, Call], Response]
_MAX_BODY = 64 * 1024 * 1024


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _generic_handler(server: Server, resources: Resources, op: Operation) -> Handler:
    """The handler of an operation without a dedicated one, chosen from the shape of its path."""
    kind = resources.kinds.get(op.path)
    if kind is not None:
        if op.method == "GET":
            return lambda s, call: resources.list(kind, call)
        if op.method == "POST":
            return lambda s, call: resources.create(kind, call)
    match = re.fullmatch(r"(.*)/\{[^}/]+\}", op.path)
    if match and match.group(1) in resources.kinds:
        item_kind = resources.kinds[match.group(1)]
        if op.method == "GET":
            return lambda s, call: resources.retrieve(item_kind, call)
        if op.method == "POST":
            return lambda s, call: resources.modify(item_kind, call)
        if op.method == "DELETE":
            return lambda s, call: resources.delete(item_kind, call)
    match = re.fullmatch(r"(.*)/\{[^}/]+\}/([^{}/]+)", op.path)
    if match and match.group(1) in resources.kinds:
        owner = resources.kinds[match.group(1)]
        word = match.group(2)
        if op.method == "POST":
            return lambda s, call: resources.action(owner, word, call)

        def sub_list(s: Server, call: Call) -> Response:
            resources.get(owner, call.path_args)
            return resources.list(None, call, [])

        return sub_list
    return lambda s, call: s.json(s.template(call.op))


class _App:
    """The request pipeline: route, authenticate, validate, dispatch."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.resources = Resources(server)
        server.resources = self.resources
        self.handlers: dict[str, Handler] = {}
        for op in server.router.operations:
            handler = HANDLERS.get(op.operation_id) or RESOURCE_HANDLERS.get(op.operation_id)
            self.handlers[op.operation_id] = handler or _generic_handler(server, self.resources, op)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: every method of every path reaches the pipeline (which answers 405)."""
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        """The response to one request; never raises."""
        server = self.server
        authorization = request.headers.get("authorization")
        try:
            response = await self.handle(request, authorization)
        except RequestError as err:
            response = server.error(err)
        except Exception:  # a bug of the reference server: answer 500, never crash the connection
            logger.exception("reference server failure on %s %s", request.method, request.url.path)
            response = server.error(
                RequestError(
                    500, "The server had an error while processing your request.", type="server_error"
                )
            )
        if server.on("key-echoed") and authorization:
            response.headers["x-echo-authorization"] = authorization
        return response

    def _check_auth(self, authorization: str | None) -> None:
        server = self.server
        if server.api_key is None or server.on("auth-not-enforced"):
            return
        if not authorization:
            raise RequestError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != server.api_key:
            raise RequestError(401, "Incorrect API key provided.", code="invalid_api_key")

    async def handle(self, request: Request, authorization: str | None) -> Response:
        server = self.server
        method = request.method.upper()
        path = request.url.path
        op, path_args, exists = server.router.match(method, path)
        if op is None:
            if exists:
                raise RequestError(
                    405, f"Method not allowed ({method} {path[:200]}).", code="method_not_allowed"
                )
            raise RequestError(404, f"Invalid URL ({method} {path[:200]})", code="unknown_url")
        self._check_auth(authorization)
        call = Call(op, path_args, {}, authorization=authorization)
        try:
            call.params = server.router.check_parameters(
                op, path_args, list(request.query_params.multi_items())
            )
            if op.body_media:
                await self._read_body(request, op, call)
        except RequestError as err:
            if err.status == 400 and server.on("invalid-accepted"):
                return server.json(server.template(op))
            raise
        response = self.handlers[op.operation_id](server, call)
        if response.status_code == 200 and "200" not in op.declared_statuses and op.success_status.isdigit():
            response.status_code = int(op.success_status)  # an operation that declares 201 (createEval, …)
        return response

    async def _read_body(self, request: Request, op: Operation, call: Call) -> None:
        server = self.server
        content_type = request.headers.get("content-type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        if media.startswith("multipart/") and media in op.body_media:
            call.body = await self._read_form(request, op, media, call)
            server.router.check_body(op, media, self._form_for_validation(call))
            return
        raw = await request.body()
        if len(raw) > _MAX_BODY:
            raise RequestError(413, "The request body is too large.")
        if not raw.strip() and not media:
            if op.body_required:
                raise RequestError(400, "The request needs a body: " + ", ".join(op.body_media) + ".")
            return
        if media not in op.body_media:
            expected = " or ".join(op.body_media)
            raise RequestError(
                400, f"Invalid Content-Type header ({content_type[:100]}), expected {expected}."
            )
        if media.endswith("json"):
            try:
                call.body = json.loads(raw, parse_constant=_reject_constant)
            except (ValueError, UnicodeDecodeError):
                raise RequestError(
                    400,
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                    "your HTTP library correctly. The OpenAI API expects a JSON payload.)",
                ) from None
        else:
            call.body = raw.decode("utf-8", errors="replace")
        server.router.check_body(op, media, call.body)

    async def _read_form(self, request: Request, op: Operation, media: str, call: Call) -> dict[str, Any]:
        try:
            form = await request.form(max_files=32, max_fields=1000)
        except Exception as exc:  # python-multipart raises several types for malformed bodies
            raise RequestError(400, f"Could not parse the multipart form: {str(exc)[:200]}") from None
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                call.files[key] = await value.read()
                call.filenames[key] = value.filename or key
                text: Any = ""
            else:
                text = value
            if key in fields:
                previous = fields[key]
                fields[key] = [*previous, text] if isinstance(previous, list) else [previous, text]
            else:
                fields[key] = text
        await form.close()
        typed = self.server.router.coerce_form(op, media, fields)
        for key, value in typed.items():
            if key not in call.files and isinstance(value, str) and self._is_binary(op, media, key):
                call.files[key] = value.encode()
                call.filenames[key] = key
        return typed

    def _is_binary(self, op: Operation, media: str, key: str) -> bool:
        schema = self.server.builder.resolve(op.body_media.get(media)) or {}
        prop = self.server.builder.resolve((schema.get("properties") or {}).get(key)) or {}
        return isinstance(prop, dict) and prop.get("format") == "binary"

    def _form_for_validation(self, call: Call) -> Any:
        if not isinstance(call.body, dict):
            return call.body
        return {k: ("" if k in call.files and isinstance(v, str) else v) for k, v in call.body.items()}


def create_app(
    spec: dict[str, Any], *, api_key: str | None = None, faults: tuple[str, ...] = ()
) -> Starlette:
    """The reference server for ``spec`` (a loaded OpenAPI document), optionally with one fault on."""
    fault = faults[0] if faults else None
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known faults: {', '.join(sorted(FAULTS))}")
    pipeline = _App(Server(spec, api_key=api_key, fault=fault))
    app = Starlette()
    # Every request of every method reaches the pipeline (which answers 404 and 405 itself), whatever
    # characters its path holds.
    app.router.default = pipeline
    app.state.server = pipeline.server
    return app
