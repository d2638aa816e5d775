"""A deterministic OpenAI-like fake for the scenario tests: each named fault breaks one behaviour."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.config import RunConfig
from openai_conformance.scenarios.base import ScenarioContext
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.parsed_stream import ParsedStream, parse_stream
from openai_conformance.validation.semantics import check_semantics
from openai_conformance.validation.stream import check_stream, stream_kind
from openai_conformance.validation.violations import Violation
from tests.validation.validation_factories import (
    CREATED,
    NOW,
    chat_chunk,
    json_exchange,
    stream_exchange,
    usage_chunk,
    validator,
)

__all__ = ["FakeJudge", "FakeServer", "FakeTransport", "context"]


@dataclass
class FakeServer:
    """A deterministic OpenAI-like server; each fault breaks one behaviour."""

    faults: frozenset[str] = frozenset()
    sent: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    draws: int = 0  # seed_ignored: answers so far

    def send(self, method: str, path: str, body: Any, stream: bool) -> Exchange:
        assert method == "POST"
        self.sent.append((path, body, stream))
        if path == "/embeddings":
            return json_exchange(path, body, self._embeddings(body))
        if path == "/completions":
            choices = self._completion_choices(body)
            if stream:
                return stream_exchange(path, body, self._completion_stream(body, choices))
            return json_exchange(path, body, self._completion(body, choices))
        assert path == "/chat/completions"
        if stream:
            return stream_exchange(path, body, self._chat_stream(body))
        return json_exchange(path, body, self._chat(body))

    # chat ------------------------------------------------------------------------------------------

    def _n(self, body: dict[str, Any]) -> int:
        return 1 if "n_ignored" in self.faults else int(body.get("n") or 1)

    @staticmethod
    def _cap(body: dict[str, Any]) -> int:
        return int(body.get("max_tokens") or body.get("max_completion_tokens") or 16)

    def _reply(self, body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None, str]:
        """Content, tool calls and finish reason for a request."""
        if "max_tokens_ignored" in self.faults and self._cap(body) <= 2:
            return "1 2 3 4 5 6 7 8 9 10 " * 60, None, "stop"
        choice, tools = body.get("tool_choice"), body.get("tools") or []
        if isinstance(choice, dict) or (choice == "required" and tools):
            arguments = '{"town": 1}' if "bad_arguments" in self.faults else '{"city": "Paris"}'
            names = [tool["function"]["name"] for tool in tools] if choice == "required" else ["get_weather"]
            if body.get("parallel_tool_calls") is False and "parallel_ignored" not in self.faults:
                names = names[:1]
            calls = [
                {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
                for i, name in enumerate(names)
            ]
            return None, calls, "tool_calls"
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_object":
            return '{"ok": true}', None, "stop"
        if response_format.get("type") == "json_schema":
            return '{"answer": "five"}' if "schema_ignored" in self.faults else '{"answer": 5}', None, "stop"
        if self._cap(body) <= 2:
            return "1", None, "stop" if "cap_says_stop" in self.faults else "length"
        if body.get("stop") and "stop_ignored" not in self.faults:
            return "1, 2, 3, 4, ", None, "length" if "length_at_stop" in self.faults else "stop"
        if body.get("stop"):
            return "1, 2, 3, 4, 5, 6", None, "stop"
        if "seed_ignored" in self.faults:
            self.draws += 1
            return f"Hello {self.draws}", None, "stop"
        return "Hello", None, "stop"

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        content, calls, finish = self._reply(body)
        k = body.get("top_logprobs") or 0
        logprobs = None
        if body.get("logprobs") and "logprobs_ignored" not in self.faults:
            top = [{"token": f"t{i}", "logprob": -1.0 * i, "bytes": None} for i in range(k)]
            pieces = ["He", "l", "lo"]  # "Hello" in the three tokens usage counts
            sign = 1.0 if "positive_logprobs" in self.faults else -1.0
            logprobs = {
                "content": [
                    {"token": t, "logprob": sign * 0.1, "bytes": list(t.encode()), "top_logprobs": top}
                    for t in pieces
                ],
                "refusal": None,
            }
        choices = []
        for index in range(self._n(body)):
            message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
            if calls:
                message["tool_calls"] = calls
            choices.append(
                {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}
            )
        completion_tokens = min(len(choices) * 3, len(choices) * self._cap(body))
        if "max_tokens_ignored" in self.faults and self._cap(body) <= 2:
            return {
                "id": "chatcmpl-1", "object": "chat.completion", "created": CREATED, "model": body["model"],
                "choices": choices,
            }  # fmt: skip
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "system_fingerprint": "fp_1",
            "choices": choices,
            "usage": {
                "prompt_tokens": 7,
                "completion_tokens": completion_tokens,
                "total_tokens": 7 + completion_tokens,
            },
        }

    def _chat_stream(self, body: dict[str, Any]) -> list[Any]:
        content, calls, finish = self._reply(body)
        if "stream_shape_differs" in self.faults:
            finish = "length"  # the plain answer to the same request says "stop"
        include = (body.get("stream_options") or {}).get("include_usage") is True
        usage: dict[str, Any] = {"usage": None} if include else {}
        items: list[Any] = []
        for index in range(self._n(body)):
            items.append(chat_chunk(role=True, content="" if calls is None else None, index=index, **usage))
            if calls:
                first = {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
                items.append(chat_chunk(tool_calls=[first], index=index, **usage))
                pieces = ['{"city": ', '"Paris"}']
                if "tool_index_missing" in self.faults:
                    items += [
                        chat_chunk(tool_calls=[{"function": {"arguments": p}}], index=index, **usage)
                        for p in pieces
                    ]
                else:
                    items += [
                        chat_chunk(
                            tool_calls=[{"index": 0, "function": {"arguments": p}}], index=index, **usage
                        )
                        for p in pieces
                    ]
            else:
                items.append(chat_chunk(content=content, index=index, **usage))
            items.append(chat_chunk(index=index, finish=finish, **usage))
        if include and "usage_ignored" not in self.faults:
            items.append(usage_chunk(completion=2 * self._n(body)))
        return items

    # completions -----------------------------------------------------------------------------------

    def _completion_choices(self, body: dict[str, Any]) -> int:
        prompt = body["prompt"]
        tokens = isinstance(prompt, list) and all(isinstance(item, int) for item in prompt)
        prompts = len(prompt) if isinstance(prompt, list) and not tokens else 1
        return prompts * (1 if "n_ignored" in self.faults else int(body.get("n") or 1))

    def _completion(self, body: dict[str, Any], choices: int) -> dict[str, Any]:
        prompt = body["prompt"]
        prompts = prompt if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt) else [prompt]
        n = choices // max(len(prompts), 1)
        cut = int(body.get("max_tokens") or 16) <= 2
        written = " there" if body.get("suffix") is None or "suffix_ignored" in self.faults else " then"
        out = []
        for i in range(choices):
            echoed = prompts[i // n] if body.get("echo") and isinstance(prompts[i // n], str) else ""
            text = echoed + written
            logprobs = None
            if body.get("logprobs") is not None:
                logprobs = {
                    "tokens": [text],
                    "token_logprobs": [-0.1],
                    "top_logprobs": [{}],
                    "text_offset": [0],
                }
            out.append(
                {"text": text, "index": i, "logprobs": logprobs, "finish_reason": "length" if cut else "stop"}
            )
        return {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": CREATED,
            "model": body["model"],
            "choices": out,
            "usage": {"prompt_tokens": 4, "completion_tokens": choices, "total_tokens": 4 + choices},
        }

    def _completion_stream(self, body: dict[str, Any], choices: int) -> list[Any]:
        base = {"id": "cmpl-1", "object": "text_completion", "created": CREATED, "model": body["model"]}
        items: list[Any] = []
        for index in range(choices):
            items.append(
                {
                    **base,
                    "choices": [{"text": " there", "index": index, "logprobs": None, "finish_reason": None}],
                }
            )
            reason = "" if "empty_finish_reason" in self.faults else "stop"
            items.append(
                {**base, "choices": [{"text": "", "index": index, "logprobs": None, "finish_reason": reason}]}
            )
        usage = {"prompt_tokens": 4, "completion_tokens": choices, "total_tokens": 4 + choices}
        items.append({**base, "choices": [], "usage": usage})
        return items

    # embeddings ------------------------------------------------------------------------------------

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        value = body["input"]
        tokens = isinstance(value, list) and all(isinstance(item, int) for item in value)
        inputs = value if isinstance(value, list) and not tokens else [value]
        if "embeddings_count" in self.faults:
            inputs = inputs[:1]
        size = 16 if "dimensions_ignored" in self.faults else int(body.get("dimensions") or 16)
        data = []
        for i, text in enumerate(inputs):
            vector = [((len(str(text)) + i) * 7 + j * 13) % 17 / 17 - 0.5 for j in range(size)]
            embedding: Any = vector
            if body.get("encoding_format") == "base64":
                order = ">" if "big_endian" in self.faults else "<"
                embedding = base64.b64encode(struct.pack(f"{order}{size}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        return {
            "object": "list",
            "model": body["model"],
            "data": data,
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }


class FakeTransport(HttpTransport):
    """Builds requests as the HTTP transport does; a fake server answers them."""

    def __init__(self, server: FakeServer) -> None:
        super().__init__(RunConfig(), "http://testserver/v1")
        self.server = server

    def send(self, request: Request, *, stream: bool = False) -> Exchange:
        return self.server.send(request.method, request.path, request.json_body, stream)


class FakeJudge:
    """What the engine's judge does, minus the schema of non-streamed bodies."""

    def judge(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True
    ) -> Iterator[Violation]:
        kind = stream_kind(operation_id)
        if kind is not None and exchange.request.body_field("stream") is True:
            yield from self.judge_stream(parse_stream(exchange), operation_id)
        else:
            yield from check_semantics(exchange, operation_id, now=NOW)

    def judge_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[Violation]:
        kind = stream_kind(operation_id)
        assert kind is not None
        yield from check_stream(stream, kind, validator(kind), now=NOW)


def context(
    server: FakeServer,
    *,
    max_tokens: int = 16,
    embedding_model: str | None = "text-embedding-3-small",
    completion_model: str | None = "gpt-3.5-turbo-instruct",
) -> ScenarioContext:
    fit = {
        "createChatCompletion": "gpt-4o-mini",
        "createEmbedding": embedding_model,
        "createCompletion": completion_model,
    }

    def models_for(operation_id: str) -> list[str]:
        model = fit.get(operation_id)
        return [model] if model else []

    return ScenarioContext(FakeTransport(server), FakeJudge(), models_for, max_tokens=max_tokens)
