"""Handlers of the model endpoints: models, chat, completions, embeddings, moderations, images, audio."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response, StreamingResponse

from openai_conformance.server.bodies import TIMESTAMP, build_instance
from openai_conformance.server.core import OWNER, Call, Server
from openai_conformance.server.generate import (
    VOCABULARY,
    digest,
    embedding,
    embedding_base64,
    float32,
    logprob,
    reply_words,
    split_tokens,
    token_text,
    tokens,
)
from openai_conformance.server.routing import RequestError

__all__ = ["HANDLERS"]

Handler = Callable[[Server, Call], Response]

_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
# A valid 1x1 transparent PNG.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


# -- models -----------------------------------------------------------------------------------
def _model_body(server: Server, model: dict[str, Any]) -> dict[str, Any]:
    body = dict(model)
    if server.on("model-owner-missing"):
        body.pop("owned_by", None)
    return body


def list_models(server: Server, call: Call) -> Response:
    body = {"object": "list", "data": [_model_body(server, m) for m in server.models.values()]}
    if server.on("models-text-plain"):
        return server.json(body, media="text/plain")
    return server.json(body, 201 if server.on("models-status-201") else 200)


def _find_model(server: Server, call: Call) -> dict[str, Any]:
    model = call.path_args.get("model", "")
    if model not in server.models:
        raise RequestError(
            404,
            f"The model `{model[:200]}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return server.models[model]


def retrieve_model(server: Server, call: Call) -> Response:
    model = _find_model(server, call)
    if server.on("model-truncated-json"):
        data = json.dumps(_model_body(server, model)).encode()
        return Response(data[: len(data) // 2], media_type="application/json")
    return server.json(_model_body(server, model))


def delete_model(server: Server, call: Call) -> Response:
    model = _find_model(server, call)
    if model["owned_by"] != OWNER:
        raise RequestError(
            403, "You have insufficient permissions to delete this model.", code="model_not_deletable"
        )
    if not server.on("delete-noop"):
        del server.models[model["id"]]
    return server.json({"id": model["id"], "object": "model", "deleted": True})


# -- shared text generation -----------------------------------------------------------------
def _stops(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str) and s]
    return []


@dataclass
class Text:
    content: str
    finish: str  # "stop" or "length"


def _limit(text: str, stops: list[str], cap: int | None) -> Text:
    """``text`` cut at the first stop sequence, then at ``cap`` tokens (reaching the cap is `length`)."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    if cut >= 0:
        text = text[:cut]
    if cap is not None:
        pieces = split_tokens(text)
        if len(pieces) >= cap:
            return Text("".join(pieces[:cap]), "length")
    return Text(text, "stop")


def _alternatives(token: str, count: int) -> list[str]:
    result = [token]
    for word in VOCABULARY:
        if len(result) >= count:
            break
        candidate = (" " if token.startswith(" ") else "") + word
        if candidate not in result:
            result.append(candidate)
    index = 0
    while len(result) < count and index < 64:
        result.append(f"{token}{index}")
        index += 1
    return result[:count]


def _token_logprobs(key: str, text: str, top: int) -> list[dict[str, Any]]:
    entries = []
    for position, token in enumerate(split_tokens(text)):
        alternatives = _alternatives(token, top)
        entries.append(
            {
                "token": token,
                "logprob": logprob(key, token, 0),
                "bytes": list(token.encode()),
                "top_logprobs": [
                    {
                        "token": alt,
                        "logprob": logprob(key + str(position), alt, rank),
                        "bytes": list(alt.encode()),
                    }
                    for rank, alt in enumerate(alternatives)
                ],
            }
        )
    return entries


def _message_text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _cap(call: Call, minimum: int) -> int | None:
    name = "max_completion_tokens" if call.arg("max_completion_tokens") is not None else "max_tokens"
    value = call.arg(name)
    if value is None:
        return None
    if not isinstance(value, int) or value < minimum:
        raise RequestError(400, f"Invalid '{name}': must be an integer of at least {minimum}.", param=name)
    return int(value)


# Request fields that shape how an answer is delivered or cut, not what the model "writes".
_NOT_IN_KEY = frozenset(
    {
        "stream",
        "stream_options",
        "stop",
        "max_tokens",
        "max_completion_tokens",
        "logprobs",
        "top_logprobs",
        "n",
        "user",
        "echo",
    }
)


# -- chat ---------------------------------------------------------------------------------------
@dataclass
class ChatChoice:
    index: int
    content: str | None
    finish: str
    completion_tokens: int
    tool_call: dict[str, Any] | None = None
    function_call: dict[str, Any] | None = None
    logprobs: list[dict[str, Any]] | None = None


def _tool_arguments(server: Server, parameters: Any) -> str:
    if server.on("tool-arguments-empty") or not isinstance(parameters, dict):
        return "{}"
    instance = build_instance(parameters)
    if not isinstance(instance, dict):
        instance = {}
    return json.dumps(instance, ensure_ascii=False, separators=(",", ":"))


def _chat_call(server: Server, call: Call) -> tuple[str, dict[str, Any]] | None:
    """The function the model must call, if any: ("tool" | "function", function object)."""
    tools = [t for t in call.arg("tools", []) if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    choice = call.arg("tool_choice")
    if isinstance(choice, dict) and not server.on("tool-choice-ignored"):
        name = (choice.get("function") or {}).get("name", "")
        found = next((t["function"] for t in tools if t["function"].get("name") == name), {"name": name})
        return "tool", found
    if choice == "required" and tools and not server.on("tool-choice-ignored"):
        return "tool", tools[0]["function"]
    if tools and choice in (None, "auto"):
        messages = call.arg("messages", [])
        last = _message_text(messages[-1]) if messages else ""
        for tool in tools:
            name = tool["function"].get("name")
            if isinstance(name, str) and name and name in last:
                return "tool", tool["function"]
    functions = [f for f in call.arg("functions", []) if isinstance(f, dict)]
    legacy = call.arg("function_call")
    if isinstance(legacy, dict) and not server.on("tool-choice-ignored"):
        name = legacy.get("name", "")
        return "function", next((f for f in functions if f.get("name") == name), {"name": name})
    return None


def _chat_choices(server: Server, call: Call, key: str) -> list[ChatChoice]:
    n = 1 if server.on("ignore-n") else int(call.arg("n", 1))
    cap = _cap(call, 1)
    if server.on("exceed-max-tokens"):
        cap = None
    stops = _stops(call.arg("stop"))
    want_logprobs = call.arg("logprobs") is True
    top = int(call.arg("top_logprobs", 0)) if want_logprobs else 0
    fmt = call.arg("response_format", {})
    fmt_type = fmt.get("type") if isinstance(fmt, dict) else None
    forced = _chat_call(server, call)
    choices = []
    for index in range(n):
        ckey = f"{key}:{index}"
        if forced is not None:
            kind, function = forced
            arguments = _tool_arguments(server, function.get("parameters"))
            used = tokens(arguments) if cap is None else min(tokens(arguments), cap)
            name = str(function.get("name", ""))
            if kind == "tool":
                tool_call = {
                    "id": "call_" + digest(ckey)[:24],
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                choices.append(
                    ChatChoice(
                        index,
                        None,
                        "tool_calls",
                        used,
                        tool_call=tool_call,
                        logprobs=[] if want_logprobs else None,
                    )
                )
            else:
                choices.append(
                    ChatChoice(
                        index,
                        None,
                        "function_call",
                        used,
                        function_call={"name": name, "arguments": arguments},
                        logprobs=[] if want_logprobs else None,
                    )
                )
            continue
        words = reply_words(ckey)
        if fmt_type == "json_object" and not server.on("json-mode-prose"):
            count = len(words) if cap is None else min(len(words), cap)
            content = json.dumps({"answer": " ".join(words[:count])}, separators=(",", ":"))
            text = Text(content, "length" if cap is not None and count < len(words) else "stop")
        elif fmt_type == "json_schema":
            spec = fmt.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, dict) else None
            if server.on("json-schema-ignored"):
                instance: Any = {"answer": "".join(words[:2])}
            else:
                instance = build_instance(schema if isinstance(schema, dict) else {})
            text = _limit(json.dumps(instance, ensure_ascii=False, separators=(",", ":")), [], cap)
        else:
            text = _limit(" ".join(words).capitalize() + ".", stops, cap)
        entries = _token_logprobs(ckey, text.content, top) if want_logprobs else None
        choices.append(ChatChoice(index, text.content, text.finish, tokens(text.content), logprobs=entries))
    return choices


def _chat_head(server: Server, call: Call, key: str, obj: str) -> dict[str, Any]:
    created = TIMESTAMP * 1000 if server.on("created-milliseconds") else TIMESTAMP
    model = str(call.arg("model", ""))
    return {
        "id": "chatcmpl-" + digest(key)[:24],
        "object": obj,
        "created": created,
        "model": model,
        "system_fingerprint": "fp_" + digest(model)[:10],
    }


def _usage(server: Server, prompt: int, completion: int) -> dict[str, int]:
    extra = 1 if server.on("usage-total-off-by-one") else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion + extra,
    }


def chat(server: Server, call: Call) -> Response:
    if (
        server.on("stream-error-as-event")
        and call.arg("stream") is True
        and not server.model_exists(call.arg("model"))
    ):
        text = f"The model `{str(call.arg('model'))[:200]}` does not exist or you do not have access to it."
        error = {
            "error": {
                "message": text,
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        }
        return _sse(server, [error])
    server.require_model(call.arg("model"))
    body = call.body if isinstance(call.body, dict) else {}
    key = digest("chat", {k: v for k, v in body.items() if k not in _NOT_IN_KEY})
    messages = call.arg("messages", [])
    prompt_tokens = sum(tokens(_message_text(m)) + 1 for m in messages)
    choices = _chat_choices(server, call, key)
    completion = sum(c.completion_tokens for c in choices)
    if call.arg("stream") is True:
        return _chat_stream(server, call, key, choices, prompt_tokens, completion)
    out_choices = []
    for choice in choices:
        message: dict[str, Any] = {"role": "assistant", "content": choice.content, "refusal": None}
        if server.on("chat-refusal-missing"):
            del message["refusal"]
        if choice.tool_call is not None:
            message["tool_calls"] = [choice.tool_call]
        if choice.function_call is not None:
            message["function_call"] = choice.function_call
        finish = choice.finish
        if finish == "stop" and server.on("finish-reason-end-turn"):
            finish = "end_turn"
        logprobs = None
        if choice.logprobs is not None and not server.on("logprobs-missing"):
            logprobs = {"content": choice.logprobs, "refusal": None}
        out_choices.append(
            {"index": choice.index, "message": message, "logprobs": logprobs, "finish_reason": finish}
        )
    obj = "chat.completions" if server.on("chat-object-plural") else "chat.completion"
    response = _chat_head(server, call, key, obj)
    response["choices"] = out_choices
    response["usage"] = _usage(server, prompt_tokens, completion)
    return server.json(response)


def _sse(server: Server, events: list[Any], stall_after_first: bool = False) -> Response:
    separator = "\n\n"

    async def produce() -> AsyncIterator[bytes]:
        for position, event in enumerate(events):
            if position and server.on("stream-junk-lines"):
                yield b"keep-alive\n\n"
            yield (
                "data: " + json.dumps(event, ensure_ascii=False, separators=(",", ":")) + separator
            ).encode()
            if stall_after_first:
                await asyncio.sleep(3600)
                return
        if not server.on("stream-no-done"):
            yield b"data: [DONE]\n\n"

    media = "application/json" if server.on("stream-as-json") else "text/event-stream"
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(produce(), media_type=media, headers=headers)


def _include_usage(call: Call) -> bool:
    options = call.arg("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _pieces(text: str) -> list[str]:
    if len(text) < 2:
        return [text]
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def _chat_stream(
    server: Server, call: Call, key: str, choices: list[ChatChoice], prompt: int, completion: int
) -> Response:
    obj = "chat.completion" if server.on("stream-chunk-object") else "chat.completion.chunk"
    head = _chat_head(server, call, key, obj)
    events: list[dict[str, Any]] = []

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> None:
        event = dict(head)
        if server.on("stream-id-changes"):
            event["id"] = f"{head['id']}-{len(events)}"
        if server.on("stream-created-changes"):
            event["created"] = head["created"] + len(events)
        event["choices"] = [{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]
        events.append(event)

    for choice in choices:
        chunk(
            choice.index,
            {"role": "assistant", "content": "" if choice.content is not None else None, "refusal": None},
        )
        if choice.content is not None:
            entries = choice.logprobs if not server.on("logprobs-missing") else None
            for position, piece in enumerate(split_tokens(choice.content)):
                lp = (
                    None
                    if entries is None
                    else {"content": entries[position : position + 1], "refusal": None}
                )
                chunk(choice.index, {"content": piece}, logprobs=lp)
        if choice.tool_call is not None:
            function = choice.tool_call["function"]
            first: dict[str, Any] = {
                "index": 0,
                "id": choice.tool_call["id"],
                "type": "function",
                "function": {"name": function["name"], "arguments": ""},
            }
            parts = _pieces(function["arguments"])
            if server.on("stream-tool-args-truncated"):
                parts = parts[:-1]
            deltas = [first] + [{"index": 0, "function": {"arguments": part}} for part in parts]
            for delta in deltas:
                if server.on("stream-tool-call-no-index"):
                    delta.pop("index", None)
                chunk(choice.index, {"tool_calls": [delta]})
        if choice.function_call is not None:
            chunk(choice.index, {"function_call": {"name": choice.function_call["name"], "arguments": ""}})
            for part in _pieces(choice.function_call["arguments"]):
                chunk(choice.index, {"function_call": {"arguments": part}})
        if not server.on("stream-no-finish"):
            chunk(choice.index, {}, choice.finish)
    usage = _usage(server, prompt, completion)
    if _include_usage(call) and server.on("stream-usage-with-choices"):
        events[-1]["usage"] = usage
    elif _include_usage(call) or server.on("stream-usage-unasked"):
        event = dict(head)
        event["choices"] = []
        event["usage"] = usage
        events.append(event)
    return _sse(server, events, stall_after_first=server.on("stream-stall"))


# -- completions --------------------------------------------------------------------------------
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


def _completion_logprobs(key: str, text: str, top: int, offset: int) -> dict[str, Any]:
    pieces = split_tokens(text)
    offsets, position = [], offset
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    return {
        "tokens": pieces,
        "token_logprobs": [logprob(key, p, 0) for p in pieces],
        "top_logprobs": [
            {alt: logprob(key + str(i), alt, rank) for rank, alt in enumerate(_alternatives(p, top))}
            for i, p in enumerate(pieces)
        ],
        "text_offset": offsets,
    }


def completions(server: Server, call: Call) -> Response:
    server.require_model(call.arg("model"))
    body = call.body if isinstance(call.body, dict) else {}
    prompts = _prompts(body.get("prompt"))
    n = int(call.arg("n", 1))
    cap = _cap(call, 0) if call.arg("max_tokens") is not None else 16
    stops = _stops(call.arg("stop"))
    echo = call.arg("echo") is True
    top = call.arg("logprobs")
    key = digest("completion", {k: v for k, v in body.items() if k not in _NOT_IN_KEY})
    choices: list[dict[str, Any]] = []
    completion_tokens = 0
    for p_index, prompt in enumerate(prompts):
        for j in range(n):
            ckey = f"{key}:{p_index}:{j}"
            text = _limit(" " + " ".join(reply_words(ckey)), stops, cap)
            completion_tokens += tokens(text.content)
            full = prompt + text.content if echo else text.content
            lp = None
            if isinstance(top, int):
                lp = _completion_logprobs(ckey, full, top, 0)
            choices.append(
                {"text": full, "index": p_index * n + j, "logprobs": lp, "finish_reason": text.finish}
            )
    prompt_tokens = sum(tokens(p) for p in prompts)
    model = str(call.arg("model", ""))
    head = {
        "id": "cmpl-" + digest(key)[:24],
        "object": "text_completion",
        "created": TIMESTAMP,
        "model": model,
        "system_fingerprint": "fp_" + digest(model)[:10],
    }
    usage = _usage(server, prompt_tokens, completion_tokens)
    if call.arg("stream") is True:
        events: list[dict[str, Any]] = []
        for choice in choices:
            lp_all = choice["logprobs"]
            for position, piece in enumerate(split_tokens(choice["text"])):
                lp = None
                if lp_all is not None:
                    lp = {k: v[position : position + 1] for k, v in lp_all.items()}
                events.append(
                    {
                        **head,
                        "choices": [
                            {"text": piece, "index": choice["index"], "logprobs": lp, "finish_reason": None}
                        ],
                    }
                )
            events.append(
                {
                    **head,
                    "choices": [
                        {
                            "text": "",
                            "index": choice["index"],
                            "logprobs": None,
                            "finish_reason": choice["finish_reason"],
                        }
                    ],
                }
            )
        if _include_usage(call):
            events.append({**head, "choices": [], "usage": usage})
        return _sse(server, events)
    return server.json({**head, "choices": choices, "usage": usage})


# -- embeddings ---------------------------------------------------------------------------------
def embeddings(server: Server, call: Call) -> Response:
    model = call.arg("model")
    server.require_model(model)
    native = _DIMENSIONS.get(str(model), 1536)
    dimensions = call.arg("dimensions")
    if dimensions is not None and dimensions > native:
        raise RequestError(400, f"Invalid 'dimensions': at most {native} for {model}.", param="dimensions")
    if dimensions is None or server.on("dimensions-ignored"):
        dimensions = native
    value = call.arg("input", "")
    if isinstance(value, str):
        inputs: list[Any] = [value]
    elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        inputs = [value]
    else:
        inputs = list(value) if isinstance(value, list) else [value]
    if server.on("embeddings-first-only"):
        inputs = inputs[:1]
    base64_wanted = call.arg("encoding_format") == "base64" and not server.on("base64-ignored")
    data = []
    prompt_tokens = 0
    for index, item in enumerate(inputs):
        text = token_text(item) if isinstance(item, list) else str(item)
        prompt_tokens += len(item) if isinstance(item, list) else tokens(text)
        full = embedding(digest("embedding", str(model), item), native)
        vector = full[:dimensions]
        if dimensions != native:
            norm = sum(v * v for v in vector) ** 0.5 or 1.0
            vector = float32([v / norm for v in vector])
        encoded: Any = embedding_base64(vector) if base64_wanted else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
    return server.json({"object": "list", "data": data, "model": str(model), "usage": usage})


# -- moderations --------------------------------------------------------------------------------
def moderations(server: Server, call: Call) -> Response:
    if server.on("moderations-server-error"):
        raise RequestError(500, "The server had an error while processing your request.", type="server_error")
    value = call.arg("input", "")
    inputs = value if isinstance(value, list) else [value]
    body = server.template(call.op)
    item_schema = server.builder.resolve(call.op.success_schema)
    result_schema = server.builder.resolve(
        ((item_schema.get("properties") or {}).get("results") or {}).get("items", {})
    )
    results = []
    for item in inputs:
        result = server.instance(result_schema)
        scores = result.get("category_scores")
        if isinstance(scores, dict):
            for index, name in enumerate(sorted(scores)):
                scores[name] = round(int(digest(item, name)[:6], 16) / 0xFFFFFF * 0.001 + index * 1e-6, 8)
        results.append(result)
    body.update(
        {
            "id": "modr-" + digest("moderation", inputs)[:24],
            "model": str(call.arg("model", "omni-moderation-latest")),
            "results": results,
        }
    )
    return server.json(body, 418 if server.on("moderations-status-418") else 200)


# -- images -------------------------------------------------------------------------------------
def images(server: Server, call: Call) -> Response:
    n = call.arg("n", 1)
    n = int(n) if isinstance(n, int) else 1
    want_b64 = call.arg("response_format") == "b64_json"
    key = digest(call.op.operation_id, call.body if isinstance(call.body, dict) else {}, sorted(call.files))
    data = []
    for index in range(n):
        image_id = digest(key, index)[:24]
        item: dict[str, Any] = {}
        if want_b64:
            item["b64_json"] = base64.b64encode(_PNG).decode()
        else:
            item["url"] = f"https://images.openai-conformance.invalid/img-{image_id}.png"
        if call.arg("model") == "dall-e-3" and isinstance(call.arg("prompt"), str):
            item["revised_prompt"] = call.arg("prompt")
        data.append(item)
    return server.json({"created": TIMESTAMP, "data": data})


# -- audio --------------------------------------------------------------------------------------
_AUDIO_MAGIC = {
    "mp3": b"ID3\x04\x00\x00",
    "opus": b"OggS\x00\x02",
    "aac": b"\xff\xf1\x50\x80",
    "flac": b"fLaC\x00\x00",
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "pcm": b"\x00\x00",
}


def speech(server: Server, call: Call) -> Response:
    fmt = str(call.arg("response_format", "mp3"))
    text = str(call.arg("input", ""))
    payload = _AUDIO_MAGIC.get(fmt, b"") + digest("speech", text, call.arg("voice")).encode() * (
        1 + len(text) // 64
    )
    media = call.op.success_media or "application/octet-stream"
    return Response(payload, media_type=media)


def _clock(seconds: float, comma: bool) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{',' if comma else '.'}{ms:03d}"


def transcription(server: Server, call: Call) -> Response:
    data = call.files.get("file", b"")
    words = reply_words(digest(call.op.operation_id, data.hex()[:4096], call.arg("prompt")))
    text = " ".join(words).capitalize() + "."
    duration = round(len(words) * 0.4, 2)
    fmt = call.arg("response_format", "json")
    if fmt in ("text", "srt", "vtt"):
        if fmt == "srt":
            out = f"1\n{_clock(0, True)} --> {_clock(duration, True)}\n{text}\n"
        elif fmt == "vtt":
            out = f"WEBVTT\n\n{_clock(0, False)} --> {_clock(duration, False)}\n{text}\n"
        else:
            out = text
        if "text/plain" in call.op.success_medias:
            return Response(out.encode(), media_type="text/plain")
        return server.json({"text": out})
    if fmt == "verbose_json":
        schema = server.builder.resolve(call.op.success_schema)
        branches = schema.get("oneOf") or schema.get("anyOf") or [schema] if isinstance(schema, dict) else []
        verbose = next(
            (
                server.builder.resolve(b)
                for b in branches
                if "duration" in (server.builder.resolve(b).get("properties") or {})
            ),
            None,
        )
        if verbose is not None:
            body = server.instance(verbose)
            props = verbose.get("properties") or {}
            body.update({"text": text, "language": str(call.arg("language", "english"))})
            body["duration"] = (
                str(duration)
                if (server.builder.resolve(props.get("duration")) or {}).get("type") == "string"
                else duration
            )
            granularities = call.arg("timestamp_granularities[]", ["segment"])
            for name, wanted in (("segments", "segment"), ("words", "word")):
                if wanted in granularities and name in props:
                    item_schema = (server.builder.resolve(props[name]) or {}).get("items")
                    item = server.instance(item_schema)
                    if isinstance(item, dict):
                        for field_name, value in (("text", text), ("word", words[0]), ("end", duration)):
                            if field_name in item and server.builder.conforms(
                                value,
                                ((server.builder.resolve(item_schema) or {}).get("properties") or {}).get(
                                    field_name
                                ),
                            ):
                                item[field_name] = value
                    body[name] = [item]
            return server.json(body)
    return server.json({"text": text})


HANDLERS: dict[str, Handler] = {
    "listModels": list_models,
    "retrieveModel": retrieve_model,
    "deleteModel": delete_model,
    "createChatCompletion": chat,
    "createCompletion": completions,
    "createEmbedding": embeddings,
    "createModeration": moderations,
    "createImage": images,
    "createImageEdit": images,
    "createImageVariation": images,
    "createSpeech": speech,
    "createTranscription": transcription,
    "createTranslation": transcription,
}
