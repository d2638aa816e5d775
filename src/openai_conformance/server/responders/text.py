"""What the text endpoints share: stop sequences, token caps, logprobs, usage, the answer's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openai_conformance.server.call import Call
from openai_conformance.server.generate import VOCABULARY, digest, logprob, split_tokens
from openai_conformance.server.routing import RequestError

__all__ = ["Text", "alternatives", "answer_key", "cap", "limit", "stops", "token_logprobs", "usage"]

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


def answer_key(kind: str, call: Call) -> str:
    """What identifies the answer to ``call``: a digest of what the client asked for."""
    sent = call.sent if isinstance(call.sent, dict) else {}
    return digest(kind, {k: v for k, v in sent.items() if k not in _NOT_IN_KEY})


def stops(value: Any) -> list[str]:
    """The stop sequences of a ``stop`` field (a string or a list of them)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str) and s]
    return []


@dataclass
class Text:
    content: str
    finish: str  # "stop" or "length"


def limit(text: str, stop: list[str], most: int | None) -> Text:
    """``text`` cut at the first stop sequence, then at ``most`` tokens (reaching it is `length`)."""
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    if cut >= 0:
        text = text[:cut]
    if most is not None:
        pieces = split_tokens(text)
        if len(pieces) >= most:
            return Text("".join(pieces[:most]), "length")
    return Text(text, "stop")


def cap(call: Call, minimum: int) -> int | None:
    """The token cap of the request (max_completion_tokens, else max_tokens); 400 when too small."""
    name = "max_completion_tokens" if call.arg("max_completion_tokens") is not None else "max_tokens"
    value = call.arg(name)
    if value is None:
        return None
    if not isinstance(value, int) or value < minimum:
        raise RequestError(400, f"Invalid '{name}': must be an integer of at least {minimum}.", param=name)
    return int(value)


def alternatives(token: str, count: int) -> list[str]:
    """``token`` and the ``count - 1`` tokens a model might have written instead."""
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


def token_logprobs(key: str, text: str, top: int) -> list[dict[str, Any]]:
    """The chat logprobs of every token of ``text``, each with its ``top`` alternatives."""
    entries = []
    for position, token in enumerate(split_tokens(text)):
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
                    for rank, alt in enumerate(alternatives(token, top))
                ],
            }
        )
    return entries


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
