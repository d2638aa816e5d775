"""Every fault of the reference server is caught under its declared check id — and nothing else is.

This is the suite's own regression test: each check proves it fires on a server that breaks it (the
fault on) and stays silent on one that does not (the same run finds no other check, and the
fault-free server passes in test_full_runs). Each fault runs over the operations it declares:
tests/server/test_fault_reach.py proves it changes no other operation's answers, so no other
operation could show anything either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openai_conformance.server.faults import FAULTS
from openai_conformance.server.faults.responses import RESPONSES_FAULTS
from openai_conformance.validation.catalogue import CHECKS
from tests.cli import assert_no_secret, run_cli

KEY = "sk-reference-secret-0042"
# A fault that reaches every operation runs over these: models, a JSON body, streams, multipart.
# Ignoring `dimensions` on the request at input's maxItems (2048 inputs, dimensions=1) makes an answer
# of 2048 full-length vectors, some 60 MB: over --max-body-bytes, that one answer cannot be judged, as
# with a real server that ignores it. The scenario (dimensions=8) catches the fault all the same.
_TOO_LARGE = {"dimensions-ignored": "bytes (decoded) and was cut"}
_EVERYWHERE = ("listModels", "retrieveModel", "createChatCompletion", "createEmbedding", "createFile")
# The faults of the newer spec's operations (the Responses API) run on the newer spec.
_NEWER = frozenset(fault.id for fault in RESPONSES_FAULTS)


def test_the_catalogue_is_large_and_names_real_checks() -> None:
    assert len(FAULTS) >= 30
    assert all(fault.check in CHECKS for fault in FAULTS.values())
    areas = {fault.check.split(".")[0] for fault in FAULTS.values()}
    assert areas >= {"schema", "stream", "semantics", "errors", "auth", "state", "responses"}


def test_every_responses_check_has_a_fault_of_its_own() -> None:
    """Each ``responses.*`` check is proven by a fault caught under it alone (the test below)."""
    responses_checks = {check for check in CHECKS if check.startswith("responses.")}
    assert responses_checks == {
        fault.check for fault in FAULTS.values() if fault.check.startswith("responses.")
    }


@pytest.mark.parametrize("fault_id", sorted(FAULTS))
def test_fault_is_caught_under_its_check_and_nothing_else(fault_id: str, tmp_path: Path) -> None:
    fault = FAULTS[fault_id]
    operations = _EVERYWHERE if fault.everywhere else fault.operations
    run = run_cli(
        tmp_path,
        *(("--spec", "f85dbe2") if fault_id in _NEWER else ()),
        *("--fault", fault_id, "--include", ",".join(operations)),
        *(
            "--max-examples",
            "2",
            "--seed",
            "1",
            "--api-key",
            KEY,
            "--expect-auth",
            "--stream-idle-timeout",
            "1",
        ),
    )
    found = run.found()
    assert fault.check in found, f"{fault_id} was not caught: {dict(found)}"
    assert set(found) == {fault.check}, f"{fault_id} also tripped {dict(found)}"
    allowed = _TOO_LARGE.get(fault_id)
    unexpected = [(op, [e for e in errors if not (allowed and allowed in e)]) for op, errors in run.errors()]
    assert all(not errors for _, errors in unexpected), unexpected
    errors = [v for v in run.violations if v["severity"] == "error"]
    assert run.code == (1 if errors else 0)  # a check may speak as a warning where a model could be at fault
    assert_no_secret(run, KEY)
