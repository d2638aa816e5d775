"""A workflow's steps count under the operations they called: their statuses, findings and `reached`."""

from __future__ import annotations

from collections.abc import Sequence

from openai_conformance.config import RunConfig
from openai_conformance.events import CaseJudged, Event, OperationFinished, RunFinished, RunStarted
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import Operation, iter_operations
from openai_conformance.results.collector import OperationRecorder, RunCollector
from openai_conformance.results.info import SpecInfo, Target
from openai_conformance.results.models import Outcome, RunResult
from openai_conformance.runner.operation import build_operation_runner
from openai_conformance.scenarios.state import check_gone
from openai_conformance.transport.exchange import Request
from openai_conformance.validation.violations import Violation

CONTRACT = load_contract(pin="6b8287f", findings=False)
OPERATIONS = list(iter_operations(CONTRACT.document))
UNKNOWN = "every request named an unknown id"


def _op(operation_id: str) -> Operation:
    return next(op for op in OPERATIONS if op.operation_id == operation_id)


CREATE_BATCH, RETRIEVE_FILE, DELETE_FILE = _op("createBatch"), _op("retrieveFile"), _op("deleteFile")


def _operation(operation: Operation, statuses: list[int], steps: Sequence[CaseJudged] = ()) -> list[Event]:
    """An operation's own answers (judged, without findings), its scenario's ``steps``, its result."""
    recorder = OperationRecorder(operation)
    own = [CaseJudged(operation, "generated", status) for status in statuses]
    for event in own:
        recorder.record(event)
    result = recorder.finish(expect_success=True, unreached=UNKNOWN if 200 not in statuses else None)
    return [*own, *steps, OperationFinished(operation, result, recorder.decision)]


def _collect(*operations: list[Event]) -> RunResult:
    collector = RunCollector()
    started = RunStarted(
        Target("http://t"), SpecInfo(title="t"), {}, tuple(OPERATIONS), "2026-12-01T00:00:00+00:00"
    )
    for event in [started, *(e for events in operations for e in events), RunFinished(1.0, "")]:
        collector.handle(event)
    return collector.result


def _step(operation: Operation, status: int, *violations: Violation) -> CaseJudged:
    return CaseJudged(operation, "state.batches", status, violations, sent_by=CREATE_BATCH)


def test_a_step_of_an_operation_that_finished_earlier_reaches_it_and_not_the_workflows_operation() -> None:
    before = _operation(RETRIEVE_FILE, [404, 404])
    finished = before[-1]
    assert isinstance(finished, OperationFinished) and finished.result.outcome is Outcome.NOT_REACHED
    run = _collect(before, _operation(CREATE_BATCH, [400, 400], [_step(RETRIEVE_FILE, 200)]))
    results = {op.operation_id: op for op in run.operations}
    retrieve, batches = results["retrieveFile"], results["createBatch"]
    assert retrieve.outcome is Outcome.PASSED and retrieve.reached
    assert dict(retrieve.statuses) == {404: 2, 200: 1} and retrieve.cases == 3
    assert "no success answer" not in retrieve.note  # decided again, from its note before
    # The workflow's operation keeps only its own answers: never reached by a step's 200.
    assert batches.outcome is Outcome.NOT_REACHED and not batches.reached
    assert dict(batches.statuses) == {400: 2} and batches.cases == 2
    assert batches.note == f"no success answer: {UNKNOWN} (400: 2)"


def test_a_steps_finding_is_filed_under_an_operation_that_runs_later() -> None:
    gone = check_gone.violation("DELETE /files/x (a deleted file) answers 200 after the delete succeeded")
    workflow = _operation(CREATE_BATCH, [200], [_step(DELETE_FILE, 200, gone)])
    run = _collect(workflow, _operation(DELETE_FILE, [200]))
    results = {op.operation_id: op for op in run.operations}
    assert results["createBatch"].outcome is Outcome.PASSED and not results["createBatch"].findings
    delete = results["deleteFile"]
    assert delete.outcome is Outcome.FAILED
    assert [f.check for f in delete.findings.values()] == ["state.delete"]
    assert dict(delete.statuses) == {200: 2}


def test_a_step_of_an_operation_that_never_finished_stays_with_the_workflows_operation() -> None:
    gone = check_gone.violation("GET /files/x (a deleted file) answers 200 after the delete succeeded")
    run = _collect(_operation(CREATE_BATCH, [200], [_step(RETRIEVE_FILE, 200, gone)]))
    (batches,) = run.operations
    assert batches.operation_id == "createBatch" and batches.outcome is Outcome.FAILED
    assert dict(batches.statuses) == {200: 2}


def test_a_request_names_its_operation_by_method_and_path_template() -> None:
    runner = build_operation_runner(CONTRACT, _config(), "http://127.0.0.1:9")
    try:
        request = Request("GET", "http://127.0.0.1:9/v1/files/file-1", "/files/{file_id}", "/files/file-1")
        assert runner.step_of(CREATE_BATCH, request) == RETRIEVE_FILE
        assert runner.step_of(RETRIEVE_FILE, request) is None  # its own request
        unknown = Request("GET", "http://127.0.0.1:9/v1/nowhere", "/nowhere", "/nowhere")
        assert runner.step_of(CREATE_BATCH, unknown) is None  # kept by the workflow's operation
    finally:
        runner.transport.close()


def test_a_step_of_an_operation_the_run_leaves_out_stays_with_the_workflows_operation() -> None:
    runner = build_operation_runner(CONTRACT, _config(include=("createBatch",)), "http://127.0.0.1:9")
    try:
        request = Request("GET", "http://127.0.0.1:9/v1/files/file-1", "/files/{file_id}", "/files/file-1")
        assert runner.step_of(CREATE_BATCH, request) is None
    finally:
        runner.transport.close()


def _config(include: tuple[str, ...] = ()) -> RunConfig:
    return RunConfig(include=include)
