"""POST /chat/completions: plain answers and streams, tool and function calls, JSON modes, logprobs."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from openai_conformance.server.answers import Answer, Reply, StreamAnswer
from openai_conformance.server.bodies import TIMESTAMP, build_instance
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.generate import counting, digest, reply_words, split_tokens, tokens
from openai_conformance.server.responders.text import (
    Text,
    answer_key,
    cap,
    limit,
    stops,
    token_logprobs,
    usage,
)

__all__ = ["chat", "include_usage"]


@dataclass
class ChatChoice:
    index: int
    content: str | None
    finish: str
    completion_tokens: int
    tool_calls: list[dict[str, Any]] | None = None
    function_call: dict[str, Any] | None = None
    logprobs: list[dict[str, Any]] | None = None


def message_text(message: Any) -> str:
    """The text of a chat message (its string content, or its text parts joined)."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def include_usage(call: Call) -> bool:
    """Whether a stream ends with a usage chunk (``stream_options.include_usage``)."""
    options = call.arg("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _tool_arguments(parameters: Any) -> str:
    if not isinstance(parameters, dict):
        return "{}"
    instance = build_instance(parameters)
    if not isinstance(instance, dict):
        instance = {}
    return json.dumps(instance, ensure_ascii=False, separators=(",", ":"))


def _last_text(call: Call) -> str:
    messages = call.arg("messages", [])
    return message_text(messages[-1]) if isinstance(messages, list) and messages else ""


def _tool_calls(call: Call) -> list[dict[str, Any]]:
    """The functions the model calls: the one a request forces, else every tool its prompt names
    (one only with ``parallel_tool_calls: false``); ``required`` with none named calls the first."""
    tools = [t for t in call.arg("tools", []) if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    choice = call.arg("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name", "")
        return [next((t["function"] for t in tools if t["function"].get("name") == name), {"name": name})]
    if not tools or choice not in (None, "auto", "required"):
        return []
    last = _last_text(call)
    named = [
        t["function"] for t in tools if isinstance(t["function"].get("name"), str) and t["function"]["name"]
    ]
    called = [function for function in named if function["name"] in last]
    if not called and choice == "required":
        called = [tools[0]["function"]]
    return called[:1] if call.arg("parallel_tool_calls") is False else called


def _forced_function(call: Call) -> dict[str, Any] | None:
    """The legacy ``function_call`` the request forces, if any."""
    functions = [f for f in call.arg("functions", []) if isinstance(f, dict)]
    legacy = call.arg("function_call")
    if isinstance(legacy, dict):
        name = legacy.get("name", "")
        return next((f for f in functions if f.get("name") == name), {"name": name})
    return None


def _calling(
    index: int, key: str, functions: list[dict[str, Any]], most: int | None, logprobs: bool, legacy: bool
) -> ChatChoice:
    entries: list[dict[str, Any]] | None = [] if logprobs else None
    calls: list[dict[str, Any]] = []
    used = 0
    for position, function in enumerate(functions):
        arguments = _tool_arguments(function.get("parameters"))
        used += tokens(arguments)
        name = str(function.get("name", ""))
        calls.append(
            {
                "id": "call_" + digest(key, position)[:24],
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        )
    used = used if most is None else min(used, most)
    if legacy:
        function_call: dict[str, Any] = dict(calls[0]["function"])
        return ChatChoice(index, None, "function_call", used, function_call=function_call, logprobs=entries)
    return ChatChoice(index, None, "tool_calls", used, tool_calls=calls, logprobs=entries)


def _text(call: Call, words: list[str], stop: list[str], most: int | None) -> Text:
    """What the "model" writes: a count when asked for one, else the answer's words."""
    counted = counting(_last_text(call))
    return limit(counted if counted is not None else " ".join(words).capitalize() + ".", stop, most)


def _chat_choices(server: Server, call: Call, key: str) -> list[ChatChoice]:
    n = int(call.arg("n", 1))
    most = cap(call, 1)
    stop = stops(call.arg("stop"))
    want_logprobs = call.arg("logprobs") is True
    top = int(call.arg("top_logprobs", 0)) if want_logprobs else 0
    fmt = call.arg("response_format", {})
    fmt_type = fmt.get("type") if isinstance(fmt, dict) else None
    legacy = _forced_function(call)
    functions = [legacy] if legacy is not None else _tool_calls(call)
    choices = []
    for index in range(n):
        ckey = f"{key}:{index}"
        if functions:
            choices.append(_calling(index, ckey, functions, most, want_logprobs, legacy is not None))
            continue
        words = reply_words(ckey)
        if fmt_type == "json_object":
            count = len(words) if most is None else min(len(words), most)
            content = json.dumps({"answer": " ".join(words[:count])}, separators=(",", ":"))
            text = Text(content, "length" if most is not None and count < len(words) else "stop")
        elif fmt_type == "json_schema":
            spec = fmt.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, dict) else None
            instance = server.hooks.json_schema(
                call, build_instance(schema if isinstance(schema, dict) else {}), words
            )
            text = limit(json.dumps(instance, ensure_ascii=False, separators=(",", ":")), [], most)
        else:
            text = _text(call, words, stop, most)
        entries = token_logprobs(ckey, text.content, top) if want_logprobs else None
        choices.append(ChatChoice(index, text.content, text.finish, tokens(text.content), logprobs=entries))
    return choices


def _head(call: Call, key: str, obj: str) -> dict[str, Any]:
    model = str(call.arg("model", ""))
    return {
        "id": "chatcmpl-" + digest(key)[:24],
        "object": obj,
        "created": TIMESTAMP,
        "model": model,
        "system_fingerprint": "fp_" + digest(model)[:10],
    }


def chat(server: Server, call: Call) -> Reply:
    server.require_model(call, call.arg("model"))
    key = answer_key("chat", call)
    messages = call.arg("messages", [])
    prompt_tokens = sum(tokens(message_text(m)) + 1 for m in messages)
    choices = _chat_choices(server, call, key)
    completion = sum(c.completion_tokens for c in choices)
    if call.arg("stream") is True:
        return _stream(call, key, choices, prompt_tokens, completion)
    out_choices = []
    for choice in choices:
        message: dict[str, Any] = {"role": "assistant", "content": choice.content, "refusal": None}
        if choice.tool_calls is not None:
            message["tool_calls"] = choice.tool_calls
        if choice.function_call is not None:
            message["function_call"] = choice.function_call
        logprobs = None if choice.logprobs is None else {"content": choice.logprobs, "refusal": None}
        out_choices.append(
            {"index": choice.index, "message": message, "logprobs": logprobs, "finish_reason": choice.finish}
        )
    body = _head(call, key, "chat.completion")
    body["choices"] = out_choices
    body["usage"] = usage(prompt_tokens, completion)
    if call.arg("store") is True:  # a stored completion can be retrieved, updated, listed and deleted
        server.store.collection("/chat/completions")[body["id"]] = copy.deepcopy(body)
    return Answer(body)


def _pieces(text: str) -> list[str]:
    if len(text) < 2:
        return [text]
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def _stream(call: Call, key: str, choices: list[ChatChoice], prompt: int, completion: int) -> StreamAnswer:
    head = _head(call, key, "chat.completion.chunk")
    events: list[dict[str, Any]] = []

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> None:
        event = dict(head)
        event["choices"] = [{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]
        events.append(event)

    for choice in choices:
        chunk(
            choice.index,
            {"role": "assistant", "content": "" if choice.content is not None else None, "refusal": None},
        )
        if choice.content is not None:
            entries = choice.logprobs
            for position, piece in enumerate(split_tokens(choice.content)):
                lp = (
                    None
                    if entries is None
                    else {"content": entries[position : position + 1], "refusal": None}
                )
                chunk(choice.index, {"content": piece}, logprobs=lp)
        for position, tool_call in enumerate(choice.tool_calls or []):
            function = tool_call["function"]
            first = {
                "index": position,
                "id": tool_call["id"],
                "type": "function",
                "function": {"name": function["name"], "arguments": ""},
            }
            chunk(choice.index, {"tool_calls": [first]})
            for part in _pieces(function["arguments"]):
                chunk(choice.index, {"tool_calls": [{"index": position, "function": {"arguments": part}}]})
        if choice.function_call is not None:
            chunk(choice.index, {"function_call": {"name": choice.function_call["name"], "arguments": ""}})
            for part in _pieces(choice.function_call["arguments"]):
                chunk(choice.index, {"function_call": {"arguments": part}})
        chunk(choice.index, {}, choice.finish)
    if include_usage(call):
        event = dict(head)
        event["choices"] = []
        event["usage"] = usage(prompt, completion)
        events.append(event)
    return StreamAnswer(events)
