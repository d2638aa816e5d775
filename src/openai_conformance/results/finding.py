"""What a run found on one operation: a distinct defect (:class:`Finding`) with its smallest
reproduction, and the requests that could not be tested (:class:`UntestedRequest`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openai_conformance.results.evidence import Excerpt, UpstreamEvidence
from openai_conformance.results.identity import BaselineMark, signature_of
from openai_conformance.results.record import Record, from_record, record_of
from openai_conformance.validation.violations import Severity, Violation, violation_key

__all__ = ["VALID", "Finding", "FindingKey", "UntestedRequest", "field_of"]

#: The kind of request of a finding whose request obeyed the schema and the API's rules.
VALID = "valid"

_REQUIRED = re.compile(r"^'(?P<name>[^']+)' is a required property")
_UNEXPECTED = re.compile(r"\('(?P<name>[^']+)' (?:was|were) unexpected\)")


def field_of(keyword: str, message: str) -> str:
    """The property a schema error names beyond its pointer: the missing or the unexpected one."""
    pattern = (
        _REQUIRED if keyword == "required" else _UNEXPECTED if keyword == "additionalProperties" else None
    )
    match = pattern.search(message) if pattern is not None else None
    return match.group("name") if match else ""


#: What makes two findings one defect (see :attr:`Finding.key`).
FindingKey = tuple[str, str, str, str, str, int]


@dataclass(slots=True)
class Finding:
    """One distinct defect on one operation, with the smallest request that showed it.

    ``request`` is the kind of request that showed it: ``valid`` (it obeyed the schema and the API's
    rules), or what made it invalid (``invalid: malformed JSON``). ``field`` is the property a schema
    error names beyond its pointer (the missing one of ``required``). ``status`` is the answer's
    status (0: no answer at all).
    """

    check: str
    severity: Severity
    message: str
    pointer: str
    keyword: str
    status: int
    curl: str
    occurrences: int = 1
    request_size: int = 0
    request: str = VALID
    field: str = ""
    excerpt: Excerpt | None = None  # the part of the answer (of the kept reproduction) the pointer names
    baseline: BaselineMark | None = None  # how the run's baseline saw it (None: no baseline given)
    upstream: UpstreamEvidence | None = None  # with --upstream: the upstream's answer to the same request

    @classmethod
    def from_violation(
        cls, violation: Violation, *, status: int, curl: str, request_size: int, request: str = VALID
    ) -> Finding:
        return cls(
            check=violation.check,
            severity=violation.severity,
            message=violation.message,
            pointer=violation.pointer,
            keyword=violation.keyword,
            status=status,
            curl=curl,
            request_size=request_size,
            request=request or VALID,
            field=field_of(violation.keyword, violation.message),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return from_record(
            cls,
            data,
            severity="warning" if data.get("severity") == "warning" else "error",
            excerpt=Excerpt.from_dict(data.get("excerpt")),
            baseline=BaselineMark.from_dict(data.get("baseline")),
            upstream=UpstreamEvidence.from_dict(data.get("upstream")),
        )

    @property
    def key(self) -> FindingKey:
        """What makes a defect distinct; the one definition of "the same finding".

        The check, the pointer with array indices folded and the schema keyword (as
        :func:`~openai_conformance.validation.violations.violation_key` says), the property a schema
        error names (each missing field is a defect of its own), the kind of request (valid, or
        which rule it broke) and the answer's status.
        """
        check, pointer, keyword = violation_key(self.check, self.pointer, self.keyword)
        return (check, pointer, keyword, self.field, self.request, self.status)

    @property
    def signature(self) -> str:
        """A stable digest of the finding's kind (:attr:`key`): baselines and run diffs match findings by it."""
        return signature_of(self.key)

    @property
    def fails(self) -> bool:
        """Whether it fails the run: an error that no (unexpired) baseline entry accounts for."""
        return self.fails_under("error")

    def fails_under(self, fail_on: str) -> bool:
        """Whether it fails a run of ``--fail-on fail_on``: an error (a warning too under ``warning``)
        that no (unexpired) baseline entry accounts for."""
        failing = self.severity == "error" or (fail_on == "warning" and self.severity == "warning")
        return failing and (self.baseline is None or self.baseline.fails)

    def to_dict(self) -> dict[str, Any]:
        data = record_of(self, blank_as_none=("keyword", "field"))
        del data["request_size"]  # how the smallest reproduction was chosen, not part of the finding
        data["signature"] = self.signature
        return data


@dataclass(slots=True)
class UntestedRequest(Record):
    """Requests of one kind that could not be tested (no answer: timed out, reset, refused; or an answer
    that could not be judged), with a reproduction: recorded, never dropped."""

    reason: str
    curl: str
    source: str = ""  # "generated", or the scenario that sent it
    occurrences: int = 1

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UntestedRequest:
        return from_record(cls, data)
