"""Resource-aware requests: the resources the spec describes, ids fed into later requests, "not reached"."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from openai_conformance.cli import main
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import Operation, iter_operations
from openai_conformance.openapi.resources import ResourceGraph
from openai_conformance.results.collector import decide_outcome
from openai_conformance.results.models import OperationResult, Outcome
from tests.conftest import ServeApp, assert_report_follows_schema
from tests.fakes.resource_server import create_app

CONTRACT = load_contract(pin="6b8287f", findings=False)
OPERATIONS = list(iter_operations(CONTRACT.document))
GRAPH = ResourceGraph.from_document(CONTRACT.document, OPERATIONS)
KEY = "sk-store-secret-0123456789"


def _op(label: str) -> Operation:
    return next(op for op in OPERATIONS if op.label == label)


# -- the resources of the spec ------------------------------------------------------------------------
def test_the_spec_says_what_makes_lists_and_names_each_resource() -> None:
    files, messages, steps = (
        GRAPH.kinds[k] for k in ("/files", "/threads/{}/messages", "/threads/{}/runs/{}/steps")
    )
    assert (files.object, files.create, files.lister) == ("file", _op("POST /files"), _op("GET /files"))
    assert messages.parents == ("/threads",) and messages.create == _op("POST /threads/{thread_id}/messages")
    assert steps.create is None and steps.lister == _op("GET /threads/{thread_id}/runs/{run_id}/steps")
    parts = GRAPH.kinds["/uploads/{}/parts"]  # a POST-only collection answering a new kind of object
    assert parts.object == "upload.part" and parts.parents == ("/uploads",)
    assert "/uploads/{}/complete" not in GRAPH.kinds  # it answers the upload itself: an action
    slots = GRAPH.slots(_op("GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}"))
    assert [(s.param, s.kind) for s in slots] == [
        ("thread_id", "/threads"),
        ("run_id", "/threads/{}/runs"),
        ("step_id", "/threads/{}/runs/{}/steps"),
    ]
    assert GRAPH.slots(_op("GET /models/{model}")) == ()  # the target's own models stand in for these


def test_fields_name_resources_by_their_object_and_parameter_names() -> None:
    assert GRAPH.field_kind("file_id") == "/files"  # not a vector store's file: fewest parents wins
    assert GRAPH.field_kind("file_ids") == "/files"
    assert GRAPH.field_kind("input_file_id") == "/files"
    assert GRAPH.field_kind("training_file") == "/files"
    assert GRAPH.field_kind("assistant_id") == "/assistants"
    assert GRAPH.field_kind("vector_store_ids") == "/vector_stores"
    assert GRAPH.field_kind("part_ids") == "/uploads/{}/parts"
    assert GRAPH.field_kind("batch_id") == "/batches"  # not a vector store's file batch
    assert GRAPH.field_kind("user_id") == "/organization/users"
    assert GRAPH.field_kind("purpose") is None and GRAPH.field_kind("file") is None


def test_consumers_run_last_deepest_first_and_creates_before_their_dependents() -> None:
    consumers = {op.label for op in OPERATIONS if GRAPH.consumes(op)}
    assert {
        "DELETE /files/{file_id}",
        "POST /batches/{batch_id}/cancel",
        "POST /uploads/{upload_id}/complete",
    } <= consumers
    assert not consumers & {
        "POST /uploads/{upload_id}/parts",
        "POST /threads/{thread_id}",
        "GET /files/{file_id}",
    }
    order = [op.label for op in GRAPH.run_order(OPERATIONS)]
    assert (
        order.index("POST /files")
        < order.index("GET /files/{file_id}")
        < order.index("DELETE /files/{file_id}")
    )
    assert order.index("POST /threads/{thread_id}/runs") < order.index("GET /threads/{thread_id}/runs")
    assert order.index("DELETE /threads/{thread_id}/messages/{message_id}") < order.index(
        "DELETE /threads/{thread_id}"
    )
    assert all(GRAPH.consumes(_op(label)) for label in order[-len(consumers) :])
    assert sorted(order) == sorted(op.label for op in OPERATIONS)


def test_a_create_answer_gives_its_id_where_the_api_puts_it() -> None:
    files = GRAPH.kinds["/files"]
    assert files.made_id({"id": "file-1", "object": "file"}) == "file-1"
    assert files.made_id({"object": "file"}) is None
    assert files.made_id("file-1") is None
    files.id_param = "role_id"  # the shapes of newer specs: a role assignment, a list of items
    try:
        assert files.made_id({"object": "group.role", "role": {"id": "role_1"}}) == "role_1"
        assert files.made_id({"object": "list", "data": [{"id": "item_1"}]}) == "item_1"
    finally:
        files.id_param = "file_id"


# -- outcomes: "passed" only on a judged success --------------------------------------------------------
def _result(statuses: dict[int, int], judged: int) -> OperationResult:
    result = OperationResult("getThing", "get", "/things/{id}")
    result.statuses = Counter(statuses)
    result.cases = sum(statuses.values())
    result.judged_2xx = judged
    return result


def test_an_operation_answered_only_4xx_is_not_reached_with_its_reason() -> None:
    result = decide_outcome(
        _result({404: 5}, 0), expect_success=True, unreached="every request named an unknown id"
    )
    assert result.outcome is Outcome.NOT_REACHED and not result.reached
    assert result.note == "no success answer: every request named an unknown id (404: 5)"
    generic = decide_outcome(_result({400: 2, 404: 1}, 0), expect_success=True)
    assert generic.note == "no success answer: every answer was an error (400: 2, 404: 1)"
    assert decide_outcome(_result({200: 1, 404: 4}, 1), expect_success=True).outcome is Outcome.PASSED
    # A 2xx that could not be judged is no success reached.
    assert decide_outcome(_result({200: 1}, 0), expect_success=True).outcome is Outcome.NOT_REACHED
    # Requests broken on purpose (--negative) are meant to be refused.
    assert decide_outcome(_result({400: 5}, 0), expect_success=False).outcome is Outcome.PASSED


# -- a server that implements files and batches only -----------------------------------------------------
def _run(serve_app: ServeApp, tmp_path: Path, breakage: str | None = None) -> tuple[int, dict[str, Any]]:
    with serve_app(create_app(breakage)) as url:
        code = main(
            [
                "run",
                "--base-url",
                url,
                "--api-key",
                KEY,
                "--include",
                "Files,Batch,Uploads",
                "--max-examples",
                "5",
                "--report-dir",
                str(tmp_path),
                "--quiet",
            ]
        )
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    assert_report_follows_schema(report)
    return code, report


def _by_label(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{op['method']} {op['path']}": op for op in report["operations"]}


def test_a_subset_server_reaches_what_it_implements_and_nothing_passes_unjudged(
    serve_app: ServeApp, tmp_path: Path
) -> None:
    code, report = _run(serve_app, tmp_path)
    ops = _by_label(report)
    implemented = [label for label in ops if "/uploads" not in label]
    assert len(implemented) == 9
    assert {label: ops[label]["outcome"] for label in implemented} == dict.fromkeys(implemented, "passed")
    assert all(ops[label]["reached"] for label in implemented)
    # A batch is made only from an uploaded file's id, and is then retrieved and cancelled.
    assert ops["POST /batches"]["statuses"].get("200", 0) >= 3
    assert ops["POST /batches/{batch_id}/cancel"]["statuses"].get("200", 0) >= 1
    # Random ids stay too: the answer for an unknown id is judged.
    assert ops["GET /files/{file_id}"]["statuses"].get("404", 0) >= 1
    uploads = [op for label, op in ops.items() if "/uploads" in label]
    assert {op["outcome"] for op in uploads} == {"unsupported"} and not any(op["reached"] for op in uploads)
    assert all(op["reached"] for op in report["operations"] if op["outcome"] == "passed")
    assert report["summary"]["judged_2xx"] == 9 and report["summary"]["not_reached"] == 0
    assert code == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "**Coverage:** 9/13 operations judged on a 2xx answer" in summary
    junit = (tmp_path / "junit.xml").read_text()
    assert 'name="coverage" value="9/13 operations judged on a 2xx answer"' in junit
    assert '<property name="reached" value="false" />' in junit


@pytest.mark.parametrize(
    ("breakage", "reason", "create_check"),
    [
        ("create-no-id", "its create (POST /files) answered without an id", "schema.body"),
        ("create-500", "its create (POST /files) answered 500", "errors.server_error"),
    ],
)
def test_a_broken_create_is_reported_against_it_and_its_dependents_say_why(
    serve_app: ServeApp, tmp_path: Path, breakage: str, reason: str, create_check: str
) -> None:
    code, report = _run(serve_app, tmp_path, breakage)
    ops = _by_label(report)
    assert create_check in {v["check"] for v in ops["POST /files"]["violations"]}
    for label in ("GET /files/{file_id}", "GET /files/{file_id}/content", "GET /batches/{batch_id}"):
        assert ops[label]["outcome"] == "not_reached", label
        assert reason in ops[label]["note"], (label, ops[label]["note"])
        assert not ops[label]["reached"]
    # The batch workflow (of POST /batches) uploads its input file itself: that upload's answer and
    # its finding are POST /files's; no batch was ever created, so POST /batches is not reached.
    batches = ops["POST /batches"]
    assert batches["outcome"] == "not_reached" and not batches["reached"], batches
    assert not [status for status in batches["statuses"] if status.startswith("2")], batches["statuses"]
    assert reason in batches["note"], batches["note"]
    assert not batches["violations"]
    assert any("state.batches stopped: POST /files answered" in error for error in batches["errors"])
    assert code == 1  # the create's violation; "not reached" alone changes nothing
    assert report["summary"]["not_reached"] >= 4
    html = (tmp_path / "report.html").read_text()
    assert "not reached" in html


def test_not_reached_alone_leaves_the_exit_status_alone(serve_app: ServeApp, tmp_path: Path) -> None:
    with serve_app(create_app("create-500")) as url:
        args = ["--base-url", url, "--api-key", KEY, "--include", "retrieveBatch", "--max-examples", "3"]
        code = main(["run", *args, "--report-dir", str(tmp_path), "--quiet"])
    report = json.loads((tmp_path / "report.json").read_text())
    (op,) = report["operations"]
    assert op["outcome"] == "not_reached" and "its create (POST /files) answered 500" in op["note"]
    assert code == 0
