"""Content-Encoding undone as the bytes arrive, never more than a small piece at a time.

httpx decodes each raw read in one call: 64 KiB of gzip can inflate to 64 MiB at once, and two
layers (``Content-Encoding: gzip, gzip``) to far more, before any size cap is looked at. Here every
layer inflates at most :data:`PIECE` bytes per step and hands them on lazily, so the caller that
counts decoded bytes stops the decoding itself, right at its cap: memory stays bounded by the cap
and a few pieces, whatever the ratio. A pure incremental decoder (``decode``/``flush``), no I/O.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

__all__ = ["ACCEPTED_ENCODINGS", "PIECE", "ContentDecoder", "DecodingError"]

#: What the transport asks for (``Accept-Encoding``): the encodings this module undoes.
ACCEPTED_ENCODINGS = "gzip, deflate"
#: The most bytes one layer produces in one step.
PIECE = 64 * 1024

_GZIP = zlib.MAX_WBITS | 16
_ZLIB = zlib.MAX_WBITS
_RAW = -zlib.MAX_WBITS


class DecodingError(Exception):
    """The body does not decode as its Content-Encoding says."""


class _Inflate:
    """One gzip or deflate layer; deflate is zlib-wrapped or raw, as servers send both."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._object = zlib.decompressobj(_GZIP if not self._deflate else _ZLIB)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._deflate and not self._started and data:
            self._started = True
            try:
                probe = zlib.decompressobj(_ZLIB)
                probe.decompress(data[:2])
            except zlib.error:
                self._object = zlib.decompressobj(_RAW)  # a raw deflate stream, without the zlib header
        pending = data
        while pending:
            if self._object.eof:
                return  # anything after the end of the stream is not part of the body
            try:
                piece = self._object.decompress(pending, PIECE)
            except zlib.error as exc:
                raise DecodingError(
                    f"the body is not valid {'deflate' if self._deflate else 'gzip'}: {exc}"
                ) from exc
            pending = self._object.unconsumed_tail
            if piece:
                yield piece

    def end(self) -> Iterator[bytes]:
        while not self._object.eof:
            try:
                piece = self._object.decompress(b"", PIECE)
            except zlib.error as exc:  # pragma: no cover - zlib reports errors on feed
                raise DecodingError(str(exc)) from exc
            if not piece:
                return
            yield piece


def _layers(content_encoding: str) -> list[_Inflate]:
    """The layers to undo, outermost first; encodings this module does not know are left as they are."""
    names = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
    layers = []
    for name in reversed(names):  # the last encoding applied is the first to undo
        if name in ("gzip", "x-gzip"):
            layers.append(_Inflate("gzip"))
        elif name == "deflate":
            layers.append(_Inflate("deflate"))
        elif name != "identity":
            return []  # one unknown layer: the rest cannot be undone in order (httpx does the same)
    return layers


class ContentDecoder:
    """Decodes one body; iterate what ``decode`` and ``flush`` yield and stop whenever enough came."""

    def __init__(self, content_encoding: str | None) -> None:
        self._layers = _layers(content_encoding or "")

    def decode(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next raw bytes, each produced only when asked for."""
        return self._through(0, (raw,))

    def flush(self) -> Iterator[bytes]:
        """What the layers still hold once the raw body has ended."""
        for index, layer in enumerate(self._layers):
            yield from self._through(index + 1, layer.end())

    def _through(self, index: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
        if index == len(self._layers):
            yield from (piece for piece in pieces if piece)
            return
        layer = self._layers[index]
        for piece in pieces:
            yield from self._through(index + 1, layer.feed(piece))
