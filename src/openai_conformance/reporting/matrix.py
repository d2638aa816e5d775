"""``openai-conformance report matrix DIR…``: several targets' reports as one compatibility table.

One column per report (a server, a version, a proxy), and two tables: operations × targets (each
cell the outcome, with how many violation kinds) and checks × targets (on how many operations the
check found something, or nothing). Written as Markdown (for a README or an issue) and as one
self-contained HTML page. Reports of any 1.x format load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai_conformance.results.models import Outcome, RunResult

__all__ = ["Column", "Matrix", "build_matrix"]

_SYMBOL = {
    Outcome.PASSED: "✅",
    Outcome.WARNED: "⚠️",
    Outcome.FAILED: "❌",
    Outcome.UNSUPPORTED: "➖",
    Outcome.ERROR: "❗",
    Outcome.SKIPPED: "·",
    Outcome.NOT_REACHED: "○",
}
_LEGEND = (
    "✅ passed · ⚠️ warnings only · ❌ failed (violation kinds) · ○ answered, but never with a success · "
    "➖ not implemented · ❗ could not test · · not run · blank: not in that report"
)


@dataclass(frozen=True, slots=True)
class Column:
    """One report: a target (or a version of one)."""

    label: str
    run: RunResult

    @property
    def tested(self) -> int:
        return sum(op.tested for op in self.run.operations)

    @property
    def passed(self) -> int:
        return sum(op.outcome is Outcome.PASSED for op in self.run.operations)

    @property
    def kinds(self) -> int:
        return sum(len(op.findings) for op in self.run.operations)

    @property
    def score(self) -> str:
        """Passed of the operations it implements and could be tested."""
        return f"{100 * self.passed / self.tested:.0f}%" if self.tested else "–"

    def describe(self) -> dict[str, Any]:
        run = self.run
        return {
            "label": self.label,
            "target": run.target.base_url,
            "faults": list(run.target.faults),
            "spec": run.spec.pin or run.spec.sha256[:12],
            "finished_at": run.finished_at,
            "tested": self.tested,
            "operations": len(run.operations),
            "passed": self.passed,
            "kinds": self.kinds,
            "score": self.score,
            "exit_code": run.exit_code,
        }


@dataclass(slots=True)
class Cell:
    outcome: Outcome | None  # None: the operation is not in that report
    kinds: int = 0
    title: str = ""

    @property
    def text(self) -> str:
        if self.outcome is None:
            return ""
        symbol = _SYMBOL[self.outcome]
        return f"{symbol} {self.kinds}" if self.kinds else symbol


@dataclass(slots=True)
class Matrix:
    columns: list[Column]
    operations: list[tuple[str, str, list[Cell]]]  # operationId, label, one cell per column
    checks: list[tuple[str, list[int | None]]]  # check id, operations it found something on (None: absent)

    def to_markdown(self) -> str:
        header = "| " + " | ".join(["Operation", *(c.label for c in self.columns)]) + " |"
        rule = "|" + "---|" * (len(self.columns) + 1)
        lines = ["# Compatibility matrix", "", _LEGEND, "", header, rule]
        lines.append(
            "| **passed / tested** | "
            + " | ".join(f"{c.passed}/{c.tested} ({c.score})" for c in self.columns)
            + " |"
        )
        for _, label, cells in self.operations:
            lines.append(f"| `{label}` | " + " | ".join(cell.text for cell in cells) + " |")
        lines += ["", "## Checks", "", "Operations on which each check found a violation (– nothing).", ""]
        lines += ["| " + " | ".join(["Check", *(c.label for c in self.columns)]) + " |", rule]
        for check, counts in self.checks:
            lines.append(
                f"| `{check}` | "
                + " | ".join("" if n is None else (str(n) if n else "–") for n in counts)
                + " |"
            )
        if not self.checks:
            lines.append("| (no check found anything) |" + " |" * len(self.columns))
        lines += ["", "## Reports", ""]
        for column in self.columns:
            info = column.describe()
            faults = f" with faults {', '.join(info['faults'])}" if info["faults"] else ""
            lines.append(
                f"- **{column.label}**: `{info['target']}`{faults}, spec `{info['spec']}`, {info['finished_at']}, "
                f"{info['kinds']} violation kind(s)"
            )
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        from openai_conformance.reporting.html import render_matrix_page

        return render_matrix_page(
            {
                "columns": [c.describe() for c in self.columns],
                "operations": [
                    (
                        operation_id,
                        label,
                        [(c.outcome.value if c.outcome else "", c.text, c.title) for c in cells],
                    )
                    for operation_id, label, cells in self.operations
                ],
                "checks": self.checks,
                "legend": _LEGEND,
            }
        )

    def write(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in (("matrix.md", self.to_markdown()), ("matrix.html", self.to_html())):
            path = directory / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written


def build_matrix(columns: list[Column]) -> Matrix:
    """The tables of the reports of ``columns``, operations in the order the reports list them."""
    order: dict[str, str] = {}
    for column in columns:
        for op in column.run.operations:
            order.setdefault(op.operation_id, op.label)
    indexed = [{op.operation_id: op for op in column.run.operations} for column in columns]
    operations = []
    for operation_id, label in order.items():
        cells = []
        for ops in indexed:
            found = ops.get(operation_id)
            if found is None:
                cells.append(Cell(None))
                continue
            title = ", ".join(sorted({f.check for f in found.findings.values()})) or found.note
            cells.append(Cell(found.outcome, len(found.findings), title))
        operations.append((operation_id, label, cells))
    by_check: dict[str, list[int | None]] = {}
    for n, column in enumerate(columns):
        for result in column.run.operations:
            for check in {f.check for f in result.findings.values()}:
                counts = by_check.setdefault(check, [0] * len(columns))
                counts[n] = (counts[n] or 0) + 1
    checks = sorted(by_check.items())
    return Matrix(columns, operations, checks)
