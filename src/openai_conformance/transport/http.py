"""The live transport: httpx to the target, with timeouts, size caps and key redaction.

This module is the one boundary where httpx's errors become ours (:class:`TransportError`). An event
stream is decoded as it arrives: every event keeps the time it arrived at.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import httpx

from openai_conformance.errors import TransportError
from openai_conformance.transport.deadline import deadline, transport_with_deadlines
from openai_conformance.transport.decoding import ACCEPTED_ENCODINGS, ContentDecoder, DecodingError
from openai_conformance.transport.exchange import Exchange, Request, SseEvent, StreamEnd
from openai_conformance.transport.sse import SseDecoder

__all__ = ["HttpTransport", "TransportOptions", "join_url"]

_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie"})


class TransportOptions(Protocol):
    """What the transport reads of a run's options (a RunConfig has all of it)."""

    @property
    def api_key(self) -> str | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def timeout(self) -> float: ...  # the headers within it, then a plain body within it again
    @property
    def stream_idle_timeout(self) -> float: ...  # silence allowed between two pieces of a stream
    @property
    def max_stream_seconds(self) -> float: ...  # a stream longer than this is cut
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def verify_tls(self) -> bool: ...


def join_url(base_url: str, api_prefix: str, path: str) -> str:
    """``base_url`` with or without the API prefix (``/v1``), joined with an operation's path."""
    base = base_url.rstrip("/")
    if api_prefix and not base.endswith(api_prefix):
        base += api_prefix
    return base + path


def _multipart(fields: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    data: dict[str, Any] = {}
    files: list[tuple[str, Any]] = []
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            raw = getattr(item, "data", item)  # schemathesis wraps binary values
            if isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[1], bytes):  # (filename, data)
                files.append((name, (str(raw[0]), raw[1], "application/octet-stream")))
            elif isinstance(raw, bytes | bytearray):
                files.append((name, (f"{name}.bin", bytes(raw), "application/octet-stream")))
            elif isinstance(raw, bool):
                data.setdefault(name, []).append("true" if raw else "false")
            elif isinstance(raw, dict | list):
                data.setdefault(name, []).append(json.dumps(raw))
            elif raw is None:
                continue
            else:
                data.setdefault(name, []).append(str(raw))
    return {k: v[0] if len(v) == 1 else v for k, v in data.items()}, files


def _form_data(data: Mapping[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields alone, and its content type (httpx, given no file,
    would encode the fields as application/x-www-form-urlencoded, which a multipart operation refuses)."""
    boundary = os.urandom(16).hex()
    parts = []
    for name, value in data.items():
        quoted = name.replace("\\", "\\\\").replace('"', "%22")
        for item in value if isinstance(value, list) else [value]:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"\r\n\r\n'
            parts.append(head.encode() + str(item).encode("utf-8", "surrogatepass") + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class HttpTransport:
    """Sends requests to one target over HTTP(S) and records the answers."""

    max_retries_429 = 2  # a 429 is retried this often when its Retry-After is short
    max_retry_after = 5.0  # the longest Retry-After waited for, in seconds

    def __init__(
        self,
        options: TransportOptions,
        base_url: str,
        *,
        api_prefix: str = "/v1",
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = options
        self.base_url = base_url
        self.api_prefix = api_prefix
        settings = options
        timeout = httpx.Timeout(settings.timeout)
        self._client = client or httpx.Client(
            timeout=timeout,
            transport=transport_with_deadlines(verify=settings.verify_tls),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def base_headers(self, *, auth: bool = True) -> dict[str, str]:
        headers = {str(k): str(v) for k, v in self.settings.headers.items()}
        if auth and self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        return headers

    def build(
        self,
        method: str,
        path: str,
        path_template: str,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        media_type: str | None = None,
        auth: bool = True,
    ) -> Request:
        """A request ready to send: URL joined, auth and user headers added, body encoded."""
        url = httpx.URL(join_url(self.base_url, self.api_prefix, path))
        if query:
            url = url.copy_merge_params({k: _query_value(v) for k, v in query.items() if v is not None})
        all_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        all_headers.update(self.base_headers(auth=auth))
        request = Request(
            method=method.upper(), url=str(url), path_template=path_template, path=path, media_type=media_type
        )
        if body is not None and media_type and "multipart" in media_type and isinstance(body, Mapping):
            data, files = _multipart(body)
            request.files = dict(body)
            if files:
                built = self._client.build_request(method, url, data=data, files=files, headers=all_headers)
                request.content = built.read()
                all_headers["Content-Type"] = built.headers["content-type"]
            elif data:
                request.content, all_headers["Content-Type"] = _form_data(data)
            else:  # no fields at all: no multipart body either
                request.content = b""
        elif isinstance(body, bytes | bytearray):  # an invalid request may carry raw bytes
            request.content = bytes(body)
            all_headers.setdefault("Content-Type", media_type or "application/octet-stream")
        elif body is not None:
            request.json_body = body
            request.content = json.dumps(body, ensure_ascii=False, default=_lenient).encode(
                "utf-8", "surrogatepass"
            )
            all_headers.setdefault("Content-Type", media_type or "application/json")
        request.headers = all_headers
        return request

    def send(self, request: Request, *, stream: bool = False) -> Exchange:
        """Send ``request``; the answer as an :class:`Exchange`, or :class:`TransportError`.

        A 429 is retried (at most ``max_retries_429`` times) when its ``Retry-After`` is a number of
        seconds no larger than ``max_retry_after``; a 429 that remains is a :class:`TransportError`
        of kind ``rate_limited``: a rate-limited request says nothing about the operation, and judging
        it would blame the target for what it never answered (an unknown model "accepted" with 429).
        The error carries the last 429 (``exchange``), so that its body is judged as an error answer.
        """
        for attempt in range(self.max_retries_429 + 1):
            exchange = self._send_once(request, stream=stream)
            if exchange.status != 429:
                return exchange
            header = exchange.headers.get("retry-after")
            shown = "none" if header is None else _clip(header)
            wait = _retry_after(header)
            if attempt == self.max_retries_429:
                raise TransportError(
                    "rate_limited",
                    f"rate limited: still 429 after {attempt + 1} attempts (Retry-After: {shown})",
                    exchange=exchange,
                )
            if wait is None or wait > self.max_retry_after:
                raise TransportError(
                    "rate_limited",
                    f"rate limited: 429 with Retry-After: {shown}, which the suite does not wait for "
                    f"(it waits up to {self.max_retry_after:g} s)",
                    exchange=exchange,
                )
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, request: Request, *, stream: bool) -> Exchange:
        settings = self.settings
        started = time.monotonic()
        # httpx's timeouts bound each read and write, not a request: every socket operation here is
        # also bounded by the time left (transport/deadline.py), so headers that trickle in, a body
        # that trickles in, or an event stream sent to a request that asked for none, all end.
        # The headers must come within ``timeout``; then a body within ``timeout`` more, a stream
        # within ``max_stream_seconds`` of the start, with at most ``stream_idle_timeout`` of silence.
        try:
            with deadline(started + settings.timeout):
                headers = dict(request.headers)
                if not any(name.lower() == "accept-encoding" for name in headers):
                    headers["Accept-Encoding"] = ACCEPTED_ENCODINGS  # what ContentDecoder undoes
                built = self._client.build_request(
                    request.method,
                    request.url,
                    content=request.content or None,
                    headers=headers,
                    timeout=httpx.Timeout(settings.timeout),
                )
                response = self._client.send(built, stream=True, follow_redirects=False)
        except httpx.ConnectError as exc:
            raise TransportError("connect", f"cannot connect to {self.base_url}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise TransportError("timeout", f"no answer within {settings.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise TransportError("protocol", f"{type(exc).__name__}: {exc}") from exc
        chunks: list[bytes] = []
        size = 0
        end = StreamEnd.COMPLETE
        note: str | None = None
        decoder = SseDecoder() if stream and _is_event_stream(response.headers) else None
        events: list[SseEvent] = []
        if stream:
            body_by, per_read = started + settings.max_stream_seconds, settings.stream_idle_timeout
        else:
            body_by, per_read = time.monotonic() + settings.timeout, None
        # The body is decoded here, a piece at a time, so that the size cap holds for the decoded
        # bytes while they are decoded (transport/decoding.py), not after a whole read inflated.
        content = ContentDecoder(response.headers.get("content-encoding"))

        def decoded() -> Iterator[bytes]:
            if response.is_stream_consumed:  # read already, in memory (a mock transport's answer)
                yield from response.iter_bytes()
                return
            for raw in response.iter_raw():
                yield from content.decode(raw)
            yield from content.flush()

        try:
            with deadline(body_by, per_read=per_read):
                for chunk in decoded():
                    chunks.append(chunk)
                    size += len(chunk)
                    if decoder is not None:
                        events += decoder.decode(chunk, at=time.monotonic() - started)
                    if size > settings.max_body_bytes:
                        end, note = (
                            StreamEnd.TOO_LARGE,
                            f"the answer exceeded {settings.max_body_bytes} bytes (decoded) and was cut",
                        )
                        break
        except DecodingError as exc:
            if not (stream and size):
                raise TransportError("protocol", f"the answer cannot be decoded: {exc}") from exc
            end, note = StreamEnd.CUT, f"the stream stopped decoding midway: {exc}"
        except httpx.ReadTimeout as exc:
            if not stream:
                raise TransportError(
                    "timeout",
                    f"the body was still arriving {settings.timeout:g} s after the headers ({size} bytes so far)"
                    if size
                    else f"the body did not arrive within {settings.timeout:g} s",
                ) from exc
            if time.monotonic() >= body_by:
                end = StreamEnd.TOO_LONG
                note = f"the stream went on for more than {settings.max_stream_seconds:g} s and was cut"
            else:
                end = StreamEnd.IDLE
                note = f"idle timeout: the stream was silent for more than {settings.stream_idle_timeout:g} s"
        except httpx.TimeoutException as exc:  # a write or pool timeout while reading: not expected
            raise TransportError("timeout", f"reading the answer timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            if not (stream and size):
                raise TransportError(
                    "protocol", f"reading the answer failed: {type(exc).__name__}: {exc}"
                ) from exc
            # What arrived of a stream can still be judged; only its end is unknown.
            end, note = StreamEnd.CUT, f"the connection broke mid-stream: {type(exc).__name__}: {exc}"
        finally:
            response.close()
        body = b"".join(chunks)
        del chunks
        if not stream and end is StreamEnd.TOO_LARGE:
            raise TransportError("too_large", note or "answer too large")
        if decoder is not None:
            events += decoder.flush(at=time.monotonic() - started)
        return Exchange(
            request=request,
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            elapsed=time.monotonic() - started,
            events=events if decoder is not None else None,
            sse_problems=decoder.issues if decoder is not None else None,
            stream_end=end if stream else None,
            stream_note=note if stream else None,
        )


def _is_event_stream(headers: httpx.Headers) -> bool:
    media: str = headers.get("content-type", "")
    return media.split(";", 1)[0].strip().lower() == "text/event-stream"


def _lenient(value: Any) -> Any:
    """JSON for what generated invalid bodies may hold besides JSON values (bytes, schemathesis wrappers)."""
    raw = getattr(value, "data", value)
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("latin-1")
    return str(raw)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` that is a number; None for a date, garbage, NaN or infinity."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials replaced by a shell variable reference or a marker."""
    result = {}
    for name, value in headers.items():
        if name.lower() == "authorization" and value.lower().startswith("bearer "):
            result[name] = "Bearer $OPENAI_API_KEY"
        elif name.lower() in _SENSITIVE_HEADERS:
            result[name] = "<redacted>"
        else:
            result[name] = value
    return result
