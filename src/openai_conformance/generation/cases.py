"""From the contract to hypothesis strategies of requests, one per operation, via schemathesis."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

from openai_conformance.generation.hints import Budget, apply_hints
from openai_conformance.generation.models import models_for
from openai_conformance.generation.request import GeneratedCase
from openai_conformance.openapi.operations import Operation

__all__ = ["GeneratedCase", "Generator", "close_object_schemas"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MOST_SEEN = 2000  # coverage cases looked at per operation, at most (the largest union of the newest specs)


def _all_of_refs(node: Any, found: set[str]) -> set[str]:
    """Names of component schemas used as ``allOf`` members anywhere in ``node``."""
    if isinstance(node, dict):
        for member in node.get("allOf") or () if isinstance(node.get("allOf"), list) else ():
            ref = member.get("$ref") if isinstance(member, dict) else None
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _all_of_refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _all_of_refs(item, found)
    return found


def close_object_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose object schemas with ``properties`` forbid unknown properties (for generation only).

    The API rejects unrecognised request arguments, so a fuzzer that invents extra keys mostly tests
    the target's error path. Members of ``allOf`` (inline or by reference) stay open: closing them
    would make the whole empty.
    """
    result = copy.deepcopy(document)
    schemas = result.get("components", {}).get("schemas", {})
    open_names = _all_of_refs(result, set())

    def walk(node: Any, in_all_of: bool) -> None:
        if isinstance(node, dict):
            if (
                not in_all_of
                and isinstance(node.get("properties"), dict)
                and "additionalProperties" not in node
                and "allOf" not in node
            ):
                node["additionalProperties"] = False
            for key, value in node.items():
                if key == "allOf" and isinstance(value, list):
                    for member in value:
                        walk(member, True)
                elif key not in ("example", "examples", "default", "enum", "x-oaiMeta"):
                    walk(value, False)
        elif isinstance(node, list):
            for item in node:
                walk(item, in_all_of)

    for name, schema in schemas.items():
        walk(schema, name in open_names)
    for item in (result.get("paths") or {}).values():
        for method, operation in (item or {}).items():
            if method in _METHODS and isinstance(operation, dict) and "requestBody" in operation:
                walk(operation["requestBody"], False)
    return result


def _unrepresentable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class Generator:
    """Hypothesis strategies of requests for the operations of one contract."""

    def __init__(
        self,
        document: dict[str, Any],
        *,
        models: list[str],
        budget: Budget,
        closed: dict[str, Any] | None = None,
    ) -> None:
        config = SchemathesisConfig()
        config.projects.default.generation.update(
            allow_extra_parameters=False, with_security_parameters=False, allow_x00=False
        )
        self._config = config
        self._document = document
        closed = closed if closed is not None else close_object_schemas(document)
        self._schema = schemathesis.openapi.from_dict(closed, config=config)
        self._open_schema: Any = None
        self._models = models
        self._budget = budget
        self._strategies: dict[tuple[str, str, bool], st.SearchStrategy[GeneratedCase]] = {}

    @property
    def models(self) -> list[str]:
        """The model ids requests are drawn with."""
        return list(self._models)

    def use_models(self, models: list[str]) -> None:
        """Draw model ids from ``models`` from now on (the target's list, once it is known)."""
        if models != self._models:
            self._models = list(models)
            self._strategies.clear()

    def _api_operation(self, operation: Operation, *, closed: bool = True) -> Any:
        if closed:
            return self._schema[operation.path][operation.method.upper()]
        if self._open_schema is None:
            self._open_schema = schemathesis.openapi.from_dict(self._document, config=self._config)
        return self._open_schema[operation.path][operation.method.upper()]

    def open_strategy(
        self, operation: Operation, *, negative: bool = False
    ) -> st.SearchStrategy[GeneratedCase]:
        """Like :meth:`strategy`, from the spec as written (for schemas that closing made unsatisfiable)."""
        key = (operation.path, operation.method + " open", negative)
        if key not in self._strategies:
            self._strategies[key] = self._build(operation, negative, closed=False)
        return self._strategies[key]

    def strategy(self, operation: Operation, *, negative: bool = False) -> st.SearchStrategy[GeneratedCase]:
        """Requests for ``operation``: valid ones, or (``negative``) ones that break the schema."""
        key = (operation.path, operation.method, negative)
        if key not in self._strategies:
            # Invalid requests are derived from the spec as written: a property the closed schema
            # forbids may be one the API accepts, and "invalid" must mean invalid.
            self._strategies[key] = self._build(operation, negative, closed=not negative)
        return self._strategies[key]

    def _build(
        self, operation: Operation, negative: bool, closed: bool = True
    ) -> st.SearchStrategy[GeneratedCase]:
        mode = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE
        cases = self._api_operation(operation, closed=closed).as_strategy(generation_mode=mode)
        fit = models_for(operation.operation_id, self._models)
        models: st.SearchStrategy[str | None] = st.sampled_from(fit) if fit else st.none()
        budget = self._budget
        hint: Callable[[Any, str | None], Any]
        if negative:

            def hint(body: Any, model: str | None) -> Any:
                return body
        else:

            def hint(body: Any, model: str | None) -> Any:
                return apply_hints(body, model=model, budget=budget, operation_id=operation.operation_id)

        def to_case(pair: tuple[Any, str | None]) -> GeneratedCase:
            case, model = pair
            return self._to_case(operation, case, model, hint, negative=negative)

        return st.tuples(cases, models).map(to_case)

    def _to_case(
        self,
        operation: Operation,
        case: Any,
        model: str | None,
        hint: Callable[[Any, str | None], Any],
        *,
        negative: bool = False,
        boundary: str = "",
    ) -> GeneratedCase:
        path = case.formatted_path
        params = dict(case.path_parameters or {})
        if not negative and model is not None and "model" in params:
            params["model"] = model  # a model the target serves, so retrieval can succeed
            path = _format_path(operation.path, params)
        return GeneratedCase(
            method=case.method.upper(),
            path=path,
            query=dict(case.query or {}),
            headers={str(k): str(v) for k, v in (case.headers or {}).items()},
            body=hint(_plain_body(case.body), model),
            media_type=case.media_type,
            invalid_body=negative and _body_mutated(case),
            boundary=boundary,
        )

    def boundaries(self, operation: Operation, *, limit: int = 100) -> list[GeneratedCase]:
        """Valid requests at the boundaries the operation's schemas allow: each enum member (and each
        boolean, and null where allowed), minimum and maximum, minItems/maxItems, min/maxLength
        (the cases of schemathesis's coverage phase, positive mode, that are at a boundary).

        Within the budget (the same hints as drawn requests: the target's models, taken in turn, and
        capped sizes); requests that the hints make identical are sent once; at most ``limit``, spread
        evenly over what the phase finds when it finds more; in a fixed order, the same in every process.
        """
        from schemathesis.generation.coverage import GenerationSession

        fit = models_for(operation.operation_id, self._models)
        budget = self._budget

        def hint(body: Any, model: str | None) -> Any:
            return apply_hints(body, model=model, budget=budget, operation_id=operation.operation_id)

        found: list[GeneratedCase] = []
        seen: set[str] = set()
        session = GenerationSession()
        try:
            cases = self._schema.iter_coverage_cases(
                self._api_operation(operation),
                generation_modes=[GenerationMode.POSITIVE],
                generation_config=self._config.projects.default.generation,
                session=session,
            )
            for case in cases:
                if not _at_a_boundary(case):
                    continue
                model = fit[len(found) % len(fit)] if fit else None
                built = self._to_case(operation, case, model, hint, boundary=_boundary_of(case))
                key = _request_key(built)
                if key not in seen:
                    seen.add(key)
                    found.append(built)
                if len(found) >= _MOST_SEEN:
                    break
        finally:
            session.close()
        return _spread(found, limit)


# What makes a coverage case a boundary (its scenario, or the last words of its description for a
# value inside a body: "Object with valid 'n' value: Maximum value"); the other cases of the phase
# (optional properties taken one by one, examples, defaults) are what the drawn requests already vary.
_BOUNDARY_SCENARIOS = frozenset(
    {
        "default_positive_test",  # every default: the first member of each enum
        "enum_value",
        "const_value",
        "valid_boolean",
        "null_value",
        "minimum_length_string",
        "maximum_length_string",
        "near_boundary_length_string",
        "minimum_value",
        "maximum_value",
        "near_boundary_number",
        "maximum_items_array",
        "near_boundary_items_array",
        "enum_value_items_array",
    }
)
_BOUNDARY_WORDS = (
    "enum value",
    "const value",
    "boolean value",
    "null value",
    "near-boundary",
    "minimum value",
    "maximum value",
    "minimum length",
    "maximum length",
    "minimum items",
    "maximum items",
)


def _spread(cases: list[GeneratedCase], limit: int) -> list[GeneratedCase]:
    """At most ``limit`` of ``cases``, evenly spaced, in order (all of them when they are fewer)."""
    if len(cases) <= limit:
        return cases
    return [cases[index * len(cases) // limit] for index in range(limit)]


def _at_a_boundary(case: Any) -> bool:
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    scenario = getattr(getattr(data, "scenario", None), "value", "")
    tail = str(getattr(data, "description", "") or "").rsplit(":", 1)[-1].lower()
    return scenario in _BOUNDARY_SCENARIOS or any(words in tail for words in _BOUNDARY_WORDS)


def _boundary_of(case: Any) -> str:
    """What the coverage phase says a case is ("Object with valid 'n' value: Maximum value")."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    return str(getattr(data, "description", "") or "a boundary of the schema")


def _request_key(case: GeneratedCase) -> str:
    return json.dumps(
        [case.method, case.path, case.query, case.headers, case.body, case.media_type],
        sort_keys=True,
        default=lambda value: repr(getattr(value, "data", value)),
    )


def _body_mutated(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    components = getattr(meta, "components", None) or {}
    body = components.get(ParameterLocation.BODY)
    return body is not None and body.mode == GenerationMode.NEGATIVE


def _format_path(template: str, params: dict[str, Any]) -> str:
    return template.format_map({k: quote(str(v), safe="") for k, v in params.items()})


def _plain_body(body: Any) -> Any:
    """schemathesis's NOT_SET marker and friends become plain Python values: no marker, and binary
    values as the bytes they wrap (so a drawn request holds nothing of schemathesis's own: reading one
    back, from the drawing helper or the draw cache, does not import it)."""
    if isinstance(body, NotSet):
        return None
    return _unwrapped(body)


def _unwrapped(value: Any) -> Any:
    if isinstance(value, Binary):
        return value.data
    if isinstance(value, dict):
        return {key: _unwrapped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrapped(item) for item in value]
    return value
