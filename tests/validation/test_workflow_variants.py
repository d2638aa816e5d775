"""The state rules on what real servers do legitimately (silent) and on what breaks them (precise), and
the workflows on a target that answers a create badly: reported there, stopped with a reason, bounded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from openai_conformance.config import RunConfig
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.runner import Runner
from openai_conformance.scenarios import get_scenario
from openai_conformance.scenarios.base import ScenarioContext, Stopped, Unimplemented, fit_models
from openai_conformance.scenarios.state import (
    check_batch_output,
    check_counts,
    check_page,
    check_same,
    check_transition,
)
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.parsed_stream import ParsedStream
from openai_conformance.validation.violations import Violation

ERROR = {"error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}}


class SilentJudge:
    """Judges nothing: these tests look at the state rules alone."""

    def judge(
        self, exchange: Exchange, operation_id: str, *, valid_request: bool = True
    ) -> Iterator[Violation]:
        return iter(())

    def judge_stream(self, stream: ParsedStream, operation_id: str) -> Iterator[Violation]:
        return iter(())


@dataclass
class FilesServer:
    """An OpenAI-like files API with the variants real servers show, and some defects."""

    lag: int = 0  # lists that miss a new file this many times
    vendor: bool = False  # extra fields everywhere, content as octet-stream
    gone_status: int = 404
    create: Callable[[dict[str, Any]], httpx.Response] | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        path = request.url.path.removeprefix("/v1")
        self.requests.append(f"{request.method} {path}")
        if request.method == "POST" and path == "/files":
            content = request.content.split(b"\r\n\r\n", 2)[-1].rsplit(b"\r\n--", 1)[0]
            file_id = f"file-{len(self.files) + 1}"
            obj: dict[str, Any] = {"id": file_id, "object": "file", "bytes": len(content), "created_at": 1,
                                   "filename": "openai-conformance.jsonl", "purpose": "batch", "status": None}  # fmt: skip
            if self.vendor:
                obj["x_vendor"] = {"region": "eu"}
            if self.create is not None:
                return self.create(obj)
            self.files[file_id], self.data[file_id] = obj, content
            return httpx.Response(200, json=obj)
        if path == "/models":  # what the run's probes ask first
            return httpx.Response(
                200, json={"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}
            )
        if not path.startswith("/files"):
            return httpx.Response(404, text="no such route")
        if path == "/files":
            items = list(self.files.values())
            if self.lag > 0:
                self.lag, items = self.lag - 1, []
            return httpx.Response(200, json={"object": "list", "data": items, "has_more": False})
        file_id = path.split("/")[2]
        if file_id not in self.files:
            return httpx.Response(self.gone_status, json=ERROR)
        if request.method == "DELETE":
            del self.files[file_id]
            return httpx.Response(200, json={"id": file_id, "object": "file", "deleted": True})
        if path.endswith("/content"):
            if self.vendor:
                return httpx.Response(
                    200, content=self.data[file_id], headers={"content-type": "application/octet-stream"}
                )
            return httpx.Response(200, json=self.data[file_id].decode())
        # A status filled in later, from null: presence and type are what count.
        return httpx.Response(200, json=self.files[file_id] | {"status": "processed"})


def _context(handler: Callable[[httpx.Request], httpx.Response], *, max_wait: float = 0.5) -> ScenarioContext:
    transport = HttpTransport(
        RunConfig(), "http://target.test/v1", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    return ScenarioContext(transport, SilentJudge(), fit_models(["gpt-4o-mini"]), max_wait=max_wait)


def _run(
    scenario_id: str, handler: Callable[[httpx.Request], httpx.Response], **options: Any
) -> list[Violation]:
    return list(violation for violation, _ in get_scenario(scenario_id).run(_context(handler, **options)))


def test_a_list_that_lags_then_shows_the_file_and_vendor_variants_are_silent() -> None:
    server = FilesServer(lag=2, vendor=True)
    assert _run("state.files", server) == []
    assert (
        server.requests.count("GET /files") == 4
    )  # two re-reads until the new file showed, one after the delete


def test_a_list_that_never_shows_the_file_is_a_warning_after_max_wait() -> None:
    server = FilesServer(lag=100)
    started = time.monotonic()
    found = _run("state.files", server, max_wait=0.3)
    assert time.monotonic() - started < 3
    assert [(v.check, v.severity) for v in found] == [("state.list", "warning")]
    assert server.requests.count("GET /files") <= 8 + 1


@pytest.mark.parametrize(("status", "severity"), [(410, "warning"), (500, "error"), (404, None)])
def test_a_deleted_file_must_be_404(status: int, severity: str | None) -> None:
    found = _run("state.files", FilesServer(gone_status=status))
    assert [(v.check, v.severity) for v in found] == ([("state.delete", severity)] * 3 if severity else [])


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (lambda obj: httpx.Response(500, json=ERROR), "POST /files answered 500"),
        (
            lambda obj: httpx.Response(200, json={k: v for k, v in obj.items() if k != "id"}),
            "POST /files answered no id",
        ),
        (lambda obj: httpx.Response(200, content=b"<html>"), "POST /files answered no JSON object"),
    ],
)
def test_a_create_answered_badly_stops_the_workflow_saying_why(
    answer: Callable[[dict[str, Any]], httpx.Response], said: str
) -> None:
    server = FilesServer(create=answer)
    with pytest.raises(Stopped) as stopped:
        _run("state.files", server)
    assert stopped.value.reason == f"{said}, so its retrieve, list, content and delete could not be tested"
    assert server.requests == ["POST /files"]


def test_the_run_reports_a_bad_create_against_the_create_and_says_where_the_workflow_stopped() -> None:
    contract = load_contract(pin="6b8287f", findings=False)
    operation = next(op for op in iter_operations(contract.document) if op.operation_id == "createFile")
    config = RunConfig(base_url="http://target.test", models=("gpt-4o-mini",), max_examples=1, seed=3)
    client = httpx.Client(
        transport=httpx.MockTransport(FilesServer(create=lambda obj: httpx.Response(500, json=ERROR)))
    )
    with Runner(contract, config, "http://target.test", client=client) as runner:
        result = runner.collect([operation]).operations[0]
    assert "errors.server_error" in {finding.check for finding in result.findings.values()}
    assert (
        "state.files stopped: POST /files answered 500, so its retrieve, list, content and delete could not be tested"
        in result.errors
    )
    assert result.outcome.value == "failed"


def _batches(
    *, finishes: bool = True, refuses_finished_cancel: bool = True
) -> Callable[[httpx.Request], httpx.Response]:
    batches: dict[str, dict[str, Any]] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        path = request.url.path.removeprefix("/v1")
        if path == "/files" and request.method == "POST":
            size = len(request.content.split(b"\r\n\r\n", 2)[-1].rsplit(b"\r\n--", 1)[0])
            file = {"id": "file-in", "object": "file", "bytes": size, "created_at": 1, "filename": "b.jsonl"}
            return httpx.Response(200, json=file | {"purpose": "batch"})
        if path == "/files/file-out/content":
            lines = (json.dumps({"custom_id": f"openai-conformance-{n}", "response": {}}) for n in (1, 2))
            return httpx.Response(
                200, content="\n".join(lines).encode(), headers={"content-type": "application/jsonl"}
            )
        if path.startswith("/files/"):
            return httpx.Response(200, json={"id": "file-in", "deleted": True})
        if path == "/batches" and request.method == "POST":
            batch = json.loads(request.content) | {
                "id": f"batch_{len(batches)}",
                "object": "batch",
                "status": "validating",
                "created_at": 1,
            }
            batches[batch["id"]] = batch
            return httpx.Response(200, json=batch)
        if path.startswith("/batches") and request.method == "GET" and path.count("/") == 1:
            items = list(batches.values())
            ids = [item["id"] for item in items]
            after = request.url.params.get("after")
            items = items[ids.index(after) + 1 :] if after in ids else items
            limit = int(request.url.params.get("limit", 20))
            page = {"object": "list", "data": items[:limit], "has_more": len(items) > limit}
            return httpx.Response(200, json=page)
        batch = batches[path.split("/")[2]]
        if path.endswith("/cancel"):
            if batch["status"] == "completed" and refuses_finished_cancel:
                return httpx.Response(400, json=ERROR)
            if batch["status"] != "completed":
                batch["status"] = "cancelling"
            return httpx.Response(200, json=batch)
        moves = {"validating": "in_progress", "cancelling": "cancelled"}
        if finishes:
            moves["in_progress"] = "completed"
        batch["status"] = moves.get(batch["status"], batch["status"])
        if batch["status"] == "completed":  # an output file of the right lines, counted as they were
            batch["request_counts"] = {"total": 2, "completed": 2, "failed": 0}
            batch["output_file_id"] = "file-out"
        return httpx.Response(200, json=batch)

    return handle


def test_a_batch_that_never_finishes_is_polled_within_max_wait_and_the_workflow_says_so() -> None:
    context = _context(_batches(finishes=False), max_wait=0.3)
    started = time.monotonic()
    with pytest.raises(Stopped) as stopped:
        list(get_scenario("state.batches").run(context))
    assert time.monotonic() - started < 3
    assert stopped.value.reason.startswith("the batch was still 'in_progress' after --max-wait 0.3 s")


def test_a_finished_batch_whose_cancel_is_answered_200_unchanged_is_a_warning() -> None:
    assert _run("state.batches", _batches()) == []
    found = _run("state.batches", _batches(refuses_finished_cancel=False))
    assert [(v.check, v.severity) for v in found] == [("state.lifecycle", "warning")]


def _models(listed: list[str], retrievable: set[str]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if path == "/models":
            data = [{"id": m, "object": "model", "created": 1, "owned_by": "me"} for m in listed]
            return httpx.Response(200, json={"object": "list", "data": data})
        model = request.url.raw_path.decode().split("/models/", 1)[1]
        if unquote(model) in retrievable:
            return httpx.Response(
                200,
                json={"id": unquote(model), "object": "model", "created": 1, "owned_by": "me", "x_extra": 1},
            )
        return httpx.Response(404, json=ERROR)

    return handle


def test_a_step_the_target_lacks_ends_the_workflow_unjudged() -> None:
    """A retrieve answered like a route that does not exist: retrieveModel is unsupported, not wrong."""
    context = replace(_context(_models(["model-b"], set())), no_route=lambda exchange: exchange.status == 404)
    with pytest.raises(Unimplemented):
        list(get_scenario("state.models").run(context))


def test_listed_models_must_be_retrievable_but_a_slash_in_an_id_is_a_warning() -> None:
    found = _run("state.models", _models(["org/model-a", "model-b", "model-c"], {"model-b"}))
    assert [(v.check, v.severity) for v in found] == [
        ("state.retrieve", "warning"),
        ("state.retrieve", "error"),
    ]
    assert _run("state.models", _models(["model-b"], {"model-b"})) == []
    with pytest.raises(Stopped, match="retrieving models looks unsupported"):
        _run("state.models", _models(["model-b"], set()))


# --- the rules themselves ----------------------------------------------------------------------------


def test_check_same_holds_declared_fields_and_types_but_not_lifecycle_fields() -> None:
    first = {"id": "a", "filename": "f", "bytes": 3, "status": "uploaded", "expires_at": None, "x": [1]}
    assert list(check_same(first, first | {"status": "processed", "expires_at": 9, "vendor": 1, "bytes": 3.0}, "w",
                           declared=("filename", "bytes"))) == []  # fmt: skip
    found = list(
        check_same(first, {"id": "a", "filename": "g", "bytes": 3, "x": "1"}, "w", declared=("filename",))
    )
    assert [(v.check, v.severity, v.pointer) for v in found] == [
        ("state.retrieve", "error", "/filename"),
        ("state.retrieve", "warning", "/x"),
    ]
    assert [v.pointer for v in check_same(first, {"id": "b"}, "w")] == ["/id"]


def test_check_page() -> None:
    seen: set[str] = set()
    page = {"data": [{"id": "a"}], "first_id": "a", "last_id": "a", "has_more": True}
    assert list(check_page(page, "p1", limit=1, seen=seen, more_known=True)) == []
    bad = {"data": [{"id": "a"}, {"id": "b"}], "first_id": "b", "has_more": False}
    messages = [v.message for v in check_page(bad, "p2", limit=1, seen=seen, more_known=True)]
    assert (
        len(messages) == 4
        and "limit=1" in messages[0]
        and "again" in messages[2]
        and "has_more" in messages[3]
    )
    # A spec without first_id/last_id (6b8287f files), and an empty last page, are fine.
    assert list(check_page({"data": [], "has_more": False}, "p3", limit=1, seen=seen, more_known=False)) == []


@pytest.mark.parametrize(
    ("kind", "before", "after", "fires"),
    [
        ("batch", "validating", "completed", False),  # skipped ahead between two polls
        ("batch", "in_progress", "validating", True),
        ("batch", "completed", "cancelling", True),
        ("batch", "cancelling", "cancelled", False),
        ("batch", "in_progress", "some_vendor_status", False),  # the schema check's to judge
        ("thread.run", "requires_action", "in_progress", False),
        ("upload", "cancelled", "completed", True),
        ("fine_tuning.job", "running", "queued", True),
    ],
)
def test_check_transition(kind: str, before: str, after: str, fires: bool) -> None:
    assert bool(list(check_transition(kind, "it", before, after))) is fires


def test_check_counts_and_batch_output() -> None:
    def counts(status: str, total: int, done: int, failed: int) -> int:
        batch = {"status": status, "request_counts": {"total": total, "completed": done, "failed": failed}}
        return len(list(check_counts(batch, "b", 2)))

    assert (counts("in_progress", 2, 1, 0), counts("completed", 2, 1, 1), counts("validating", 0, 0, 0)) == (
        0,
        0,
        0,
    )
    assert (counts("in_progress", 2, 2, 1), counts("completed", 2, 1, 0), counts("completed", 3, 3, 0)) == (
        1,
        1,
        1,
    )
    lines = [b'{"custom_id": "1", "response": {}}\r\n{"custom_id": "2"}\n', b'{"custom_id": "3"}\n']
    assert list(check_batch_output(lines, ["1", "2", "3"], "o")) == []
    found = [
        v.message
        for v in check_batch_output([b'{"custom_id": "1"}\n{"custom_id": "1"}\nnot json\n'], ["1", "2"], "o")
    ]
    assert len(found) == 3 and "not JSON" in found[0] and "2 times" in found[1] and "0 times" in found[2]
