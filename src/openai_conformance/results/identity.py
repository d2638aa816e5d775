"""What makes a finding the same one across runs: its operation, its check and a signature of its kind.

The signature is derived from :attr:`Finding.key <openai_conformance.results.models.Finding.key>`
(a digest of all its parts), not copied from them: however finely the key tells one defect from
another, baselines and run diffs follow it without knowing what it is made of. A finding a baseline
accounts for carries a :class:`BaselineMark`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .record import Record, from_record, record_of, records_of

__all__ = ["BaselineEntryRef", "BaselineMark", "BaselineStatus", "BaselineSummary", "signature_of"]

#: known: the baseline accounts for it; new: it does not; expired: its entry's date has passed (it
#: fails the run like a new one); added: new, and recorded into the baseline by --baseline-update.
BaselineStatus = Literal["known", "new", "expired", "added"]
STATUSES: tuple[BaselineStatus, ...] = ("known", "new", "expired", "added")


def signature_of(key: Iterable[object]) -> str:
    """A short, stable digest of a finding's key (12 hex digits)."""
    text = "\x1f".join(str(part) for part in key)
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class BaselineMark:
    """How the baseline of a run saw one finding."""

    status: BaselineStatus
    entry: str | None = None  # the id of the entry that matched
    reason: str = ""
    issue: str | None = None
    expires: str | None = None

    @property
    def fails(self) -> bool:
        """Whether the finding counts against the run (new or expired), if it is an error."""
        return self.status in ("new", "expired")

    def to_dict(self) -> dict[str, Any]:
        return record_of(self, blank_as_none=("reason",))

    @classmethod
    def from_dict(cls, data: Any) -> BaselineMark | None:
        if not isinstance(data, dict) or data.get("status") not in STATUSES:
            return None
        return from_record(cls, data, status=data["status"])


@dataclass(frozen=True, slots=True)
class BaselineEntryRef:
    """An entry of the baseline file as the report names it (fixed, expired or not tested)."""

    id: str
    operation: str
    check: str
    signature: str
    pointer: str = ""
    message: str = ""
    reason: str = ""
    issue: str | None = None
    expires: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return record_of(self, blank_as_none=("reason",))

    @classmethod
    def from_dict(cls, data: Any) -> BaselineEntryRef:
        return from_record(cls, data)


@dataclass(frozen=True, slots=True)
class BaselineSummary(Record):
    """What the baseline said about a run: how many findings it knew, which entries were fixed."""

    file: str
    entries: int  # entries in the file as the run read it
    known: int = 0  # findings it accounts for
    new: int = 0  # findings it does not (errors and warnings)
    expired: tuple[BaselineEntryRef, ...] = ()  # entries past their date whose finding came back
    fixed: tuple[BaselineEntryRef, ...] = ()  # entries of tested operations that nothing matched
    untested: int = 0  # entries of operations this run did not test (kept as they are)
    updated: bool = False  # --baseline-update wrote the file
    added: int = 0  # entries --baseline-update added
    dropped: int = 0  # fixed entries --baseline-update dropped

    @classmethod
    def from_dict(cls, data: Any) -> BaselineSummary | None:
        if not isinstance(data, dict):
            return None
        return from_record(
            cls,
            data,
            expired=records_of(BaselineEntryRef, data.get("expired")),
            fixed=records_of(BaselineEntryRef, data.get("fixed")),
        )
