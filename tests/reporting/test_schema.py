"""report.json is a contract: its published JSON Schema is valid, current, and what the writer writes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from jsonschema import Draft202012Validator

from openai_conformance.cli import main
from openai_conformance.reporting.files import to_json
from openai_conformance.results.models import REPORT_FORMAT
from openai_conformance.results.schema import report_schema, schema_errors
from tests.conftest import assert_report_follows_schema
from tests.reporting.factories import NO_DONE, WRONG_N, operation, run

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_is_a_valid_json_schema() -> None:
    for strict in (False, True):
        Draft202012Validator.check_schema(report_schema(strict=strict))
    assert REPORT_FORMAT in report_schema()["title"]


def test_report_schema_prints_it() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["report", "schema"]) == 0
    assert json.loads(out.getvalue()) == report_schema()


def test_the_published_copy_is_current() -> None:
    published = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    assert published == report_schema(), (
        "docs/report.schema.json is stale: openai-conformance report schema > it"
    )


def test_a_written_report_follows_the_strict_schema() -> None:
    document = json.loads(
        to_json(run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N)))
    )
    assert_report_follows_schema(document)
    assert document["format"] == REPORT_FORMAT


def test_the_schema_catches_what_breaks_the_contract() -> None:
    document = json.loads(to_json(run(operation("createChatCompletion", "/chat/completions", NO_DONE))))
    document["operations"][0]["outcome"] = "fine"
    del document["summary"]["cases"]
    errors = schema_errors(document)
    assert any("operations/0/outcome" in e for e in errors) and any("cases" in e for e in errors)
    document = json.loads(to_json(run()))
    document["surprise"] = 1
    assert not schema_errors(document), "a reader of 1.x meets members a later 1.y adds"
    assert schema_errors(document, strict=True)


def test_older_reports_are_not_of_the_current_format_but_still_load() -> None:
    from openai_conformance.results.merge import load_report

    for name in ("report-1.0.json", "report-1.1.json", "report-1.2.json"):
        older = json.loads((DATA / name).read_text())
        assert schema_errors(older, strict=True), f"{name} lacks what later formats added"
        again = load_report(DATA / name).to_dict()
        assert again["format"] == REPORT_FORMAT
        assert_report_follows_schema(again)
