"""Every fault of the reference server is caught under its declared check id — and nothing else is.

This is the suite's own regression test: each check proves it fires on a server that breaks it (the
fault on) and stays silent on one that does not (the same run finds no other check, and the
fault-free server passes in test_full_runs).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from openai_conformance.cli import main
from openai_conformance.server.faults import FAULTS
from openai_conformance.validation.catalogue import CHECKS

KEY = "sk-reference-secret-0042"


def test_the_catalogue_is_large_and_names_real_checks() -> None:
    assert len(FAULTS) >= 30
    assert all(fault.check in CHECKS for fault in FAULTS.values())
    areas = {fault.check.split(".")[0] for fault in FAULTS.values()}
    assert areas >= {"schema", "stream", "semantics", "errors", "auth", "state"}


@pytest.mark.parametrize("fault_id", sorted(FAULTS))
def test_fault_is_caught_under_its_check_and_nothing_else(fault_id: str, tmp_path: Path) -> None:
    fault = FAULTS[fault_id]
    code = main(
        [
            "run",
            "--fault",
            fault_id,
            "--max-examples",
            "2",
            "--seed",
            "1",
            "--api-key",
            KEY,
            "--expect-auth",
            "--stream-idle-timeout",
            "1",
            "--report-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    report = json.loads((tmp_path / "report.json").read_text())
    found = Counter(v["check"] for op in report["operations"] for v in op["violations"])
    assert fault.check in found, f"{fault_id} was not caught: {dict(found)}"
    assert set(found) == {fault.check}, f"{fault_id} also tripped {dict(found)}"
    assert [op["operation_id"] for op in report["operations"] if op["errors"]] == []
    errors = [v for op in report["operations"] for v in op["violations"] if v["severity"] == "error"]
    assert code == (1 if errors else 0)  # a check may speak as a warning where a model could be at fault
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(), path.name
