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
import zlib
from typing import Any

__all__ = [
    "VOCABULARY",
    "counting",
    "digest",
    "embedding",
    "embedding_base64",
    "float32",
    "image_file",
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


_COUNT_TO = re.compile(r"\bcount(?:ing)?\b.*?\bfrom (\d+) to (\d+)", re.IGNORECASE | re.DOTALL)
_COUNT_ON = re.compile(r"(\d+),\s*$")
_UP_TO = re.compile(r"\bto (\d+)\b")
_MOST_NUMBERS = 200


def counting(prompt: str, *, continuation: bool = False) -> str | None:
    """What the "model" writes when asked to count: "Count from 1 to 10" (chat), or a prompt ending in
    "3," (a completion goes on: " 4, 5, …"); None when the prompt asks for no count."""
    if continuation:
        found = _COUNT_ON.search(prompt)
        if found is None:
            return None
        start = int(found.group(1)) + 1
        up_to = _UP_TO.search(prompt)
        end = int(up_to.group(1)) if up_to else start + 11
        return "".join(f" {number}," for number in range(start, min(end, start + _MOST_NUMBERS) + 1))
    found = _COUNT_TO.search(prompt)
    if found is None:
        return None
    first, last = int(found.group(1)), int(found.group(2))
    listed = [str(number) for number in range(first, min(last, first + _MOST_NUMBERS) + 1)]
    return (", " if "comma" in prompt.lower() else " ").join(listed)


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


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@functools.lru_cache(maxsize=16)
def image_file(kind: str, width: int, height: int) -> bytes:
    """An image file of ``width`` x ``height``: a real PNG (black, one bit per pixel); for jpeg and
    webp, just the header that says so (a stand-in: what a client reads first)."""
    width, height = max(1, width), max(1, height)
    if kind == "jpeg":
        frame = struct.pack(">BHHB", 8, height, width, 3) + bytes.fromhex("011100021101031101")
        app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        return (
            b"\xff\xd8"
            + b"\xff\xe0"
            + struct.pack(">H", len(app0) + 2)
            + app0
            + b"\xff\xc0"
            + struct.pack(">H", len(frame) + 2)
            + frame
            + b"\xff\xd9"
        )
    if kind == "webp":
        bits = (width - 1) | ((height - 1) << 14)
        payload = b"\x2f" + bits.to_bytes(4, "little")
        body = b"WEBP" + b"VP8L" + struct.pack("<I", len(payload)) + payload + b"\x00"
        return b"RIFF" + struct.pack("<I", len(body)) + body
    row = b"\x00" + bytes((width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    pixels = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")
