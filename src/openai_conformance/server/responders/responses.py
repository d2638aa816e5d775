"""The Responses API: ``POST /responses`` (plain, streamed, in the background) and the responses it keeps.

A created response is stored (unless ``store: false``) with its input items and what a later turn
may read of it: ``previous_response_id`` continues from there (its earlier turns are read and counted
as input tokens; an unknown or unstored id is a 404). ``background: true`` answers at once with a
``queued`` response that each retrieve advances (``queued`` → ``in_progress`` → finished) and that
``cancel`` stops; a background response must be stored. ``stream: true`` answers with the events of
response_events.py, each named by its type, without ``[DONE]``. ``GET``, ``DELETE`` and ``cancel``
act on the stored response; ``input_items`` pages through its inputs (newest first by default);
``input_tokens`` counts a request's input as ``POST /responses`` would.
"""

from __future__ import annotations

import copy
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.responders.resources import Resources
from openai_conformance.server.responders.response_events import response_events, started
from openai_conformance.server.responders.response_model import Output, Turn, read_turn, write_output
from openai_conformance.server.routing import RequestError

__all__ = [
    "cancel_response",
    "count_input_tokens",
    "create_response",
    "delete_response",
    "list_input_items",
    "retrieve_response",
]

_RESPONSES = "/responses"
_ITEMS = "/responses/{response_id}/input_items"
_STATE = "/responses#state"  # per stored response: what a later turn reads, and the finished response
# Request fields a response repeats as it was asked (when the response's schema admits the value).
_ECHOED = (
    "instructions",
    "metadata",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "text",
    "reasoning",
    "truncation",
    "max_output_tokens",
    "max_tool_calls",
    "previous_response_id",
    "parallel_tool_calls",
    "top_logprobs",
    "prompt",
    "prompt_cache_key",
    "safety_identifier",
    "user",
)
_ADVANCE = {"queued": "in_progress"}
DEFAULT_MODEL = "gpt-4o-mini"  # the model of a request that names none


def _properties(server: Server, schema: Any) -> dict[str, Any]:
    resolved = server.builder.resolve(schema) or {}
    if isinstance(resolved, dict) and "allOf" in resolved:
        resolved = server.builder.merge_all_of(resolved)
    props = resolved.get("properties") if isinstance(resolved, dict) else None
    return props if isinstance(props, dict) else {}


def _not_found(response_id: str) -> RequestError:
    return RequestError(404, f"Response with id '{response_id[:200]}' not found.", param="response_id")


def _stored(server: Server, response_id: str) -> dict[str, Any]:
    found = server.store.collection(_RESPONSES).get(response_id)
    if found is None:
        raise _not_found(response_id)
    return found


def _context(server: Server, call: Call) -> str:
    """The text of the earlier turns of ``previous_response_id`` (404 when there is no such response)."""
    previous = call.arg("previous_response_id")
    if previous is None:
        return ""
    state = server.store.collection(_STATE).get(str(previous))
    if state is None:
        raise RequestError(
            404,
            f"Previous response with id '{str(previous)[:200]}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )
    return str(state["text"])


def _check_request(server: Server, call: Call) -> None:
    """What the API refuses although the schema allows it."""
    if call.arg("background") is True and call.arg("store") is False:
        raise RequestError(
            400, "Background responses must be stored: `background: true` needs `store: true`.", param="store"
        )
    conversation = call.arg("conversation")
    if conversation is not None and call.arg("previous_response_id") is not None:
        raise RequestError(
            400, "Use either `conversation` or `previous_response_id`, not both.", param="conversation"
        )
    if conversation is not None:
        name = conversation if isinstance(conversation, str) else (conversation or {}).get("id")
        if str(name) not in server.store.collection("/conversations"):
            raise RequestError(
                404, f"Conversation with id '{str(name)[:200]}' not found.", param="conversation"
            )


def _usage(turn: Turn, output: Output) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + output.output_tokens,
    }


def _response(server: Server, call: Call, turn: Turn, output: Output) -> dict[str, Any]:
    """The finished response to ``call``, every field the schema of ``call``'s operation admits."""
    store = server.store
    created = store.timestamp()
    conversation = call.arg("conversation")
    body: dict[str, Any] = {
        "id": store.new_id("resp_", call.sent),
        "object": "response",
        "created_at": created,
        "status": "incomplete" if output.cut else "completed",
        "background": call.arg("background") is True,
        "completed_at": store.timestamp(),
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if output.cut else None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": str(call.arg("model", "")),
        "output": output.items,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": None,
        "service_tier": "default",
        "store": call.arg("store") is not False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _usage(turn, output),
        "metadata": {},
        "conversation": {"id": conversation if isinstance(conversation, str) else conversation.get("id")}
        if isinstance(conversation, str | dict)
        else None,
    }
    props = _properties(server, call.op.success_schema)
    for name in _ECHOED:
        value = call.arg(name)
        if value is not None and name in props and server.builder.conforms(value, props[name]):
            body[name] = copy.deepcopy(value)
    tier = call.arg("service_tier")
    if isinstance(tier, str) and tier != "auto":
        body["service_tier"] = tier
    for name in [n for n in body if n in props and not server.builder.conforms(body[n], props[n])]:
        del body[name]  # a field this spec's Response does not admit as the server fills it
    return body


def _with_model(server: Server, call: Call) -> Call:
    """``call`` naming its model: without one (the spec lets a stored prompt name it), the default."""
    if call.arg("model") is not None:
        server.require_model(call, call.arg("model"))
        return call
    return call.with_body({**call.fields(), "model": DEFAULT_MODEL})


def create_response(server: Server, call: Call) -> Reply:
    call = _with_model(server, call)
    _check_request(server, call)
    turn = read_turn(server, call, _context(server, call))
    most = call.arg("max_output_tokens")
    output = write_output(server, call, turn, most if isinstance(most, int) else None)
    response = _response(server, call, turn, output)
    streamed = call.arg("stream") is True
    answered = response
    if call.arg("store") is not False:
        answered = _keep(
            server, response, turn, output, running=call.arg("background") is True and not streamed
        )
    if streamed:
        return StreamAnswer(response_events(response), named=True, done=False)
    return Answer(copy.deepcopy(answered))


def _keep(
    server: Server, response: dict[str, Any], turn: Turn, output: Output, *, running: bool
) -> dict[str, Any]:
    """Store the response (``running``: as it starts, its finished form kept for later), its items and its turn."""
    store = server.store
    stored = started(response) if running else copy.deepcopy(response)
    store.put(_RESPONSES, stored)
    for item in turn.items:
        store.put(_ITEMS, copy.deepcopy(item), parents={"response_id": response["id"]})
    text = "\n".join(part for part in (turn.text, output.text) if part)
    store.put(_STATE, {"id": response["id"], "text": text, "finished": copy.deepcopy(response)})
    return stored


def retrieve_response(server: Server, call: Call) -> Reply:
    response = _stored(server, call.path_args.get("response_id", ""))
    status = response.get("status")
    if status == "in_progress" and response.get("background"):
        finished = server.store.collection(_STATE)[response["id"]]["finished"]
        response.clear()
        response.update(copy.deepcopy(finished))
    elif status in _ADVANCE:
        response["status"] = _ADVANCE[status]
    return Answer(copy.deepcopy(response))


def delete_response(server: Server, call: Call) -> Reply:
    response = _stored(server, call.path_args.get("response_id", ""))
    response_id = response["id"]
    if server.hooks.removal(response):
        store = server.store
        del store.collection(_RESPONSES)[response_id]
        store.collection(_STATE).pop(response_id, None)
        store.collection(_ITEMS, {"response_id": response_id}).clear()
    return Answer({"id": response_id, "object": "response", "deleted": True})


def cancel_response(server: Server, call: Call) -> Reply:
    response = _stored(server, call.path_args.get("response_id", ""))
    if not response.get("background"):
        raise RequestError(
            400, "Only responses created with `background: true` can be cancelled.", param="response_id"
        )
    status = response.get("status")
    if status in ("queued", "in_progress"):
        response.update({"status": "cancelled", "completed_at": None})
    elif status != "cancelled":
        raise RequestError(400, f"Cannot cancel a response whose status is {status}.", param="response_id")
    return Answer(copy.deepcopy(response))


def list_input_items(resources: Resources, call: Call) -> Reply:
    response = _stored(resources.server, call.path_args.get("response_id", ""))
    items = list(resources.store.collection(_ITEMS, {"response_id": response["id"]}).values())
    return resources.list(None, call, items)


def count_input_tokens(server: Server, call: Call) -> Reply:
    call = _with_model(server, call)
    turn = read_turn(server, call, _context(server, call))
    return Answer({"object": "response.input_tokens", "input_tokens": turn.input_tokens})
