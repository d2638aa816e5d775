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
        return {
            "status": self.status,
            "entry": self.entry,
            "reason": self.reason or None,
            "issue": self.issue,
            "expires": self.expires,
        }

    @classmethod
    def from_dict(cls, data: Any) -> BaselineMark | None:
        if not isinstance(data, dict) or data.get("status") not in STATUSES:
            return None
        return cls(
            status=data["status"],
            entry=data.get("entry"),
            reason=str(data.get("reason") or ""),
            issue=data.get("issue"),
            expires=data.get("expires"),
        )


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
        return {
            "id": self.id,
            "operation": self.operation,
            "check": self.check,
            "signature": self.signature,
            "pointer": self.pointer,
            "message": self.message,
            "reason": self.reason or None,
            "issue": self.issue,
            "expires": self.expires,
        }

    @classmethod
    def from_dict(cls, data: Any) -> BaselineEntryRef:
        return cls(
            id=str(data.get("id") or ""),
            operation=str(data.get("operation") or ""),
            check=str(data.get("check") or ""),
            signature=str(data.get("signature") or ""),
            pointer=str(data.get("pointer") or ""),
            message=str(data.get("message") or ""),
            reason=str(data.get("reason") or ""),
            issue=data.get("issue"),
            expires=data.get("expires"),
        )


@dataclass(frozen=True, slots=True)
class BaselineSummary:
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "entries": self.entries,
            "known": self.known,
            "new": self.new,
            "expired": [entry.to_dict() for entry in self.expired],
            "fixed": [entry.to_dict() for entry in self.fixed],
            "untested": self.untested,
            "updated": self.updated,
            "added": self.added,
            "dropped": self.dropped,
        }

    @classmethod
    def from_dict(cls, data: Any) -> BaselineSummary | None:
        if not isinstance(data, dict):
            return None
        return cls(
            file=str(data.get("file") or ""),
            entries=int(data.get("entries") or 0),
            known=int(data.get("known") or 0),
            new=int(data.get("new") or 0),
            expired=tuple(
                BaselineEntryRef.from_dict(e) for e in data.get("expired") or () if isinstance(e, dict)
            ),
            fixed=tuple(
                BaselineEntryRef.from_dict(e) for e in data.get("fixed") or () if isinstance(e, dict)
            ),
            untested=int(data.get("untested") or 0),
            updated=bool(data.get("updated")),
            added=int(data.get("added") or 0),
            dropped=int(data.get("dropped") or 0),
        )
