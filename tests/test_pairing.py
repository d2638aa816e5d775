"""The upstream's copy of each request: the same bytes, the upstream's own key and headers, and the
upstream's ids of the resources the two sides created."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openai_conformance.runner.pairing import IdMap, Pairing
from openai_conformance.runner.upstream import UpstreamOptions
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.proxy import Declarations

TARGET_KEY, UPSTREAM_KEY = "sk-proxy-0123456789", "sk-upstream-9876543210"


def _transport(url: str, key: str | None, headers: dict[str, str]) -> HttpTransport:
    options = UpstreamOptions(key, headers, 5.0, 5.0, 10.0, 1 << 20, True)
    return HttpTransport(options, url)


@pytest.fixture
def sides() -> Iterator[tuple[HttpTransport, Pairing]]:
    target = _transport("http://127.0.0.1:4000", TARGET_KEY, {"X-Gateway-Team": "qa"})
    upstream = _transport("http://127.0.0.1:8001", UPSTREAM_KEY, {"OpenAI-Organization": "org-up"})
    pairing = Pairing(
        upstream,
        target_key=TARGET_KEY,
        target_headers={"X-Gateway-Team": "qa"},
        declarations=Declarations({}),
    )
    yield target, pairing
    target.close()
    pairing.close()


def _answer(request: Request, body: bytes, status: int = 200) -> Exchange:
    return Exchange(
        request=request, status=status, headers={"content-type": "application/json"}, body=body, elapsed=0.0
    )


def test_the_upstream_gets_the_same_body_with_its_own_key_and_headers(
    sides: tuple[HttpTransport, Pairing],
) -> None:
    target, pairing = sides
    request = target.build("POST", "/chat/completions", "/chat/completions", body={"model": "m", "n": 2})
    copy = pairing.request_for(request, target)
    assert copy is not None
    assert copy.url == "http://127.0.0.1:8001/v1/chat/completions"
    assert copy.content == request.content and copy.method == "POST"
    assert copy.headers["Authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert copy.headers["OpenAI-Organization"] == "org-up"
    assert "X-Gateway-Team" not in copy.headers  # the proxy's own header stays the proxy's
    assert TARGET_KEY not in str(copy.headers)


def test_a_request_without_the_key_or_with_a_wrong_one_reaches_the_upstream_as_it_is(
    sides: tuple[HttpTransport, Pairing],
) -> None:
    target, pairing = sides
    unkeyed = target.build("GET", "/models", "/models", auth=False)
    wrong = target.build(
        "GET", "/models", "/models", headers={"Authorization": "Bearer sk-wrong"}, auth=False
    )
    wrong.headers["Authorization"] = "Bearer sk-wrong"
    copies = [pairing.request_for(unkeyed, target), pairing.request_for(wrong, target)]
    assert copies[0] is not None and "Authorization" not in copies[0].headers
    assert copies[1] is not None and copies[1].headers["Authorization"] == "Bearer sk-wrong"


def test_the_ids_the_two_sides_created_are_mapped_in_later_requests(
    sides: tuple[HttpTransport, Pairing],
) -> None:
    target, pairing = sides
    create = target.build("POST", "/files", "/files", body={"purpose": "batch"})
    pairing.ids.learn(
        _answer(create, b'{"id": "file-proxy0001", "object": "file", "purpose": "batch"}'),
        _answer(create, b'{"id": "file-upstream9", "object": "file", "purpose": "batch"}'),
    )
    retrieve = target.build("GET", "/files/file-proxy0001", "/files/{file_id}")
    copy = pairing.request_for(retrieve, target)
    assert copy is not None
    assert copy.url == "http://127.0.0.1:8001/v1/files/file-upstream9"
    assert copy.path == "/files/file-upstream9"
    batch = target.build("POST", "/batches", "/batches", body={"input_file_id": "file-proxy0001"})
    copied = pairing.request_for(batch, target)
    assert copied is not None and copied.json_body == {"input_file_id": "file-upstream9"}


def test_only_ids_of_two_successful_answers_are_learned() -> None:
    ids = IdMap()
    request = Request("POST", "http://x/v1/files", "/files")
    ids.learn(_answer(request, b'{"id": "file-proxy0001"}'), _answer(request, b'{"id": "file-up0001"}', 400))
    ids.learn(_answer(request, b'{"id": "abc"}'), _answer(request, b'{"id": "xyz"}'))  # too short to be ids
    assert len(ids) == 0
    assert ids.rewrite("/files/file-proxy0001") == "/files/file-proxy0001"
