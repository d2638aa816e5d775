"""The spec's operations as routes, and strict request validation against their schemas.

Paths are matched with and without the ``/v1`` prefix.  Request bodies, query and path parameters are
validated with an OpenAPI 3.0 validator built once per operation; the first error becomes a
``RequestError`` whose ``param`` names the offending field the way OpenAI does (``messages[0].role``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30WriteValidator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from openai_conformance.server.bodies import SchemaBuilder

__all__ = ["Operation", "RequestError", "Router", "param_name"]

_SPEC_URI = "urn:openai-conformance:spec"
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


class RequestError(Exception):
    """A request the server rejects: the HTTP status and the fields of OpenAI's error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code


@dataclass
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    validator: Any


@dataclass
class Operation:
    """One operation of the spec, with everything the server needs precomputed."""

    method: str
    path: str  # the spec's template, e.g. /threads/{thread_id}/messages
    operation_id: str
    spec: dict[str, Any]
    parameters: list[Parameter] = field(default_factory=list)
    body_media: dict[str, Any] = field(default_factory=dict)  # media type -> schema
    body_required: bool = False
    body_validators: dict[str, Any] = field(default_factory=dict)
    success_status: str = "200"
    success_media: str | None = None
    success_schema: Any = None
    success_medias: list[str] = field(default_factory=list)
    declared_statuses: frozenset[str] = frozenset()


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def param_name(path: Any) -> str | None:
    """``messages[0].role`` from a jsonschema instance path."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or None


class Router:
    """Finds the operation of a request path and validates requests against it."""

    def __init__(self, spec: dict[str, Any], builder: SchemaBuilder) -> None:
        self.spec = spec
        self.builder = builder
        # OpenAPI 3.1 schemas are JSON Schema 2020-12 (`type: "null"`, ...); 3.0 has its own dialect.
        oas31 = str(spec.get("openapi", "")).startswith("3.1")
        self._validator_cls: Any = OAS31Validator if oas31 else OAS30WriteValidator
        resource = Resource.from_contents(
            _for_validation(spec), default_specification=DRAFT202012 if oas31 else DRAFT4
        )
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self.operations: list[Operation] = []
        entries: list[tuple[int, int, re.Pattern[str], str, dict[str, Operation]]] = []
        self._query_of: dict[str, tuple[tuple[str, str], ...]] = {}
        for path, item in (spec.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            by_method: dict[str, Operation] = {}
            for method in _METHODS:
                op_spec = item.get(method)
                if isinstance(op_spec, dict):
                    op = self._operation(path, method, item, op_spec)
                    by_method[method.upper()] = op
                    self.operations.append(op)
            # A path with a query (f85dbe2's `/responses?beta=true`) is that path with those arguments.
            bare, _, query = path.partition("?")
            self._query_of[path] = tuple(
                (k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)
            )
            names = re.findall(r"{([^}/]+)}", bare)
            pattern = "".join(
                f"(?P<p{names.index(part[1:-1])}>[^/]+)" if part.startswith("{") else re.escape(part)
                for part in re.split(r"({[^}/]+})", bare)
            )
            regex = re.compile(f"^(?:/v1)?{pattern}$", re.DOTALL)
            entries.append((len(names), -len(bare), regex, path, by_method))
        # The most specific first: fewer parameters, longer paths, then those that also need a query.
        entries.sort(key=lambda e: (e[0], e[1], -len(self._query_of[e[3]])))
        self._entries = entries
        self._names = {path: re.findall(r"{([^}/]+)}", path) for _, _, _, path, _ in entries}
        self.by_id = {op.operation_id: op for op in self.operations}

    def _validator(self, pointer: str) -> Any:
        return self._validator_cls({"$ref": _SPEC_URI + pointer}, registry=self._registry)

    def _operation(self, path: str, method: str, item: dict[str, Any], op_spec: dict[str, Any]) -> Operation:
        op = Operation(method.upper(), path, str(op_spec.get("operationId") or f"{method} {path}"), op_spec)
        located: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for level, params in (("path", item.get("parameters")), ("op", op_spec.get("parameters"))):
            for index, raw in enumerate(params or []):
                prm = self.builder.resolve(raw)
                if not isinstance(prm, dict) or "name" not in prm:
                    continue
                if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
                    pointer = raw["$ref"] + "/schema"
                elif level == "path":
                    pointer = _pointer("paths", path, "parameters", str(index), "schema")
                else:
                    pointer = _pointer("paths", path, method, "parameters", str(index), "schema")
                located[(str(prm["name"]), str(prm.get("in")))] = (prm, pointer)
        for (name, location), (prm, pointer) in located.items():
            schema = prm.get("schema") or {}
            required = bool(prm.get("required")) or location == "path"
            op.parameters.append(Parameter(name, location, required, schema, self._validator(pointer)))
        body = self.builder.resolve(op_spec.get("requestBody"))
        if isinstance(body, dict):
            op.body_required = bool(body.get("required"))
            for media, media_spec in (body.get("content") or {}).items():
                schema = media_spec.get("schema") if isinstance(media_spec, dict) else None
                op.body_media[media] = schema or {}
                if "$ref" in op_spec.get("requestBody", {}):
                    pointer = op_spec["requestBody"]["$ref"][1:]
                    op.body_validators[media] = self._validator_cls(
                        {"$ref": _SPEC_URI + "#" + pointer + _pointer("content", media, "schema")[1:]},
                        registry=self._registry,
                    )
                else:
                    op.body_validators[media] = self._validator(
                        _pointer("paths", path, method, "requestBody", "content", media, "schema")
                    )
        responses = op_spec.get("responses") or {}
        op.declared_statuses = frozenset(str(s) for s in responses)
        for status in sorted(str(s) for s in responses):
            if status.startswith("2"):
                op.success_status = status
                resp = self.builder.resolve(
                    responses.get(status) if status in responses else responses[int(status)]
                )
                content = (resp or {}).get("content") or {}
                op.success_medias = list(content)
                if content:
                    media = "application/json" if "application/json" in content else next(iter(content))
                    op.success_media = media
                    op.success_schema = (content[media] or {}).get("schema")
                break
        return op

    def match(
        self, method: str, path: str, query: Iterable[tuple[str, str]] = ()
    ) -> tuple[Operation | None, dict[str, str], bool]:
        """The operation for ``method path`` (and ``query``), its path arguments, and whether the path exists."""
        found = False
        given = set(query)
        for _, _, regex, template, by_method in self._entries:
            m = regex.match(path)
            if not m or not given.issuperset(self._query_of[template]):
                continue
            found = True
            op = by_method.get(method)
            if op is None and method == "HEAD":
                op = by_method.get("GET")
            if op is not None:
                names = self._names[template]
                return op, {names[int(k[1:])]: v for k, v in m.groupdict().items()}, True
        return None, {}, found

    # -- validation -------------------------------------------------------------------------
    def check_parameters(
        self, op: Operation, path_args: dict[str, str], query: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """Validated, typed path and query arguments (raises ``RequestError``)."""
        values: dict[str, Any] = {}
        for prm in op.parameters:
            if prm.location == "path":
                raw: Any = path_args.get(prm.name)
            elif prm.location == "query":
                raw = self._query_value(prm, query)
            else:
                continue
            if raw is None:
                if prm.required:
                    raise RequestError(400, f"Missing required parameter: '{prm.name}'.", param=prm.name)
                continue
            value = self._coerce(raw, self.builder.resolve(prm.schema), prm.name)
            error = best_match(prm.validator.iter_errors(value))
            if error is not None:
                raise RequestError(400, f"Invalid value for '{prm.name}': {error.message}", param=prm.name)
            values[prm.name] = value
        return values

    def _query_value(self, prm: Parameter, query: list[tuple[str, str]]) -> Any:
        schema = self.builder.resolve(prm.schema)
        stype = schema.get("type") if isinstance(schema, dict) else None
        if stype == "array":
            items = [v for k, v in query if k == prm.name]
            return items or None
        if stype == "object":
            props = schema.get("properties") or {}
            obj = {}
            for k, v in query:
                if k.startswith(prm.name + "[") and k.endswith("]"):
                    obj[k[len(prm.name) + 1 : -1]] = v
                elif k in props:
                    obj[k] = v
            return obj or None
        for k, v in query:
            if k == prm.name:
                return v
        return None

    def _coerce(self, raw: Any, schema: Any, name: str) -> Any:
        if not isinstance(schema, dict):
            return raw
        if isinstance(raw, list):
            return [self._coerce(v, self.builder.resolve(schema.get("items", {})), name) for v in raw]
        if isinstance(raw, dict):
            props = schema.get("properties") or {}
            return {k: self._coerce(v, self.builder.resolve(props.get(k, {})), k) for k, v in raw.items()}
        if not isinstance(raw, str):
            return raw
        # Text (a query argument, a form field) read as the first type the schema admits that it fits:
        # `type: [integer, "null"]`, a 3.1 union of branches, an object sent as JSON in a form field.
        types = self._types(schema)
        for kind in types:
            value = _from_text(raw, kind)
            if value is not _UNFIT:
                return value
        if not types or "string" in types:
            return raw
        raise RequestError(400, f"Invalid value for '{name}': expected a {types[0]}.", param=name)

    def _types(self, schema: Any, depth: int = 0) -> list[str]:
        """The JSON types ``schema`` admits (its own, its anyOf/oneOf branches', or those of what it
        is all of: f85dbe2's realtime call `session: {allOf: [$ref]}`), in order."""
        declared = schema.get("type") if isinstance(schema, dict) else None
        if isinstance(declared, str):
            return [declared]
        if isinstance(declared, list):
            return [kind for kind in declared if isinstance(kind, str)]
        found: list[str] = []
        branches = (
            (schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf") or [])
            if isinstance(schema, dict)
            else []
        )
        for branch in branches:
            if depth < 4:
                found += [
                    kind for kind in self._types(self.builder.resolve(branch), depth + 1) if kind not in found
                ]
        return found

    def coerce_form(self, op: Operation, media: str, form: dict[str, Any]) -> dict[str, Any]:
        """Form fields (strings) typed after the multipart schema's properties."""
        schema = self.builder.resolve(op.body_media.get(media))
        props = (schema or {}).get("properties") or {} if isinstance(schema, dict) else {}
        typed: dict[str, Any] = {}
        for key, value in form.items():
            sub = self.builder.resolve(props.get(key, {}))
            if isinstance(sub, dict) and sub.get("type") == "array" and not isinstance(value, list):
                value = [value]
            elif isinstance(sub, dict) and sub.get("type") != "array" and isinstance(value, list):
                value = value[-1]
            typed[key] = self._coerce(value, sub, key)
        return typed

    def check_body(self, op: Operation, media: str, body: Any) -> None:
        """Raise ``RequestError`` naming the first invalid field of ``body``."""
        validator = op.body_validators.get(media)
        if validator is None:
            return
        try:
            error = best_match(validator.iter_errors(body))
        except TypeError as exc:
            # openapi-schema-validator's discriminator looks a value up in its mapping: a list or an
            # object there (where the spec wants a string) breaks it. Such a body is invalid anyway.
            raise RequestError(400, f"Invalid body: a value has the wrong type ({exc})") from exc
        if error is not None:
            raise RequestError(400, _message(error), param=_error_param(error))


_UNFIT = object()  # text that is no value of a type


def _from_text(raw: str, kind: str) -> Any:
    """``raw`` as a value of JSON type ``kind``, or ``_UNFIT`` (a string is never converted here)."""
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return _UNFIT
    if kind == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower(), _UNFIT)
    if kind in ("object", "array"):
        try:
            value = json.loads(raw)
        except ValueError:
            return _UNFIT
        return value if isinstance(value, dict if kind == "object" else list) else _UNFIT
    return _UNFIT


def _for_validation(node: Any) -> Any:
    """A copy of the spec with two readings the API, its SDKs and schemathesis share.

    ``nullable: true`` admits null beside ``enum`` and allOf/oneOf/anyOf/$ref (the OpenAPI 3.0
    validator only honours it in ``type``).  A name listed in ``required`` but not declared in ``properties`` is
    neither demanded nor refused: 6b8287f's CreateRunRequest and CreateThreadAndRunRequest require
    `thread_id` (a path parameter) while forbidding additional properties, so no body satisfies them,
    and ResponseFormatJsonSchema's `json_schema` requires a `type` it does not define.
    """
    if isinstance(node, list):
        return [_for_validation(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _for_validation(value) for key, value in node.items()}
    properties = out.get("properties")
    required = out.get("required")
    if isinstance(properties, dict) and isinstance(required, list):
        undeclared = [name for name in required if name not in properties]
        if undeclared:
            out["required"] = [name for name in required if name in properties]
            if not out["required"]:
                del out["required"]
            if out.get("additionalProperties") is False:
                out["properties"] = {**properties, **{name: {} for name in undeclared}}
    if out.get("nullable") is True and isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if out.get("nullable") is True and "type" not in out and any(k in out for k in _COMBINATORS):
        rest = {key: value for key, value in out.items() if key != "nullable"}
        return {"anyOf": [rest, {"enum": [None]}]}
    return out


_COMBINATORS = ("allOf", "oneOf", "anyOf", "$ref")


def _error_param(error: ValidationError) -> str | None:
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [r for r in error.validator_value if r not in error.instance]
        if missing:
            path.append(missing[0])
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        props = schema.get("properties") or {}
        extra = [k for k in error.instance if k not in props]
        if extra:
            path.append(extra[0])
    return param_name(path)


def _message(error: ValidationError) -> str:
    where = param_name(list(error.absolute_path))
    text = error.message
    if len(text) > 300:
        text = text[:300] + "…"
    if where:
        return f"Invalid value for '{where}': {text}"
    return f"Invalid request body: {text}"


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (UTF-8)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
