"""What kind of file some bytes are, from their signature, and an image's size from its header.

Enough of each format to tell the formats of the API apart (PNG, JPEG, WebP, GIF; MP3, Opus, AAC,
FLAC, WAV) and to read an image's width and height; nothing is decoded beyond its header.
"""

from __future__ import annotations

import struct

__all__ = ["AUDIO_MEDIA_TYPES", "audio_format", "image_format", "image_size"]

#: The audio media types that name each speech format (application/octet-stream names none).
AUDIO_MEDIA_TYPES: dict[str, frozenset[str]] = {
    "mp3": frozenset({"audio/mpeg", "audio/mp3", "audio/mpeg3"}),
    "opus": frozenset({"audio/opus", "audio/ogg", "application/ogg"}),
    "aac": frozenset({"audio/aac", "audio/aacp", "audio/x-aac", "audio/mp4"}),
    "flac": frozenset({"audio/flac", "audio/x-flac"}),
    "wav": frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}),
    "pcm": frozenset({"audio/pcm", "audio/l16", "audio/basic"}),
}


def image_format(data: bytes) -> str | None:
    """ "png", "jpeg", "webp" or "gif", from the file's signature."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the image's header, or None when it cannot be read."""
    kind = image_format(data)
    if kind == "png" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if kind == "gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if kind == "jpeg":
        return _jpeg_size(data)
    if kind == "webp":
        return _webp_size(data)
    return None


def audio_format(data: bytes) -> str | None:
    """ "mp3", "opus", "aac", "flac" or "wav" from the signature; None for raw PCM or unknown bytes."""
    if data.startswith(b"ID3") or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE6 == 0xE2):
        return "mp3"  # an ID3 tag, or an MPEG audio frame (layer III) sync
    if data.startswith(b"OggS"):
        return "opus"
    if data.startswith(b"ADIF") or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0):
        return "aac"  # ADIF, or an ADTS frame sync (layer 0)
    if data.startswith(b"fLaC"):
        return "flac"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    return None
