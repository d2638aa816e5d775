"""The reference server: a deterministic, strictly validating implementation of the OpenAI REST API.

``create_app(spec)`` serves every operation of ``spec`` under ``/v1`` and without the prefix.  Model
endpoints behave like the API (chat, completions, embeddings, moderations, images, audio), resources
keep in-memory state (``store.Store``), every other operation answers a minimal body valid for its
200 schema.  Invalid requests get OpenAI's error envelope.  ``faults=[ID, …]`` switches on
deviations from ``faults.FAULTS``.

This module is the pipeline: route, authenticate, validate, respond, and serialize.  It calls the
active faults' hooks at the boundaries between those steps (hooks.py names them and says in what
order they run); the responders answer structured ``Answer``/``StreamAnswer`` values and never
learn which faults are on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.faults import FaultSet, select
from openai_conformance.server.responders import responders
from openai_conformance.server.routing import Operation, RequestError
from openai_conformance.server.store import Store
from openai_conformance.server.wire import to_response

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_MAX_BODY = 64 * 1024 * 1024


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _envelope(error: RequestError) -> Answer:
    """OpenAI's error envelope for ``error``."""
    body = {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}}
    return Answer(body, status=error.status)


@dataclass
class _Routed:
    """One request once routed (None before): the hooks of its operation act on its answer."""

    call: Call | None = None


class _Pipeline:
    """Route, authenticate, validate, respond; the faults' hooks between the steps."""

    def __init__(self, server: Server, faults: FaultSet) -> None:
        self.server = server
        self.faults = faults
        self.responders = responders(server)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: every method of every path reaches the pipeline (which answers 405)."""
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        """The response to one request; never raises."""
        routed = _Routed()
        try:
            response = self._serialize(await self._reply(request, routed), routed.call)
        except Exception:  # a bug of the reference server: answer 500, never crash the connection
            logger.exception("reference server failure on %s %s", request.method, request.url.path)
            error = RequestError(
                500, "The server had an error while processing your request.", type="server_error"
            )
            response = self._serialize(self.faults.error(routed.call, error, _envelope(error)), routed.call)
        for name, value in self.faults.headers(routed.call, request.headers).items():
            response.headers[name] = value
        return response

    def _serialize(self, reply: Reply, call: Call | None) -> Response:
        return to_response(reply, lambda wire: self.faults.delivery(call, wire))

    async def _reply(self, request: Request, routed: _Routed) -> Reply:
        try:
            call = routed.call = self._route(request)
            self._check_auth(call)
            try:
                call = await self._validate(request, call)
            except RequestError as err:
                if err.status == 400 and self.faults.accepts_invalid(call, err):
                    return self.faults.answer(call, Answer(self.server.template(call.op)))
                raise
            call = routed.call = self.faults.request(call)
            self.faults.before(call)
            reply = self.responders[call.operation_id](call)
            op = call.op
            if reply.status == 200 and "200" not in op.declared_statuses and op.success_status.isdigit():
                # An operation that declares 201 (createEval, …) and no 200.
                reply = replace(reply, status=int(op.success_status))
            return self.faults.answer(call, reply)
        except RequestError as err:
            return self.faults.error(routed.call, err, _envelope(err))

    def _route(self, request: Request) -> Call:
        method = request.method.upper()
        path = request.url.path
        op, path_args, exists = self.server.router.match(method, path, request.query_params.multi_items())
        if op is None:
            if exists:
                raise RequestError(
                    405, f"Method not allowed ({method} {path[:200]}).", code="method_not_allowed"
                )
            raise RequestError(404, f"Invalid URL ({method} {path[:200]})", code="unknown_url")
        return Call(op, path_args, authorization=request.headers.get("authorization"))

    def _check_auth(self, call: Call) -> None:
        api_key = self.server.api_key
        if api_key is None:
            return
        authorization = call.authorization
        if not authorization:
            refusal = RequestError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        else:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() == "bearer" and token.strip() == api_key:
                return
            refusal = RequestError(401, "Incorrect API key provided.", code="invalid_api_key")
        answered = self.faults.auth(call, authorization, refusal)
        if answered is not None:
            raise answered

    async def _validate(self, request: Request, call: Call) -> Call:
        """``call`` with its typed arguments, body and files, all checked against the spec."""
        router = self.server.router
        op = call.op
        params = router.check_parameters(op, call.path_args, list(request.query_params.multi_items()))
        call = Call(op, call.path_args, params, authorization=call.authorization)
        if not op.body_media:
            return call
        content_type = request.headers.get("content-type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        if media.startswith("multipart/") and media in op.body_media:
            return await self._read_form(request, call, media)
        raw = await request.body()
        if len(raw) > _MAX_BODY:
            raise RequestError(413, "The request body is too large.")
        if not raw.strip() and not media:
            if op.body_required:
                raise RequestError(400, "The request needs a body: " + ", ".join(op.body_media) + ".")
            return call
        if media not in op.body_media:
            expected = " or ".join(op.body_media)
            raise RequestError(
                400, f"Invalid Content-Type header ({content_type[:100]}), expected {expected}."
            )
        body: Any
        if media.endswith("json"):
            try:
                body = json.loads(raw, parse_constant=_reject_constant)
            except (ValueError, UnicodeDecodeError):
                raise RequestError(
                    400,
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                    "your HTTP library correctly. The OpenAI API expects a JSON payload.)",
                ) from None
        else:
            body = raw.decode("utf-8", errors="replace")
        router.check_body(op, media, body)
        return Call(op, call.path_args, params, body, body, authorization=call.authorization)

    async def _read_form(self, request: Request, call: Call, media: str) -> Call:
        op = call.op
        try:
            form = await request.form(max_files=32, max_fields=1000)
        except Exception as exc:  # python-multipart raises several types for malformed bodies
            raise RequestError(400, f"Could not parse the multipart form: {str(exc)[:200]}") from None
        files: dict[str, bytes] = {}
        filenames: dict[str, str] = {}
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = await value.read()
                filenames[key] = value.filename or key
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
            if key not in files and isinstance(value, str) and self._is_binary(op, media, key):
                files[key] = value.encode()
                filenames[key] = key
        # Uploaded files are validated as empty strings (their bytes are no JSON value).
        shown = {k: ("" if k in files and isinstance(v, str) else v) for k, v in typed.items()}
        self.server.router.check_body(op, media, shown)
        return Call(op, call.path_args, call.params, typed, typed, files, filenames, call.authorization)

    def _is_binary(self, op: Operation, media: str, key: str) -> bool:
        schema = self.server.builder.resolve(op.body_media.get(media)) or {}
        prop = self.server.builder.resolve((schema.get("properties") or {}).get(key)) or {}
        return isinstance(prop, dict) and prop.get("format") == "binary"


def create_app(
    spec: dict[str, Any],
    *,
    api_key: str | None = None,
    faults: Sequence[str] = (),
    store: Store | None = None,
) -> Starlette:
    """The reference server for ``spec`` (a loaded OpenAPI document).

    ``api_key``: the key every request must bear (None: no key needed).  ``faults``: ids of
    ``FAULTS`` to switch on (ValueError names an unknown one).  ``store``: the state to serve
    from (a fresh one by default), for instance one seeded with models and files.
    """
    if isinstance(faults, str):
        raise TypeError("faults is a sequence of fault ids, not one id")
    fault_set = select(faults)
    server = Server(spec, api_key=api_key, store=store if store is not None else Store(), hooks=fault_set)
    pipeline = _Pipeline(server, fault_set)
    app = Starlette()
    # Every request of every method reaches the pipeline (which answers 404 and 405 itself), whatever
    # characters its path holds.
    app.router.default = pipeline
    app.state.server = server
    return app
