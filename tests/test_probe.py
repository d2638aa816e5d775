"""What the run asks before judging: where the API is, how it says "no such route", and a diagnosis."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from openai_conformance.config import RunConfig
from openai_conformance.errors import TargetError
from openai_conformance.runner.probe import probe_target
from openai_conformance.runner.target import NoRoute, framework_not_found
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport

MODELS = {"object": "list", "data": [{"id": "m1", "object": "model", "created": 1, "owned_by": "o"}]}
ENVELOPE = {
    "error": {
        "message": "No such File object: file-1",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
}

Handler = Callable[[httpx.Request], httpx.Response]


def _transport(handler: Handler, base_url: str = "http://api.test") -> tuple[HttpTransport, list[str]]:
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url}")
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(record))
    return HttpTransport(RunConfig(), base_url, client=client), sent


def _exchange(
    method: str, url: str, status: int, body: bytes, content_type: str = "application/json"
) -> Exchange:
    path = url.split("/v1", 1)[-1]
    request = Request(method, url, path, path)
    return Exchange(request, status, {"content-type": content_type}, body, 0.0)


# --- where the API is ------------------------------------------------------------------------------


def _serves_at(prefix: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"{prefix}/models":
            return httpx.Response(200, json=MODELS)
        return httpx.Response(404, json={"detail": "Not Found"})

    return handler


@pytest.mark.parametrize(("prefix", "api_base"), [("/v1", "http://api.test/v1"), ("", "http://api.test")])
def test_the_prefix_is_decided_by_what_answers(prefix: str, api_base: str) -> None:
    transport, _ = _transport(_serves_at(prefix))
    probe = probe_target(transport, ["POST"])
    assert probe.api_base == api_base and probe.models == ["m1"]
    assert probe.example_request == f"GET {api_base}/models"
    assert (
        transport.build("POST", "/chat/completions", "/chat/completions").url
        == api_base + "/chat/completions"
    )


def test_a_base_url_ending_with_v1_is_used_as_given() -> None:
    transport, sent = _transport(_serves_at("/v1"), "http://api.test/v1")
    probe_target(transport, ["GET"])
    assert [s for s in sent if s.endswith("/models")] == ["GET http://api.test/v1/models"]


def test_a_prefix_that_asks_for_a_key_is_where_the_api_is() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/"):
            return httpx.Response(401 if request.url.path == "/v1/models" else 404, json=ENVELOPE)
        return httpx.Response(404, text="404 page not found", headers={"content-type": "text/plain"})

    probe = probe_target(_transport(handler)[0], ["GET"])
    assert probe.api_base == "http://api.test/v1"


def test_a_target_that_refuses_everything_ends_the_run_with_one_sentence() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=ENVELOPE)

    with pytest.raises(TargetError, match=r"refused every request .*check --api-key / --header"):
        probe_target(_transport(handler)[0], ["GET"])


def test_a_web_page_that_answers_everything_is_not_an_openai_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html></html>", headers={"content-type": "text/html"})

    with pytest.raises(TargetError, match="is not an OpenAI API"):
        probe_target(_transport(handler)[0], ["GET"])


def test_no_model_listed_says_which_option_to_pass_and_a_given_model_is_used() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    probe = probe_target(_transport(handler)[0], ["POST"])
    (line,) = probe.diagnosis
    assert "answered 404" in line and "pass --model ID" in line
    named = probe_target(_transport(handler)[0], ["POST"], ["my-model"])
    assert named.models == ["my-model"] and named.diagnosis == []


# --- "no such route", method by method ----------------------------------------------------------------


_JSON, _HTML, _TEXT = "application/json", "text/html", "text/plain"
#: framework → (status, media type, body) of its "no such route" page
_PAGES: list[tuple[str, int, str, bytes]] = [
    ("Express", 404, _JSON, b'{"error":"Not Found","message":"Cannot GET /v1/files","status":404}'),
    ("Express", 404, _HTML, b"<!DOCTYPE html><html><body><pre>Cannot DELETE /v1/x</pre></body></html>"),
    ("Starlette", 404, _JSON, b'{"detail":"Not Found"}'),
    ("Starlette", 405, _JSON, b'{"detail":"Method Not Allowed"}'),
    ("Fastify", 404, _JSON, b'{"message":"Route GET:/v1/files not found","error":"Not Found"}'),
    ("Go net/http", 404, _TEXT, b"404 page not found\n"),
    ("Werkzeug", 404, _HTML, b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>"),
    ("Spring", 404, _JSON, b'{"timestamp":"2026-01-01","status":404,"error":"Not Found","path":"/x"}'),
    ("Prism", 404, _JSON, b'{"type":"https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR"}'),
]


@pytest.mark.parametrize(("framework", "status", "content_type", "body"), _PAGES)
def test_framework_pages_are_recognised(framework: str, status: int, content_type: str, body: bytes) -> None:
    exchange = _exchange("GET", "http://api.test/v1/files", status, body, content_type)
    assert framework_not_found(exchange) == framework
    assert NoRoute().matches(exchange)


def test_an_api_error_404_is_a_route_that_exists() -> None:
    exchange = _exchange("GET", "http://api.test/v1/files/file-1", 404, json.dumps(ENVELOPE).encode())
    assert framework_not_found(exchange) is None
    no_route = NoRoute((("GET", 404, b'{"detail": "x"}'),))
    assert not no_route.matches(exchange)


def test_each_method_is_compared_with_its_own_probe() -> None:
    """A mock that answers "does not mock GET /v1/models" with the API's envelope: the POST probe
    alone would say the GET route exists."""

    def handler(request: httpx.Request) -> httpx.Response:
        message = f"this mock does not mock {request.method} {request.url.path} (request 12345)"
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
        return httpx.Response(404, json={"error": error})

    transport, _ = _transport(handler, "http://api.test/v1")
    no_route = NoRoute.discover(transport, ["GET", "POST"])
    answer = transport.send(transport.build("GET", "/models", "/models"))
    assert no_route.matches(answer)
    post_only = NoRoute.discover(transport, ["POST"])
    assert post_only.matches(answer)  # without a GET probe: the POST one, its method taken out
    assert not NoRoute.discover(_transport(lambda r: httpx.Response(404, json=ENVELOPE))[0], ["GET"]).matches(
        answer
    )
