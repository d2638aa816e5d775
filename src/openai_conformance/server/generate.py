"""Deterministic stand-ins for a model: a word tokenizer, generated text, logprobs and embeddings."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import random
import re
import struct
from typing import Any

__all__ = [
    "VOCABULARY",
    "digest",
    "embedding",
    "embedding_base64",
    "float32",
    "logprob",
    "reply_words",
    "split_tokens",
    "token_text",
    "tokens",
]

VOCABULARY = [
    "the",
    "reference",
    "server",
    "answers",
    "every",
    "request",
    "with",
    "words",
    "chosen",
    "from",
    "a",
    "small",
    "fixed",
    "vocabulary",
    "so",
    "that",
    "identical",
    "requests",
    "always",
    "produce",
    "identical",
    "completions",
    "and",
    "clients",
    "can",
    "test",
    "parsing",
    "streaming",
    "usage",
    "accounting",
    "stop",
    "sequences",
    "and",
    "token",
    "limits",
    "without",
    "a",
    "real",
    "model",
    "behind",
    "it",
]

_TOKEN = re.compile(r"\S+")


def digest(*parts: Any) -> str:
    """A stable hex digest of JSON-serialisable parts."""
    data = json.dumps(parts, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def tokens(text: str) -> int:
    """The number of tokens in ``text``: whitespace-separated words."""
    return len(_TOKEN.findall(text))


def split_tokens(text: str) -> list[str]:
    """``text`` cut into tokens whose concatenation is ``text`` (each word keeps its leading space)."""
    pieces = re.findall(r"\s*\S+", text)
    if pieces:
        pieces[-1] += text[len("".join(pieces)) :]
    return pieces


def token_text(token_ids: list[int]) -> str:
    """The text a list of token ids stands for (one vocabulary word per id)."""
    return " ".join(VOCABULARY[abs(t) % len(VOCABULARY)] for t in token_ids)


def reply_words(key: str, minimum: int = 6, maximum: int = 14) -> list[str]:
    """A deterministic list of words for the completion identified by ``key``."""
    rng = random.Random(key)
    count = rng.randint(minimum, maximum)
    return [rng.choice(VOCABULARY) for _ in range(count)]


def logprob(key: str, token: str, rank: int = 0) -> float:
    """A deterministic, negative log probability; larger ranks are less likely."""
    value = int(digest(key, token, rank)[:8], 16) / 0xFFFFFFFF
    return -round(0.01 + value * 0.5 + rank * 0.75, 6)


def embedding(key: str, dimensions: int) -> list[float]:
    """A unit-length vector of float32 values seeded from ``key``."""
    return list(_embedding(key, dimensions))


@functools.lru_cache(maxsize=1024)
def _embedding(key: str, dimensions: int) -> tuple[float, ...]:
    rng = random.Random(key)
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return tuple(float32([v / norm for v in raw]))


def float32(values: list[float]) -> list[float]:
    """``values`` rounded to float32, so that their base64 form decodes to exactly them."""
    packed = struct.pack(f"<{len(values)}f", *values)
    return list(struct.unpack(f"<{len(values)}f", packed))


def embedding_base64(vector: list[float]) -> str:
    """The vector as base64 of little-endian float32."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
