"""``openai-conformance report diff OLD NEW``: what changed between two runs, and whether it regressed.

Findings are matched by operation, check and signature (the digest of the finding's kind), so two
runs of different days, targets or versions compare kind by kind. A *regression* is anything that
would fail NEW where OLD did not: an error-level violation kind NEW has and OLD had not, or an
operation whose outcome became failed, unsupported (the target dropped it) or could-not-test. Fixes
are kinds OLD had and NEW, having tested the operation, no longer has; a kind that vanished because
NEW did not test its operation is listed as such, never as fixed. Reports of any 1.x format load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from openai_conformance.results.models import Finding, OperationResult, Outcome, RunResult
from openai_conformance.results.record import record_of

__all__ = ["RunDiff", "diff_runs"]

_RANK = {Outcome.PASSED: 0, Outcome.WARNED: 1, Outcome.FAILED: 2}
_NOT_TESTED = (Outcome.UNSUPPORTED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class Kind:
    """One violation kind on one operation, as a diff names it."""

    operation: str  # operationId
    label: str  # "POST /chat/completions"
    check: str
    severity: str
    pointer: str
    message: str
    signature: str

    @classmethod
    def of(cls, op: OperationResult, finding: Finding) -> Kind:
        return cls(
            op.operation_id,
            op.label,
            finding.check,
            finding.severity,
            finding.pointer,
            finding.message,
            finding.signature,
        )

    def to_dict(self) -> dict[str, Any]:
        return record_of(self)


@dataclass(frozen=True, slots=True)
class Change:
    """An operation whose outcome (or coverage) changed."""

    operation: str
    label: str
    old: str  # an outcome, or "absent"
    new: str
    regression: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return record_of(self, blank_as_none=("note",))


@dataclass(frozen=True, slots=True)
class Reworded:
    kind: Kind
    old_message: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.kind.to_dict(), "old_message": self.old_message}


@dataclass(slots=True)
class RunDiff:
    """Everything that changed from OLD to NEW."""

    old: dict[str, Any]  # what each run was: file, target, spec, finished_at, format
    new: dict[str, Any]
    new_kinds: list[Kind] = field(default_factory=list)  # errors: regressions
    new_warnings: list[Kind] = field(default_factory=list)
    fixed: list[Kind] = field(default_factory=list)
    untested_kinds: list[Kind] = field(default_factory=list)  # gone because NEW did not test them
    worse: list[Change] = field(default_factory=list)
    better: list[Change] = field(default_factory=list)
    coverage: list[Change] = field(default_factory=list)
    reworded: list[Reworded] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> int:
        """New error kinds, and operations NEW could no longer test (an operation that now fails does so
        through its new kinds, counted once)."""
        return len(self.new_kinds) + sum(c.regression and c.new != Outcome.FAILED.value for c in self.worse)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "1",
            "tool": "openai-conformance",
            "old": self.old,
            "new": self.new,
            "regressions": self.regressions,
            "new_violations": [k.to_dict() for k in self.new_kinds],
            "new_warnings": [k.to_dict() for k in self.new_warnings],
            "fixed": [k.to_dict() for k in self.fixed],
            "no_longer_tested": [k.to_dict() for k in self.untested_kinds],
            "worse": [c.to_dict() for c in self.worse],
            "better": [c.to_dict() for c in self.better],
            "coverage": [c.to_dict() for c in self.coverage],
            "changed_messages": [r.to_dict() for r in self.reworded],
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """Fit for a pull-request comment: the headline, then each kind of change, regressions first."""
        if self.regressions:
            title = f"❌ {self.regressions} regression{'s' if self.regressions != 1 else ''}"
        else:
            title = "✅ no regressions"
        if self.fixed:
            title += f", {len(self.fixed)} fixed"
        lines = [
            f"## openai-conformance: {title}",
            "",
            f"**OLD** {_describe(self.old)}  ",
            f"**NEW** {_describe(self.new)}",
        ]
        lines += [f"\n> {note}" for note in self.notes]
        regressed = [c for c in self.worse if c.regression]
        if self.new_kinds or regressed:
            lines += ["", f"### Regressions ({self.regressions})"]
            if self.new_kinds:
                lines += ["", *_kind_table(self.new_kinds)]
            if regressed:
                lines += ["", *_change_table(regressed)]
        if self.fixed:
            lines += ["", f"### Fixed ({len(self.fixed)})", "", *_kind_table(self.fixed)]
        other_worse = [c for c in self.worse if not c.regression]
        if self.new_warnings or other_worse:
            lines += ["", "### Worse, but not failing"]
            if self.new_warnings:
                lines += ["", "New warnings:", "", *_kind_table(self.new_warnings)]
            if other_worse:
                lines += ["", *_change_table(other_worse)]
        if self.better:
            lines += ["", f"### Better ({len(self.better)})", "", *_change_table(self.better)]
        if self.reworded:
            lines += ["", f"<details><summary>{len(self.reworded)} changed message(s)</summary>", ""]
            lines += ["| Operation | Check | Before | After |", "|---|---|---|---|"]
            lines += [
                f"| `{r.kind.label}` | `{r.kind.check}` | {_cell(r.old_message)} | {_cell(r.kind.message)} |"
                for r in self.reworded
            ]
            lines += ["", "</details>"]
        if self.coverage or self.untested_kinds:
            lines += ["", "### Coverage", ""]
            lines += [
                f"- operations tested: {self.old.get('tested')} → {self.new.get('tested')}; judged on a 2xx answer: "
                f"{self.old.get('answered_2xx')} → {self.new.get('answered_2xx')}"
            ]
            lines += [
                f"- `{c.label}`: {c.old} → {c.new}" + (f" ({c.note})" if c.note else "")
                for c in self.coverage
            ]
            if self.untested_kinds:
                lines += [
                    f"- {len(self.untested_kinds)} violation kind(s) of OLD not judged again: their operation was not "
                    "tested in NEW (not counted as fixed)"
                ]
        if not (self.new_kinds or self.fixed or self.worse or self.better or self.reworded or self.coverage):
            lines += ["", "Nothing changed: the same violation kinds on the same operations."]
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:240]


def _kind_table(kinds: list[Kind]) -> list[str]:
    rows = ["| Operation | Check | Pointer | Message |", "|---|---|---|---|"]
    rows += [f"| `{k.label}` | `{k.check}` | `{k.pointer or '/'}` | {_cell(k.message)} |" for k in kinds]
    return rows


def _change_table(changes: list[Change]) -> list[str]:
    rows = ["| Operation | Before | After |", "|---|---|---|"]
    rows += [
        f"| `{c.label}` | {c.old} | {c.new}" + (f" ({_cell(c.note)})" if c.note else "") + " |"
        for c in changes
    ]
    return rows


def _describe(meta: dict[str, Any]) -> str:
    parts = [f"`{meta.get('file')}`"]
    if meta.get("target"):
        parts.append(f"target `{meta['target']}`")
    if meta.get("faults"):
        parts.append("faults " + ", ".join(f"`{f}`" for f in meta["faults"]))
    if meta.get("spec"):
        parts.append(f"spec `{meta['spec']}`")
    if meta.get("finished_at"):
        parts.append(str(meta["finished_at"]))
    parts.append(f"{meta.get('kinds')} violation kind(s)")
    return " · ".join(parts)


def _meta(run: RunResult, name: str) -> dict[str, Any]:
    return {
        "file": name,
        "target": run.target.base_url,
        "faults": list(run.target.faults),
        "spec": run.spec.pin or run.spec.sha256[:12],
        "finished_at": run.finished_at,
        "operations": len(run.operations),
        "tested": sum(op.tested for op in run.operations),
        "answered_2xx": sum(op.answered_2xx for op in run.operations),
        "kinds": sum(len(op.findings) for op in run.operations),
    }


def _kinds(op: OperationResult) -> dict[tuple[str, str], Kind]:
    return {(f.check, f.signature): Kind.of(op, f) for f in op.findings.values()}


def _outcome_change(
    operation: str, label: str, old: Outcome, new: Outcome, note: str
) -> tuple[str, Change] | None:
    """Which list an outcome change goes to (worse, better, coverage), or None when nothing changed."""
    if old is new:
        return None
    if new is Outcome.SKIPPED or old is Outcome.SKIPPED:
        return "coverage", Change(operation, label, old.value, new.value, note=note)
    if old in _RANK and new in _RANK:
        if _RANK[new] > _RANK[old]:
            return "worse", Change(operation, label, old.value, new.value, regression=new is Outcome.FAILED)
        return "better", Change(operation, label, old.value, new.value)
    if new in _NOT_TESTED and old in _RANK:
        return "worse", Change(operation, label, old.value, new.value, regression=True, note=note)
    if old in _NOT_TESTED and new in _RANK:
        return "better", Change(operation, label, old.value, new.value, note="tested again")
    return "coverage", Change(operation, label, old.value, new.value, note=note)


def diff_runs(old: RunResult, new: RunResult, *, old_name: str = "OLD", new_name: str = "NEW") -> RunDiff:
    """What changed from ``old`` to ``new``."""
    result = RunDiff(_meta(old, old_name), _meta(new, new_name))
    if old.spec.sha256 and new.spec.sha256 and old.spec.sha256 != new.spec.sha256:
        result.notes.append(
            f"The runs judged by different specs ({old.spec.pin or old.spec.sha256[:12]} and "
            f"{new.spec.pin or new.spec.sha256[:12]}): some changes may be the spec's."
        )
    for name in ("profile", "mode"):
        if old.settings.get(name) != new.settings.get(name):
            result.notes.append(
                f"The runs differ in {name}: {old.settings.get(name)} and {new.settings.get(name)}."
            )
    before = {op.operation_id: op for op in old.operations}
    after = {op.operation_id: op for op in new.operations}
    for operation_id, op in after.items():
        previous = before.get(operation_id)
        kinds = _kinds(op)
        if previous is None:
            result.coverage.append(
                Change(operation_id, op.label, "absent", op.outcome.value, note="not in OLD")
            )
            old_kinds: dict[tuple[str, str], Kind] = {}
        else:
            old_kinds = _kinds(previous)
            placed = _outcome_change(operation_id, op.label, previous.outcome, op.outcome, op.note)
            if placed is not None:
                getattr(result, placed[0]).append(placed[1])
            if previous.answered_2xx and not op.answered_2xx and op.tested:
                result.coverage.append(
                    Change(
                        operation_id, op.label, "2xx seen", "no 2xx", note="its success schema was not judged"
                    )
                )
            elif op.answered_2xx and not previous.answered_2xx and previous.tested:
                result.coverage.append(Change(operation_id, op.label, "no 2xx", "2xx seen"))
        for key, kind in kinds.items():
            earlier = old_kinds.get(key)
            if earlier is None:
                (result.new_kinds if kind.severity == "error" else result.new_warnings).append(kind)
            elif earlier.severity == "warning" and kind.severity == "error":
                result.new_kinds.append(kind)  # the same kind, now failing
            elif earlier.message != kind.message:
                result.reworded.append(Reworded(kind, earlier.message))
        for key, kind in old_kinds.items():
            if key not in kinds:
                (result.fixed if op.tested else result.untested_kinds).append(kind)
    for operation_id, previous in before.items():
        if operation_id not in after:
            result.coverage.append(
                Change(operation_id, previous.label, previous.outcome.value, "absent", note="not in NEW")
            )
            result.untested_kinds.extend(_kinds(previous).values())
    return result
