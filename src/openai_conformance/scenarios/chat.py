"""Chat completions scenarios: each parameter a fuzzer rarely sends, with a prompt that makes its effect show.

Every request is deterministic (temperature 0, a fixed seed) and asks for at most ``--max-tokens``
tokens; prompts that need a finished answer are short enough to finish within the default budget,
and the per-answer checks still judge a cut one (a JSON answer cut by the cap must be the start of
JSON). What only a scenario can judge, because it knows what it asked for, is judged here: the cap
reached on an answer asked to be long ends with ``length``; an answer that reached its stop sequence
ends with ``stop``; the same seed gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.scenarios.base import SEED, ScenarioContext, ScenarioFinding, Scenarios, answer_body
from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.parsed_stream import choices_of
from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.semantics.shared import as_dict, json_int, max_tokens
from openai_conformance.validation.semantics.stop import check_stop

__all__ = ["CHAT", "PATH", "SCENARIOS", "chat_body", "check_cap_reached", "seed", "send_chat"]

SCENARIOS = Scenarios()
scenario = SCENARIOS.declare

CHAT = "createChatCompletion"
PATH = "/chat/completions"
_TOKEN_BYTES = 256  # no token of any tokenizer in use decodes to more bytes than this
_LONG = "Count from 1 to 100, separated by spaces."
_COUNT = "Count from 1 to 10, separated by commas and spaces."
_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}


def chat_body(ctx: ScenarioContext, model: str, prompt: str, **fields: Any) -> dict[str, Any]:
    """A deterministic chat request within the budget."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
        "seed": SEED,
        "max_tokens": ctx.max_tokens,
        **fields,
    }


def send_chat(ctx: ScenarioContext, body: dict[str, Any], stream: bool = False) -> Iterator[ScenarioFinding]:
    """Send a chat request and judge the answer with the per-answer checks."""
    if stream:
        body = {**body, "stream": True}
    yield from ctx.check(ctx.post(PATH, body, stream=stream), CHAT)


def _single(exchange: Exchange) -> tuple[dict[str, Any], int | None] | None:
    """The one choice of a 200 answer and its usage's completion_tokens."""
    body = answer_body(exchange)
    choices = [choice for _, choice in choices_of(body or {})]
    if body is None or len(choices) != 1:
        return None
    return choices[0], json_int(as_dict(body.get("usage")).get("completion_tokens"))


def check_cap_reached(exchange: Exchange, cap: int, asked: str) -> Iterator[ScenarioFinding]:
    """An answer asked to be far longer than ``cap`` that reached it: the cap stopped it (`length`).

    A model may still end on its own at the cap, when the end-of-text token it samples is the one
    counted last; then it wrote fewer than ``cap`` tokens of text. So the rule speaks only when the
    text has at least ``cap`` words (each at least one token): no room was left for that token.
    """
    found = _single(exchange)
    if found is None or found[1] is None or found[1] < cap:
        return
    choice, tokens = found
    finish = choice.get("finish_reason")
    text = as_dict(choice.get("message")).get("content", choice.get("text"))
    words = len(text.split()) if isinstance(text, str) else 0
    if finish not in ("length", "content_filter") and words >= cap:
        message = (
            f"{tokens} completion tokens reached the cap of {cap} on an answer asked to be long ({asked}), "
            f"but finish_reason is {finish!r}, not 'length'"
        )
        yield max_tokens.violation(message, "/choices/0/finish_reason"), exchange


def _content_bound(exchange: Exchange, cap: int) -> Iterator[ScenarioFinding]:
    """Usage is optional; the text itself bounds the tokens too: no token is longer than 256 bytes."""
    for j, choice in choices_of(answer_body(exchange) or {}):
        content = as_dict(choice.get("message")).get("content")
        if isinstance(content, str) and len(content.encode()) > _TOKEN_BYTES * cap:
            violation = max_tokens.violation(
                f"the cap is {cap} but the answer is {len(content.encode())} bytes long "
                f"(no token is longer than {_TOKEN_BYTES} bytes)",
                f"/choices/{j}/message/content",
            )
            yield violation, exchange


@scenario("chat.n", CHAT, "n=2 gives two choices, indexed 0 and 1")
def _n(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from send_chat(ctx, chat_body(ctx, model, "Name a colour.", n=2))


def _caps(ctx: ScenarioContext, model: str, name: str) -> Iterator[ScenarioFinding]:
    for cap in sorted({1, min(2, ctx.max_tokens)}):
        body = chat_body(ctx, model, _LONG)
        body.pop("max_tokens")
        exchange = ctx.post(PATH, {**body, name: cap})
        yield from ctx.check(exchange, CHAT)
        yield from _content_bound(exchange, cap)
        yield from check_cap_reached(exchange, cap, "count to 100")


@scenario("chat.max_tokens", CHAT, "max_tokens=1 and 2 bound a long answer and end it with `length`")
def _max_tokens(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _caps(ctx, model, "max_tokens")


@scenario("chat.max_completion_tokens", CHAT, "max_completion_tokens alone bounds a long answer")
def _max_completion_tokens(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _caps(ctx, model, "max_completion_tokens")


@scenario("chat.stop", CHAT, "a stop sequence (a string, a list) is never in the answer")
def _stop(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """A count that runs into its stop sequence well within the cap: no "5" in it, and it ends with `stop`."""
    for stop in ("5", ["5", "five"]):
        exchange = ctx.post(PATH, chat_body(ctx, model, _COUNT, stop=stop))
        yield from ctx.check(exchange, CHAT)
        found = _single(exchange)
        if found is None:
            continue
        choice, tokens = found
        if tokens is not None and choice.get("finish_reason") == "length" and tokens < ctx.max_tokens:
            message = (
                f"the answer ended after {tokens} of {ctx.max_tokens} tokens, at its stop sequence, but "
                "finish_reason is 'length', not 'stop'"
            )
            yield check_stop.violation(message, "/choices/0/finish_reason"), exchange


@scenario("chat.seed", CHAT, "the same seed at temperature 0 gives the same answer")
@check(
    "semantics.seed",
    "warning",
    parameters=(
        Parameter("createChatCompletion", "seed", "two identical requests, temperature 0: the same content"),
        Parameter("createCompletion", "seed", "two identical requests, temperature 0: the same text"),
    ),
)
def seed(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    """The same request with the same `seed` at temperature 0 gets the same answer.

    Reference: CreateChatCompletionRequest.seed: repeated requests with the same seed and parameters
        should return the same result; determinism is not guaranteed
    Why: the API promises only best-effort determinism: a backend change (system_fingerprint) or
        batching may change an answer
    """
    body = chat_body(ctx, model, "Name a colour.")
    first, second = ctx.post(PATH, body), ctx.post(PATH, body)
    yield from ctx.check(first, CHAT)
    yield from ctx.check(second, CHAT)
    one, other = _single(first), _single(second)
    if one is None or other is None:
        return
    contents = [as_dict(choice.get("message")).get("content") for choice, _ in (one, other)]
    if all(isinstance(content, str) for content in contents) and contents[0] != contents[1]:
        message = f"seed {SEED} at temperature 0 gave {contents[0]!r}, then {contents[1]!r}"
        yield seed.violation(message, "/choices/0/message/content"), second


@scenario("chat.logprobs", CHAT, "logprobs with top_logprobs=2, and alone")
def _logprobs(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from send_chat(ctx, chat_body(ctx, model, "Say hello.", logprobs=True, top_logprobs=2))
    yield from send_chat(ctx, chat_body(ctx, model, "Say hello.", logprobs=True))  # vllm#4795: alone


@scenario("chat.json_object", CHAT, "response_format json_object gives JSON")
def _json_object(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    prompt = 'Reply in JSON with one key "ok" set to true. Reply with the JSON only.'
    yield from send_chat(ctx, chat_body(ctx, model, prompt, response_format={"type": "json_object"}))


def _answer_in_json(ctx: ScenarioContext, model: str, strict: bool) -> Iterator[ScenarioFinding]:
    json_schema = {"name": "sum", "schema": _ANSWER_SCHEMA, "strict": strict}
    response_format = {"type": "json_schema", "json_schema": json_schema}
    prompt = "What is 2 + 3? Answer in JSON."
    yield from send_chat(ctx, chat_body(ctx, model, prompt, response_format=response_format))


@scenario("chat.json_schema", CHAT, "a strict json_schema is obeyed")
def _json_schema(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _answer_in_json(ctx, model, strict=True)


@scenario("chat.json_schema_loose", CHAT, "a json_schema without strict gives JSON")
def _json_schema_loose(ctx: ScenarioContext, model: str) -> Iterator[ScenarioFinding]:
    yield from _answer_in_json(ctx, model, strict=False)
