"""GET /models, GET and DELETE /models/{model}: the models of the store."""

from __future__ import annotations

from typing import Any

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.routing import RequestError
from openai_conformance.server.store import OWNER

__all__ = ["delete_model", "list_models", "retrieve_model"]


def list_models(server: Server, call: Call) -> Reply:
    return Answer({"object": "list", "data": list(server.store.models.values())})


def _find(server: Server, call: Call) -> dict[str, Any]:
    model = call.path_args.get("model", "")
    found = server.store.models.get(model)
    if found is None:
        raise RequestError(
            404,
            f"The model `{model[:200]}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return found


def retrieve_model(server: Server, call: Call) -> Reply:
    return Answer(_find(server, call))


def delete_model(server: Server, call: Call) -> Reply:
    model = _find(server, call)
    if model["owned_by"] != OWNER:
        raise RequestError(
            403, "You have insufficient permissions to delete this model.", code="model_not_deletable"
        )
    if server.hooks.removal(model):
        del server.store.models[model["id"]]
    return Answer({"id": model["id"], "object": "model", "deleted": True})
