"""Hand-built runs for the report tests: operations with findings, without a target."""

from __future__ import annotations

from openai_conformance.results.info import Settings, SpecInfo, Target
from openai_conformance.results.models import OperationResult, Outcome, RunResult
from openai_conformance.validation.violations import Violation


def operation(
    operation_id: str,
    path: str,
    *violations: Violation,
    method: str = "post",
    outcome: Outcome | None = None,
    statuses: dict[int, int] | None = None,
) -> OperationResult:
    op = OperationResult(operation_id, method, path, ("Tag",))
    op.statuses.update(statuses or {200: 2})
    op.cases = sum(op.statuses.values())
    for violation in violations:
        op.add(violation, status=200, curl=f"curl -X {method.upper()} http://t/v1{path}", request_size=10)
    if outcome is not None:
        op.outcome = outcome
    else:
        op.conclude()
    return op


def run(*operations: OperationResult, sha256: str = "ab" * 32, faults: tuple[str, ...] = ()) -> RunResult:
    return RunResult(
        target=Target(base_url="http://127.0.0.1:1", embedded=bool(faults), faults=faults),
        spec=SpecInfo(title="OpenAI API 2.3.0", openapi="3.0.0", sha256=sha256, pin="6b8287f"),
        settings=Settings(options={"seed": 0, "max_examples": 3, "mode": "positive", "profile": "strict"}),
        operations=list(operations),
        started_at="2026-12-01T10:00:00+00:00",
        finished_at="2026-12-01T10:00:05+00:00",
        duration=5.0,
    )


NO_DONE = Violation("stream.done", "the stream ended without `data: [DONE]`")
WRONG_N = Violation("semantics.choices_count", "1 choices for 2 asked", "/choices")
BAD_OBJECT = Violation(
    "schema.body", "'chat.completions' is not one of ['chat.completion']", "/object", keyword="enum"
)
SLOW_WARNING = Violation("semantics.created", "created is far off", "/created", severity="warning")
