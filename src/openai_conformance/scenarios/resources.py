"""The models and assistants workflows, judged across their answers (state.*).

models: every listed model (up to a bound) is retrieved and answers what the list said.
assistants: create → retrieve (what the create answered) → update → the update is in its answer and
on the next retrieve → listed → delete → gone (retrieve and delete answer 404) → no longer listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios, Stopped
from openai_conformance.scenarios.flow import deleted, listed, need, need_id, object_of, send, tell
from openai_conformance.scenarios.state import check_same, check_updated
from openai_conformance.transport.exchange import Exchange

__all__ = ["SCENARIOS"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_MAX_MODELS = 40  # at most this many listed models are retrieved
_ASSISTANT = "/assistants/{assistant_id}"


@scenario(
    "state.models",
    "listModels",
    "every listed model can be retrieved and answers what the list said",
    model_for=None,
)
def _models(ctx: ScenarioContext) -> Iterator[ScenarioFinding]:
    exchange = yield from send(ctx, "GET", "/models", "listModels")
    page = need(exchange, "GET /models", "retrieving the listed models")
    items = [
        item for item in page.get("data") or [] if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]
    missing: list[tuple[str, Exchange]] = []
    found = 0
    for item in items[:_MAX_MODELS]:
        model = str(item["id"])
        path = "/models/" + quote(model, safe="")
        exchange = yield from send(ctx, "GET", path, "retrieveModel", template="/models/{model}")
        body = object_of(exchange)
        if body is None:
            if exchange.status in (404, 405):
                missing.append((model, exchange))
            continue
        found += 1
        yield from tell(check_same(item, body, f"GET {path}", declared=("owned_by",)), exchange)
    if missing and not found:
        raise Stopped(
            "GET /models/{model} answered 404 for every listed model: retrieving models looks unsupported"
        )
    for model, answer in missing:
        # A model id with a "/" may not route as one path segment, even encoded.
        message = f"the listed model {model!r} answers {answer.status} on GET /models/{{model}}"
        yield check_same.violation(message, warning="/" in model), answer


@scenario(
    "state.assistants",
    "createAssistant",
    "an assistant is what was created, keeps its update, is listed, and is gone once deleted",
)
def _assistants(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    body = {"model": model, "name": "openai-conformance", "metadata": {"workflow": "created"}}
    exchange = yield from send(ctx, "POST", "/assistants", "createAssistant", body=body)
    created, assistant_id = need_id(exchange, "POST /assistants", "its retrieve, update, list and delete")
    path = f"/assistants/{assistant_id}"
    exchange = yield from send(ctx, "GET", path, "getAssistant", template=_ASSISTANT)
    retrieved = need(exchange, f"GET {path}", "its update, list and delete")
    yield from tell(
        check_same(created, retrieved, f"GET {path}", declared=("model", "name", "metadata")), exchange
    )
    changes = {"name": "openai-conformance (renamed)", "metadata": {"workflow": "updated"}}
    exchange = yield from send(ctx, "POST", path, "modifyAssistant", template=_ASSISTANT, body=changes)
    updated = need(exchange, f"POST {path}", "whether the update is kept")
    yield from tell(check_updated(updated, changes, f"POST {path}"), exchange)
    exchange = yield from send(ctx, "GET", path, "getAssistant", template=_ASSISTANT)
    again = need(exchange, f"GET {path} after the update", "its list and delete")
    yield from tell(check_updated(again, changes, f"GET {path} after the update"), exchange)
    yield from listed(ctx, "/assistants", "listAssistants", what="the assistant", present=[assistant_id])
    refused = yield from deleted(
        ctx, path, _ASSISTANT, "deleteAssistant", "getAssistant", "a deleted assistant"
    )
    if refused:
        absent = [assistant_id]
        yield from listed(ctx, "/assistants", "listAssistants", what="the deleted assistant", absent=absent)
