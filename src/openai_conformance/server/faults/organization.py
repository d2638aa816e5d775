"""Faults of the organization objects the state checks catch through the projects workflow."""

from __future__ import annotations

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Fault, edit_body

__all__ = ["ORGANIZATION_FAULTS"]

_still_active = edit_body(lambda body: body.update(status="active") if isinstance(body, dict) else None)


def _archive_answers_active(call: Call, answer: Answer) -> Answer:
    """The archive's answer says the project is still active (the other operations are untouched)."""
    return _still_active(call, answer) if call.operation_id == "archive-project" else answer


ORGANIZATION_FAULTS: tuple[Fault, ...] = (
    Fault(
        "archive-answers-active",
        "state.lifecycle",
        "POST /organization/projects/{project_id}/archive answers the project still `active`.",
        operations=("archive-project", "create-project"),
        answer=_archive_answers_active,
    ),
)
