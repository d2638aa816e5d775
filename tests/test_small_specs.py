"""Any OpenAPI 3 spec, not only OpenAI's: checks that OpenAI's spec never exercises, such as headers."""

from __future__ import annotations

import json
from pathlib import Path

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
