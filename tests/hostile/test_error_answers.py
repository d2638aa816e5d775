"""Error answers are judged wherever they appear, and an encoded answer is capped while it is decoded.

A 429 that remains after the retries, and an error status the spec does not declare (a proxy's 502),
are still error answers: a client reads their bodies as the API's envelope. A compressed answer is
capped by its decoded size as it inflates, so a few hundred bytes cannot become gigabytes in memory.
"""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from pathlib import Path

import pytest

from openai_conformance.config import RunConfig
from openai_conformance.errors import TransportError
from openai_conformance.transport.decoding import PIECE, ContentDecoder, DecodingError
from openai_conformance.transport.http import HttpTransport
from tests.hostile.server import HostileServer
from tests.hostile.test_hostile import EMBEDDINGS, KEY, _control_kept, _run


def test_a_429_that_remains_is_judged_against_the_envelope(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("429-flat", EMBEDDINGS) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding", "--no-probes")
    embeddings = run.operation("createEmbedding")
    found = [(v["check"], v["status"]) for v in embeddings["violations"]]
    assert found == [("errors.envelope", 429)], found
    assert any("Retry-After: 3600" in e for e in embeddings["errors"])  # and it still could not be tested
    assert embeddings["outcome"] == "failed"
    _control_kept(run)
    assert run.code == 1


def test_a_429_with_the_envelope_stays_could_not_test(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("429-long", EMBEDDINGS) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding")
    embeddings = run.operation("createEmbedding")
    assert embeddings["outcome"] == "error" and embeddings["violations"] == []
    # a rate-limited request is counted as sent, never as a judged answer: it is listed as untested
    assert embeddings["statuses"] == {} and embeddings["cases"] >= 1 and embeddings["untested"]


def test_an_undeclared_error_status_is_judged_against_the_envelope(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with HostileServer("502-html", EMBEDDINGS) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels,createEmbedding", "--no-probes")
    checks = run.checks("createEmbedding")
    assert checks == {"schema.status_code", "errors.server_error", "errors.envelope"}, checks
    envelope = [v for v in run.operation("createEmbedding")["violations"] if v["check"] == "errors.envelope"]
    assert "text/html body, not the JSON error envelope" in envelope[0]["message"]
    assert envelope[0]["curl"]  # with the request that shows it
    _control_kept(run)


def _send(behaviour: str, *, huge: int, cap: int) -> tuple[int, TransportError | None]:
    """One request to the hostile server: the peak memory traced while it was read, and its error."""
    with HostileServer(behaviour, EMBEDDINGS, huge_bytes=huge) as server:
        settings = RunConfig(api_key=KEY, timeout=5.0, max_body_bytes=cap)
        with HttpTransport(settings, server.base_url) as transport:
            request = transport.build("POST", "/embeddings", "/embeddings", body={"input": "hi"})
            tracemalloc.start()
            try:
                transport.send(request)
            except TransportError as exc:
                return tracemalloc.get_traced_memory()[1], exc
            finally:
                tracemalloc.stop()
    return 0, None


def test_a_compression_bomb_is_cut_at_the_cap_while_it_inflates() -> None:
    huge, cap = 64 * 1024 * 1024, 1024 * 1024
    peak, error = _send("gzip-bomb", huge=huge, cap=cap)
    assert error is not None and error.kind == "too_large"
    assert "exceeded 1048576 bytes (decoded)" in error.message
    # A few hundred bytes on the wire that inflate to 64 MiB: decoded a piece at a time, the memory
    # taken stays near the cap (inflated in one go, as httpx does, it would take the 64 MiB).
    assert peak < 4 * cap, peak


def test_an_encoded_answer_is_decoded(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with HostileServer("gzip", ("GET /v1/models",)) as server:
        run = _run(capfd, server.base_url, tmp_path, "listModels", "--no-probes")
    models = run.operation("listModels")
    assert models["outcome"] == "passed" and models["cases"] >= 1, models


# -- the decoder itself -----------------------------------------------------------------------------------


def _decode(encoding: str, data: bytes, step: int = 7) -> bytes:
    decoder = ContentDecoder(encoding)
    pieces = [
        piece for start in range(0, len(data), step) for piece in decoder.decode(data[start : start + step])
    ]
    pieces += list(decoder.flush())
    assert all(len(piece) <= PIECE for piece in pieces)
    return b"".join(pieces)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as many servers send it
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("identity", lambda data: data),
        ("", lambda data: data),
        ("br", lambda data: data),  # unknown: left as it is, as httpx does
    ],
)
def test_the_decoder_undoes_each_encoding(encoding: str, encode: object) -> None:
    body = b'{"object": "list", "data": []}' * 5000
    assert callable(encode)
    assert _decode(encoding, encode(body)) == body


def test_the_decoder_yields_lazily_so_its_caller_can_stop() -> None:
    bomb = gzip.compress(b" " * (32 * 1024 * 1024))
    decoder = ContentDecoder("gzip")
    pieces = decoder.decode(bomb)
    first = next(pieces)
    assert len(first) <= PIECE  # one piece was inflated, not 32 MiB


def test_a_body_that_is_not_what_its_encoding_says_is_an_error() -> None:
    with pytest.raises(DecodingError, match="not valid gzip"):
        _decode("gzip", b"this is not gzip at all")
