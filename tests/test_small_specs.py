"""Any OpenAPI 3 spec, not only OpenAI's: checks that OpenAI's spec never exercises, such as headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openai_conformance.cli import main
from tests.conftest import ServeApp

SPEC = """
openapi: 3.0.0
info: {title: Things, version: "1"}
servers: [{url: /v1}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: the things
          headers:
            X-Request-Id:
              required: true
              schema: {type: string, minLength: 3}
          content:
            application/json:
              schema:
                type: object
                required: [data]
                properties:
                  data: {type: array, items: {type: integer}}
"""


def _app(header: str | None) -> Starlette:
    async def things(request: Request) -> Response:
        headers = {"X-Request-Id": header} if header is not None else {}
        return JSONResponse({"data": [1, 2]}, headers=headers)

    return Starlette(routes=[Route("/v1/things", things)])


def _run(serve_app: ServeApp, tmp_path: Path, header: str | None) -> tuple[int, dict[str, object]]:
    spec = tmp_path / "things.yaml"
    spec.write_text(SPEC)
    with serve_app(_app(header)) as url:
        code = main(
            [
                "run",
                "--spec",
                str(spec),
                "--base-url",
                url,
                "--max-examples",
                "2",
                "--report-dir",
                str(tmp_path),
                "-q",
            ]
        )
    report: dict[str, object] = json.loads((tmp_path / "report.json").read_text())
    return code, report


def test_a_missing_declared_header_is_caught(serve_app: ServeApp, tmp_path: Path) -> None:
    code, report = _run(serve_app, tmp_path, None)
    violations = [v for op in report["operations"] for v in op["violations"]]  # type: ignore[attr-defined]
    assert code == 1 and [v["check"] for v in violations] == ["schema.header"]


def test_a_present_valid_header_passes(serve_app: ServeApp, tmp_path: Path) -> None:
    code, report = _run(serve_app, tmp_path, "req-123")
    assert code == 0
    assert [v for op in report["operations"] for v in op["violations"]] == []  # type: ignore[attr-defined]


def test_overlays_that_do_not_fit_an_unpinned_spec_are_noted_not_fatal(
    serve_app: ServeApp, tmp_path: Path
) -> None:
    code, report = _run(serve_app, tmp_path, "req-123")
    notes = report["spec"]["overlay_notes"]  # type: ignore[index]
    assert code == 0 and notes and all("selects nothing" in note for note in notes)


def _judge(
    serve_app: ServeApp, tmp_path: Path, spec_text: str, app: Starlette, examples: int
) -> tuple[int, dict[str, Any]]:
    """Run generated requests of ``spec_text`` against ``app``; the exit status and the report."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    with serve_app(app) as base_url:
        argv = ["run", "--spec", str(spec), "--base-url", base_url, "--model", "m", "--no-probes"]
        code = main([*argv, "--max-examples", str(examples), "--report-dir", str(tmp_path / "r"), "--quiet"])
    return code, json.loads((tmp_path / "r" / "report.json").read_text())


SPEC_31 = """
openapi: 3.1.0
info: {title: Speech, version: "1"}
servers: [{url: /v1}]
paths:
  /speech:
    post:
      operationId: createSpeech
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [input]
              properties:
                input: {type: string, maxLength: 10}
      responses:
        "200":
          description: the audio
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
  /voice:
    get:
      operationId: getVoice
      responses:
        "200":
          description: a voice
          content:
            application/json:
              schema:
                type: object
                required: [name]
                properties:
                  name: {type: string}
"""


def test_binary_answers_of_an_openapi_31_spec_are_bytes_not_text(serve_app: ServeApp, tmp_path: Path) -> None:
    """``type: string, format: binary`` says "these bytes": a binary answer is no violation; a JSON
    answer of the same 3.1 spec with a number for a string still is one."""

    async def speech(request: Request) -> Response:
        return Response(b"ID3\x04\x00\x00\xff\xfe binary audio", media_type="application/octet-stream")

    async def voice(request: Request) -> Response:
        return JSONResponse({"name": 7})

    app = Starlette(routes=[Route("/v1/speech", speech, methods=["POST"]), Route("/v1/voice", voice)])
    code, report = _judge(serve_app, tmp_path, SPEC_31, app, 3)
    results = {op["operation_id"]: op for op in report["operations"]}
    assert results["createSpeech"]["outcome"] == "passed", results["createSpeech"]
    assert results["createSpeech"]["cases"] >= 3  # the drawn ones, and those at input's boundaries
    assert [v["check"] for v in results["getVoice"]["violations"]] == ["schema.body"]
    assert code == 1


SPEC_DISCRIMINATOR = """
openapi: 3.1.0
info: {title: Items, version: "1"}
servers: [{url: /v1}]
paths:
  /items:
    get:
      operationId: listItems
      responses:
        "200":
          description: the items
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "#/components/schemas/Item"}
components:
  schemas:
    Item:
      oneOf:
        - {$ref: "#/components/schemas/MessageItem"}
        - {$ref: "#/components/schemas/CallItem"}
      discriminator: {propertyName: type}
    MessageItem:
      type: object
      required: [type, text]
      properties:
        type: {type: string, enum: [message]}
        text: {type: string}
    CallItem:
      type: object
      required: [type, name]
      properties:
        type: {type: string, const: call}
        name: {type: string}
"""


def _judge_items(serve_app: ServeApp, tmp_path: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    async def listing(request: Request) -> Response:
        return JSONResponse(items)

    _, report = _judge(
        serve_app, tmp_path, SPEC_DISCRIMINATOR, Starlette(routes=[Route("/v1/items", listing)]), 1
    )
    operation: dict[str, Any] = report["operations"][0]
    assert any("discriminator" in note for note in report["spec"]["overlay_notes"])
    return operation


def test_a_discriminator_whose_values_name_no_schema_is_read_as_its_alternatives_say(
    serve_app: ServeApp, tmp_path: Path
) -> None:
    """`type: message` names no schema: without the derived mapping every item would be refused."""
    valid = [{"type": "message", "text": "hi"}, {"type": "call", "name": "f"}]
    assert _judge_items(serve_app, tmp_path, valid)["outcome"] == "passed"


def test_a_derived_discriminator_mapping_still_catches_a_wrong_item(
    serve_app: ServeApp, tmp_path: Path
) -> None:
    wrong = [{"type": "message", "name": "a message without its text"}]
    operation = _judge_items(serve_app, tmp_path, wrong)
    assert operation["outcome"] == "failed"
    assert [v["check"] for v in operation["violations"]] == ["schema.body"]


SPEC_EVENTS = """
openapi: 3.1.0
info: {title: Events, version: "1"}
servers: [{url: /v1}]
paths:
  /events:
    get:
      operationId: listenEvents
      responses:
        "200":
          description: a stream of events, each one an Event
          content:
            text/event-stream:
              schema: {$ref: "#/components/schemas/Event"}
components:
  schemas:
    Event:
      type: object
      required: [n]
      properties:
        n: {type: integer}
"""


def test_an_event_stream_is_not_judged_as_one_event(serve_app: ServeApp, tmp_path: Path) -> None:
    """The newer specs give `text/event-stream` the schema of one event: the stream's bytes as a whole
    are not that value (its events are judged one by one where the suite knows their schema)."""

    async def events(request: Request) -> Response:
        return Response(b'data: {"n": 1}\n\ndata: {"n": 2}\n\n', media_type="text/event-stream")

    code, report = _judge(
        serve_app, tmp_path, SPEC_EVENTS, Starlette(routes=[Route("/v1/events", events)]), 1
    )
    assert report["operations"][0]["outcome"] == "passed", report["operations"][0]
    assert code == 0
