"""A request as a runnable ``curl`` command, with every credential redacted."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable

from openai_conformance.transport.exchange import Request
from openai_conformance.transport.http import redact_headers

__all__ = ["WRONG_KEY", "redact", "to_curl"]

_MAX_INLINE_BODY = 4000

#: The key the suite sends to see a wrong key refused: its own invention, never a user's, so a
#: reproduction shows it as it was sent (a reproduction that sent the valid key would prove nothing).
WRONG_KEY = "sk-openai-conformance-wrong-key"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (of 4 characters or more) replaced by ``<redacted>``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    return text


def to_curl(request: Request, secrets: Iterable[str] = ()) -> str:
    """A curl command that sends ``request`` again; the key comes from ``$OPENAI_API_KEY``."""
    parts = ["curl", "-sS", "-X", request.method, shlex.quote(request.url)]
    if request.asks_stream:
        parts.insert(2, "-N")  # show a stream's events as they arrive
    headers = redact_headers(request.headers)
    for name, value in request.headers.items():
        if name.lower() == "authorization" and value == f"Bearer {WRONG_KEY}":
            headers[name] = value
    for name, value in headers.items():
        if request.files is not None and name.lower() == "content-type":
            continue  # curl -F writes its own boundary
        quote = '"' if "$OPENAI_API_KEY" in value else "'"
        shown = value.replace("'", "'\\''") if quote == "'" else value
        parts += ["-H", f"{quote}{name}: {shown}{quote}"]
    if request.files is not None:
        for name, value in request.files.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                raw = getattr(item, "data", item)
                if isinstance(raw, bytes | bytearray):
                    parts += ["-F", shlex.quote(f"{name}=@{name}.bin")]
                elif raw is None:
                    continue
                else:
                    text = (
                        json.dumps(raw)
                        if isinstance(raw, dict | list)
                        else str(raw).lower()
                        if isinstance(raw, bool)
                        else str(raw)
                    )
                    parts += ["-F", shlex.quote(f"{name}={text}")]
    elif request.content:
        body = request.content.decode("utf-8", "replace")
        if len(body) > _MAX_INLINE_BODY:
            body = body[:_MAX_INLINE_BODY] + "…(truncated)"
        parts += ["--data-binary", shlex.quote(body)]
    return redact(" ".join(parts), secrets)
