"""POST /completions: the legacy text completions, plain and streamed, with echo and logprobs."""

from __future__ import annotations

from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.bodies import TIMESTAMP
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.generate import (
    counting,
    digest,
    logprob,
    reply_words,
    split_tokens,
    token_text,
    tokens,
)
from openai_conformance.server.responders.chat import include_usage
from openai_conformance.server.responders.text import alternatives, answer_key, cap, limit, stops, usage
from openai_conformance.server.routing import RequestError

__all__ = ["completions"]


def _prompts(value: Any) -> list[str]:
    if value is None:
        return ["<|endoftext|>"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if not value:
            raise RequestError(400, "Invalid 'prompt': the list of prompts is empty.", param="prompt")
        if all(isinstance(v, str) for v in value):
            return list(value)
        if all(isinstance(v, int) for v in value):
            return [token_text(value)]
        return [token_text(v) if isinstance(v, list) else str(v) for v in value]
    return [str(value)]


def _logprobs(key: str, text: str, top: int, offset: int) -> dict[str, Any]:
    pieces = split_tokens(text)
    offsets, position = [], offset
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    return {
        "tokens": pieces,
        "token_logprobs": [logprob(key, p, 0) for p in pieces],
        "top_logprobs": [
            {alt: logprob(key + str(i), alt, rank) for rank, alt in enumerate(alternatives(p, top))}
            for i, p in enumerate(pieces)
        ],
        "text_offset": offsets,
    }


def completions(server: Server, call: Call) -> Reply:
    server.require_model(call, call.arg("model"))
    prompts = _prompts(call.fields().get("prompt"))
    n = int(call.arg("n", 1))
    most = cap(call, 0) if call.arg("max_tokens") is not None else 16
    stop = stops(call.arg("stop"))
    echo = call.arg("echo") is True
    top = call.arg("logprobs")
    key = answer_key("completion", call)
    choices: list[dict[str, Any]] = []
    completion_tokens = 0
    for p_index, prompt in enumerate(prompts):
        for j in range(n):
            ckey = f"{key}:{p_index}:{j}"
            count = counting(prompt, continuation=True)
            text = limit(count if count is not None else " " + " ".join(reply_words(ckey)), stop, most)
            completion_tokens += tokens(text.content)
            full = prompt + text.content if echo else text.content
            lp = _logprobs(ckey, full, top, 0) if isinstance(top, int) else None
            choices.append(
                {"text": full, "index": p_index * n + j, "logprobs": lp, "finish_reason": text.finish}
            )
    model = str(call.arg("model", ""))
    head = {
        "id": "cmpl-" + digest(key)[:24],
        "object": "text_completion",
        "created": TIMESTAMP,
        "model": model,
        "system_fingerprint": "fp_" + digest(model)[:10],
    }
    counted = usage(sum(tokens(p) for p in prompts), completion_tokens)
    if call.arg("stream") is True:
        return StreamAnswer(_events(head, choices, counted if include_usage(call) else None))
    return Answer({**head, "choices": choices, "usage": counted})


def _events(head: dict[str, Any], choices: list[dict[str, Any]], counted: dict[str, int] | None) -> list[Any]:
    events: list[Any] = []
    for choice in choices:
        lp_all = choice["logprobs"]
        for position, piece in enumerate(split_tokens(choice["text"])):
            lp = None if lp_all is None else {k: v[position : position + 1] for k, v in lp_all.items()}
            events.append(
                {
                    **head,
                    "choices": [
                        {"text": piece, "index": choice["index"], "logprobs": lp, "finish_reason": None}
                    ],
                }
            )
        final = {
            "text": "",
            "index": choice["index"],
            "logprobs": None,
            "finish_reason": choice["finish_reason"],
        }
        events.append({**head, "choices": [final]})
    if counted is not None:
        events.append({**head, "choices": [], "usage": counted})
    return events
