"""Faults of the organization objects the state checks catch through the projects workflow."""

from __future__ import annotations

from openai_conformance.server.answers import Answer
from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import Faults
from openai_conformance.server.hooks import ANSWER

__all__ = ["ORGANIZATION_FAULTS"]

ORGANIZATION_FAULTS = Faults()
fault = ORGANIZATION_FAULTS.declare


@fault("archive-answers-active", "state.lifecycle", "archive-project", "create-project", at=ANSWER)
def _archive_answers_active(call: Call, answer: Answer) -> Answer:
    """POST /organization/projects/{project_id}/archive answers the project still `active`."""
    if call.operation_id == "archive-project" and answer.raw is None and isinstance(answer.body, dict):
        answer.body.update(status="active")
    return answer
