"""Known deviations: a baseline file of accepted findings, so that a gate fails only on new ones.

The file is JSON, sorted and stable so that it diffs well in review, and meant to be edited by hand::

    {
      "format": 1,
      "tool": "openai-conformance",
      "entries": [
        {
          "id": "1c0f3a9e",
          "operation": "createChatCompletion",
          "check": "stream.done",
          "signature": "486f33b9a8f3",
          "pointer": "",
          "message": "the stream ended without `data: [DONE]`",
          "reason": "vLLM 0.6 omits [DONE] after an error; fixed upstream in 0.7",
          "issue": "https://github.com/vllm-project/vllm/issues/0000",
          "expires": "2027-03-01",
          "added": "2026-12-01"
        }
      ]
    }

An entry matches a finding by operation (its operationId), check id and signature (a digest of the
finding's kind, :func:`~openai_conformance.results.identity.signature_of`); ``pointer`` and
``message`` say what it looked like when it was recorded, for people. ``reason``, ``issue`` and
``expires`` are yours; any other member is kept as it is. From the day after ``expires``, the entry
no longer excuses its finding. A matched finding is *known* and does not fail the run; anything
else is *new* and does (when it is an error).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openai_conformance.errors import ConfigError
from openai_conformance.results.identity import (
    BaselineEntryRef,
    BaselineMark,
    BaselineStatus,
    BaselineSummary,
)
from openai_conformance.results.models import Finding, OperationResult, RunResult
from openai_conformance.results.record import record_of

__all__ = [
    "BASELINE_FORMAT",
    "Baseline",
    "BaselineEntry",
    "apply_baseline",
    "load_baseline",
    "mark_operation",
]

BASELINE_FORMAT = 1
_OWN = ("id", "operation", "check", "signature", "pointer", "message", "reason", "issue", "expires", "added")


@dataclass(slots=True)
class BaselineEntry:
    """One accepted finding."""

    operation: str  # operationId
    check: str
    signature: str
    pointer: str = ""  # as recorded, for people
    message: str = ""  # as recorded, for people
    reason: str = ""
    issue: str | None = None  # a link to the issue that tracks it
    expires: str | None = None  # YYYY-MM-DD: the last day it excuses its finding
    added: str | None = None  # YYYY-MM-DD: when --baseline-update recorded it
    extra: dict[str, Any] = field(default_factory=dict)  # anything else the file carries

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.operation, self.check, self.signature)

    @property
    def id(self) -> str:
        return hashlib.sha256("\0".join(self.identity).encode()).hexdigest()[:8]

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and dt.date.fromisoformat(self.expires) < today

    def ref(self) -> BaselineEntryRef:
        return BaselineEntryRef(
            self.id,
            self.operation,
            self.check,
            self.signature,
            self.pointer,
            self.message,
            self.reason,
            self.issue,
            self.expires,
        )

    def mark(self, status: BaselineStatus) -> BaselineMark:
        return BaselineMark(status, self.id, self.reason, self.issue, self.expires)

    @classmethod
    def from_finding(cls, operation: str, finding: Finding, today: dt.date) -> BaselineEntry:
        return cls(
            operation=operation,
            check=finding.check,
            signature=finding.signature,
            pointer=finding.pointer,
            message=finding.message[:300],
            added=today.isoformat(),
        )

    @classmethod
    def from_dict(cls, data: Any, where: str) -> BaselineEntry:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} is not an object")
        missing = [
            name for name in ("operation", "check", "signature") if not isinstance(data.get(name), str)
        ]
        if missing:
            raise ConfigError(f"{where} lacks {', '.join(missing)} (a string each)")
        for name in ("expires", "added"):
            value = data.get(name)
            if value is not None:
                try:
                    dt.date.fromisoformat(str(value))
                except ValueError:
                    raise ConfigError(f"{where}: {name} must be a date YYYY-MM-DD, not {value!r}") from None
        issue = data.get("issue")
        return cls(
            operation=data["operation"],
            check=data["check"],
            signature=data["signature"],
            pointer=str(data.get("pointer") or ""),
            message=str(data.get("message") or ""),
            reason=str(data.get("reason") or ""),
            issue=str(issue) if issue else None,
            expires=str(data["expires"]) if data.get("expires") else None,
            added=str(data["added"]) if data.get("added") else None,
            extra={k: v for k, v in data.items() if k not in _OWN},
        )

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, **record_of(self)}
        del data["extra"]
        data.update(sorted(self.extra.items()))
        return data


@dataclass(slots=True)
class Baseline:
    """The entries of one baseline file."""

    path: Path
    entries: list[BaselineEntry] = field(default_factory=list)

    def to_json(self) -> str:
        entries = sorted(self.entries, key=lambda e: e.identity)
        document = {
            "format": BASELINE_FORMAT,
            "tool": "openai-conformance",
            "entries": [entry.to_dict() for entry in entries],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def save(self) -> None:
        """Write the file atomically (sorted, one member a line)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            part = self.path.with_name(self.path.name + ".part")
            part.write_text(self.to_json(), encoding="utf-8")
            os.replace(part, self.path)
        except OSError as exc:
            raise ConfigError(f"cannot write the baseline {self.path}: {exc.strerror or exc}") from exc


def load_baseline(path: Path, *, missing_ok: bool = False) -> Baseline:
    """Read a baseline file; ``missing_ok``: a file that does not exist yet is an empty baseline."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return Baseline(path)
        raise ConfigError(
            f"the baseline {path} does not exist; make it from a run with --baseline {path} --baseline-update"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the baseline {path}: {exc.strerror or exc}") from exc
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"the baseline {path} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise ConfigError(f"the baseline {path} is not a baseline file (an object with `entries`)")
    if document.get("format", BASELINE_FORMAT) != BASELINE_FORMAT:
        raise ConfigError(
            f"the baseline {path} has format {document.get('format')!r}; this version reads {BASELINE_FORMAT}"
        )
    entries = [
        BaselineEntry.from_dict(item, f"{path}: entry {n + 1}") for n, item in enumerate(document["entries"])
    ]
    seen: dict[tuple[str, str, str], int] = {}
    for n, entry in enumerate(entries):
        if entry.identity in seen:
            raise ConfigError(f"{path}: entries {seen[entry.identity] + 1} and {n + 1} are the same finding")
        seen[entry.identity] = n
    return Baseline(path, entries)


def _findings(run: RunResult) -> Iterable[tuple[OperationResult, Finding]]:
    for op in run.operations:
        for finding in op.findings.values():
            yield op, finding


def mark_operation(op: OperationResult, baseline: Baseline, *, today: dt.date | None = None) -> None:
    """Mark the findings of one operation known, new or expired (the pytest plugin's, test by test)."""
    today = today or dt.date.today()
    by_identity = {entry.identity: entry for entry in baseline.entries}
    for finding in op.findings.values():
        entry = by_identity.get((op.operation_id, finding.check, finding.signature))
        if entry is None:
            finding.baseline = BaselineMark("new")
        else:
            finding.baseline = entry.mark("expired" if entry.expired(today) else "known")


def apply_baseline(
    run: RunResult, baseline: Baseline, *, update: bool = False, today: dt.date | None = None
) -> Baseline | None:
    """Mark every finding of ``run`` known, new or expired, and say so in ``run.baseline``.

    ``update``: also make the refreshed baseline — every new finding added, every entry of an
    operation this run tested that nothing matched dropped as fixed, entries of operations it did
    not test kept — and return it for saving (an expired entry stays as it is: extend its
    ``expires`` or remove it by hand). An interrupted run, or one that could not test the target,
    refreshes nothing: what it did not reach would look fixed.
    """
    today = today or dt.date.today()
    by_identity = {entry.identity: entry for entry in baseline.entries}
    matched: set[tuple[str, str, str]] = set()
    expired: list[BaselineEntryRef] = []
    added: list[BaselineEntry] = []
    refresh = update and not run.interrupted and not run.fatal
    known = new = 0
    for op, finding in _findings(run):
        identity = (op.operation_id, finding.check, finding.signature)
        entry = by_identity.get(identity)
        if entry is None:
            new += 1
            if refresh:
                added.append(BaselineEntry.from_finding(op.operation_id, finding, today))
                finding.baseline = BaselineMark("added")
            else:
                finding.baseline = BaselineMark("new")
            continue
        matched.add(identity)
        if entry.expired(today):
            new += 1
            expired.append(entry.ref())
            finding.baseline = entry.mark("expired")
        else:
            known += 1
            finding.baseline = entry.mark("known")
    tested = {op.operation_id for op in run.operations if op.tested}
    fixed = [e for e in baseline.entries if e.identity not in matched and e.operation in tested]
    untested = sum(1 for e in baseline.entries if e.identity not in matched and e.operation not in tested)
    run.baseline = BaselineSummary(
        file=str(baseline.path),
        entries=len(baseline.entries),
        known=known,
        new=new,
        expired=tuple(expired),
        fixed=tuple(entry.ref() for entry in fixed),
        untested=untested,
        updated=refresh,
        added=len(added) if refresh else 0,
        dropped=len(fixed) if refresh else 0,
    )
    if not refresh:
        return None
    dropped = {entry.identity for entry in fixed}
    kept = [entry for entry in baseline.entries if entry.identity not in dropped]
    return replace(baseline, entries=kept + added)
