"""What every responder works with: the spec's operations, minimal bodies, the store and the hooks."""

from __future__ import annotations

import copy
from typing import Any

from openai_conformance.server.bodies import SchemaBuilder
from openai_conformance.server.call import Call
from openai_conformance.server.hooks import Hooks
from openai_conformance.server.routing import Operation, RequestError, Router
from openai_conformance.server.store import Store

__all__ = ["Server"]


class Server:
    """One reference server: its spec, router, store and the hooks the responders call."""

    def __init__(self, spec: dict[str, Any], *, api_key: str | None, store: Store, hooks: Hooks) -> None:
        self.spec = spec
        self.api_key = api_key
        self.store = store
        self.hooks = hooks
        self.builder = SchemaBuilder(spec)
        self.router = Router(spec, self.builder)
        self._templates: dict[str, Any] = {}
        self._schema_templates: dict[int, Any] = {}

    def template(self, op: Operation) -> Any:
        """A fresh copy of the minimal valid 200 body of ``op``."""
        key = op.method + " " + op.path
        if key not in self._templates:
            self._templates[key] = self.builder.build(op.success_schema)
        return copy.deepcopy(self._templates[key])

    def instance(self, schema: Any) -> Any:
        """A fresh copy of the minimal valid instance of a spec schema."""
        key = id(schema)
        if key not in self._schema_templates:
            self._schema_templates[key] = (schema, self.builder.build(schema))
        return copy.deepcopy(self._schema_templates[key][1])

    def require_model(self, call: Call, model: Any) -> None:
        """Raise 404 model_not_found for a model this server does not serve."""
        if self.store.has_model(model):
            return
        refusal = RequestError(
            404,
            f"The model `{str(model)[:200]}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
        answered = self.hooks.model_lookup(call, model, refusal)
        if answered is not None:
            raise answered
