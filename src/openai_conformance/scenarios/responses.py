"""The Responses API across calls: what a response stores, continues, lists, cancels and deletes.

Each scenario is a short workflow of calls, each answer judged by the per-answer checks (the event
grammar of a stream included), then what only the workflow can judge:

- ``responses.shapes`` sends a text, a forced strict function, a json_schema format and a long
  answer cut by ``max_output_tokens``, plain and streamed;
- ``responses.previous_response``: a follow-up naming the previous response reads the earlier turn
  (its input tokens count it) and echoes the id; an unknown id is a 4xx;
- ``responses.retrieve``: a stored response (streamed, and plain) is retrievable as it ended, one
  made with ``store: false`` is not;
- ``responses.input_items``: a response's inputs are listed, newest first, in ``asc`` order when asked,
  and page by ``limit``/``after``;
- ``responses.cancel``: a background response is ``queued``/``in_progress``, and cancelled by cancel;
- ``responses.delete``: a deleted response is gone (``state.delete``).

They name the target's first model fit for createResponse and run when the spec has the operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios import responses_calls as calls
from openai_conformance.scenarios.base import ScenarioContext, ScenarioFinding, Scenarios, answer_body
from openai_conformance.scenarios.state import check_gone
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import check

__all__ = ["SCENARIOS", "cancel", "input_items", "previous_response", "retrieve", "store"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

_CREATE = "createResponse"
_RUNNING = frozenset({"queued", "in_progress"})
_FINISHED = frozenset({"completed", "failed", "incomplete", "cancelled"})
_MISSING_ID = "resp_openai_conformance_missing"
_MAX_PAGES = 10


# -- the workflows ----------------------------------------------------------------------------------------


@scenario(
    "responses.shapes",
    _CREATE,
    "text, a forced strict function, json_schema and max_output_tokens, plain and streamed",
)
def _shapes(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    text = {"format": {"type": "json_schema", "name": "sum", "schema": calls.ANSWER_SCHEMA, "strict": True}}
    for body in (
        calls.body(model, "Say hello."),
        calls.body(
            model,
            "What is the weather in Paris?",
            tools=[calls.WEATHER],
            tool_choice={"type": "function", "name": "get_weather"},
        ),
        calls.body(model, "What is 2 + 3? Answer in JSON.", text=text),
        calls.body(model, "Write a long story about a lighthouse.", max_output_tokens=16),
    ):
        for stream in (False, True):
            yield from ctx.check(calls.create(ctx, body, stream=stream), _CREATE)


@scenario(
    "responses.previous_response",
    _CREATE,
    "a follow-up reads the earlier turn; an unknown previous id is a 4xx",
)
@check("responses.previous_response", "error")
def previous_response(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A request naming previous_response_id continues that conversation: it is answered, echoes the id and
    reads the earlier turn (more input tokens than the same input alone); an unknown id is a 4xx.

    Reference: CreateResponse.previous_response_id: the unique ID of the previous response to the model,
        used to create multi-turn conversations
    Why: the server feeds the earlier turn to the model and counts its tokens; an unknown id is a lookup
        that fails
    """
    first = calls.create(ctx, calls.body(model, "Remember this code word: tangerine."))
    yield from ctx.check(first, _CREATE)
    earlier = calls.final(first)
    question = "What is the code word I told you?"
    alone = calls.create(ctx, calls.body(model, question))
    yield from ctx.check(alone, _CREATE)
    if earlier is not None and isinstance(earlier.get("id"), str):
        follow = calls.create(ctx, calls.body(model, question, previous_response_id=earlier["id"]))
        yield from ctx.check(follow, _CREATE)
        answer = calls.final(follow)
        if answer is None:
            yield (
                previous_response.violation(
                    f"a follow-up naming the stored response {earlier['id']} got {follow.status}"
                ),
                follow,
            )
        else:
            yield from _continued(follow, answer, calls.final(alone), earlier["id"])
    unknown = calls.create(ctx, calls.body(model, question, previous_response_id=_MISSING_ID))
    if 200 <= unknown.status < 300:
        yield (
            previous_response.violation(
                f"previous_response_id {_MISSING_ID!r} names no response, yet the request got {unknown.status}"
            ),
            unknown,
        )
    else:
        yield from ctx.check(unknown, _CREATE)


def _continued(
    follow: Exchange, answer: dict[str, Any], alone: dict[str, Any] | None, previous: str
) -> Iterator[ScenarioFinding]:
    if answer.get("previous_response_id") != previous:
        got = answer.get("previous_response_id")
        yield (
            previous_response.violation(
                f"the follow-up answers previous_response_id {got!r}, not {previous!r}",
                "/previous_response_id",
            ),
            follow,
        )
    tokens = (
        (answer.get("usage") or {}).get("input_tokens") if isinstance(answer.get("usage"), dict) else None
    )
    single = (
        (alone or {}).get("usage", {}).get("input_tokens")
        if isinstance((alone or {}).get("usage"), dict)
        else None
    )
    if isinstance(tokens, int) and isinstance(single, int) and tokens <= single:
        message = f"the follow-up read {tokens} input tokens, no more than the same input alone ({single}): the earlier turn was not read"
        yield previous_response.violation(message, "/usage/input_tokens"), follow


@scenario(
    "responses.retrieve",
    "getResponse",
    "a stored response is retrievable as it ended; store: false is not",
    model_for=_CREATE,
)
@check("responses.retrieve", "error")
def retrieve(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A stored response (store is true by default) is retrievable, and GET answers it as it ended: the
    same id, status, output items and usage as the create answer or the stream's terminal event.

    Reference: CreateResponse.store: whether to store the generated model response for later retrieval
        via API; GET /responses/{response_id} retrieves a model response
    Why: storage is the server's: what it returns is what it kept
    """
    for stream in (True, False):
        created = calls.create(ctx, calls.body(model, "Name a colour."), stream=stream)
        yield from ctx.check(created, _CREATE)
        final = calls.final(created)
        if final is None or not isinstance(final.get("id"), str):
            continue
        retrieved = calls.get(ctx, final["id"])
        yield from ctx.check(retrieved, "getResponse")
        how = "streamed" if stream else "created"
        if retrieved.status != 200:
            yield (
                retrieve.violation(
                    f"the {how} response {final['id']} (stored by default) cannot be retrieved: {retrieved.status}"
                ),
                retrieved,
            )
            continue
        got, expected = calls.summary(answer_body(retrieved) or {}), calls.summary(final)
        for key, value in expected.items():
            if got[key] != value:
                message = (
                    f"GET answers the {how} response with {key} {got[key]!r}, but it ended with {value!r}"
                )
                yield retrieve.violation(message, f"/{key}"), retrieved
                break
    yield from store(ctx, model)


@check("responses.store", "error")
def store(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A response created with `store: false` cannot be retrieved.

    Reference: CreateResponse.store: whether to store the generated model response for later retrieval
        via API
    Why: storage is the server's: `store: false` is a flag it honours, not a model's choice
    """
    created = calls.create(ctx, calls.body(model, "Name a colour.", store=False))
    yield from ctx.check(created, _CREATE)
    unstored = calls.final(created)
    if unstored is not None and isinstance(unstored.get("id"), str):
        again = calls.get(ctx, unstored["id"])
        yield from ctx.check(again, "getResponse")
        if 200 <= again.status < 300:
            yield (
                store.violation(
                    f"the response {unstored['id']} was made with `store: false` but GET answers it"
                ),
                again,
            )


def _texts(page: dict[str, Any]) -> list[str]:
    found = []
    for item in page.get("data") or []:
        content = item.get("content") if isinstance(item, dict) else None
        parts = [
            str(p["text"]) for p in content or [] if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        found.append(" ".join(parts))
    return found


@scenario(
    "responses.input_items", "listInputItems", "the inputs are listed, ordered and paged", model_for=_CREATE
)
@check("responses.input_items", "error")
def input_items(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """GET input_items lists a response's inputs: all of them, newest first by default, oldest first with
    order=asc, and page by page with limit and after (has_more, first_id, last_id telling the page).

    Reference: listInputItems: returns a list of input items for a given response; `order` default desc;
        `limit`, `after`; ResponseItemList has_more, first_id, last_id
    Why: listing and paging stored inputs is the server's bookkeeping
    """
    inputs = ["First, a greeting.", "Second, a question.", "Third, say hello."]
    messages = [{"type": "message", "role": "user", "content": text} for text in inputs]
    created = calls.create(ctx, {"model": model, "input": messages, "temperature": 0})
    yield from ctx.check(created, _CREATE)
    final = calls.final(created)
    if final is None or not isinstance(final.get("id"), str):
        return
    response_id = final["id"]
    for order, expected in ((None, inputs[::-1]), ("asc", inputs)):
        listed = calls.get(ctx, response_id, "/input_items", **({"order": order} if order else {}))
        yield from ctx.check(listed, "listInputItems")
        page = answer_body(listed)
        if page is not None and _texts(page) != expected:
            yield (
                input_items.violation(
                    f"GET input_items (order {order or 'by default'}) lists {_texts(page)}, not the inputs {expected}",
                    "/data",
                ),
                listed,
            )
            return
    seen: list[str] = []
    after: dict[str, Any] = {}
    for _ in range(_MAX_PAGES):
        listed = calls.get(ctx, response_id, "/input_items", order="asc", limit=1, **after)
        yield from ctx.check(listed, "listInputItems")
        page = answer_body(listed)
        if page is None:
            return
        data: list[Any] = page["data"] if isinstance(page.get("data"), list) else []
        ids = [item.get("id") for item in data if isinstance(item, dict)]
        if len(data) > 1 or (ids and (page.get("first_id"), page.get("last_id")) != (ids[0], ids[-1])):
            yield (
                input_items.violation(
                    f"a page of limit=1 holds {len(data)} item(s), first_id/last_id {page.get('first_id')!r}/{page.get('last_id')!r}"
                ),
                listed,
            )
            return
        seen += _texts(page)
        more = page.get("has_more") is True
        if more != (len(seen) < len(inputs)):
            yield (
                input_items.violation(
                    f"after {len(seen)} of {len(inputs)} inputs, has_more is {page.get('has_more')!r}",
                    "/has_more",
                ),
                listed,
            )
            return
        if not more or not ids:
            break
        after = {"after": ids[-1]}
    if seen != inputs:
        yield input_items.violation(f"paging with limit=1 lists {seen}, not the inputs {inputs}"), listed


@scenario("responses.cancel", "cancelResponse", "a background response is cancelled", model_for=_CREATE)
@check("responses.cancel", "error")
def cancel(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A background response starts `queued` or `in_progress`; cancel answers it `cancelled` (or as it was,
    when it had finished already), and GET then says the same.

    Reference: CreateResponse.background: whether to run the model response in the background;
        cancelResponse: only responses created with background set to true can be cancelled
    Why: cancelling a background response is the server's bookkeeping
    """
    created = calls.create(ctx, calls.body(model, "Write a long story about a lighthouse.", background=True))
    yield from ctx.check(created, _CREATE)
    started = answer_body(created)
    if started is None or not isinstance(started.get("id"), str):
        return
    status = started.get("status")
    if status not in _RUNNING:
        yield (
            cancel.violation(
                f"a background response starts with status {status!r}, not queued or in_progress", "/status"
            ),
            created,
        )
        return
    path = f"/responses/{started['id']}/cancel"
    cancelled = ctx.send(ctx.request("POST", path, template=calls.ITEM + "/cancel"))
    yield from ctx.check(cancelled, "cancelResponse")
    after = answer_body(cancelled)
    later = calls.get(ctx, started["id"])
    yield from ctx.check(later, "getResponse")
    now = (answer_body(later) or {}).get("status")
    if after is None:
        if cancelled.status < 500 and now not in _FINISHED:
            yield (
                cancel.violation(
                    f"cancel of a running background response got {cancelled.status}, and it is still {now!r}"
                ),
                cancelled,
            )
        return
    if after.get("status") not in _FINISHED:
        yield (
            cancel.violation(
                f"cancel answers the response with status {after.get('status')!r}, not 'cancelled'", "/status"
            ),
            cancelled,
        )
    elif later.status == 200 and now != after.get("status"):
        yield (
            cancel.violation(
                f"cancel answered status {after.get('status')!r}, but GET then says {now!r}", "/status"
            ),
            later,
        )


@scenario("responses.delete", "deleteResponse", "a deleted response is gone", model_for=_CREATE)
def _delete(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    created = calls.create(ctx, calls.body(model, "Say hello."))
    yield from ctx.check(created, _CREATE)
    final = calls.final(created)
    if final is None or not isinstance(final.get("id"), str):
        return
    path = f"/responses/{final['id']}"
    deleted = ctx.send(ctx.request("DELETE", path, template=calls.ITEM))
    yield from ctx.check(deleted, "deleteResponse")
    if deleted.status != 200:
        return
    again = calls.get(ctx, final["id"])
    if again.status == 200:
        yield (
            check_gone.violation(
                f"the response {final['id']} can still be retrieved after DELETE {path} succeeded"
            ),
            again,
        )
