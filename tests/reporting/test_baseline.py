"""Baselines: known deviations do not fail the run, new and expired ones do; the file is stable and sorted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from openai_conformance.errors import ConfigError
from openai_conformance.results.baseline import Baseline, BaselineEntry, apply_baseline, load_baseline
from openai_conformance.results.models import RunResult
from tests.cli import run_cli
from tests.reporting.factories import BAD_OBJECT, NO_DONE, SLOW_WARNING, WRONG_N, operation, run

TODAY = dt.date(2026, 12, 1)


def _run() -> RunResult:
    return run(
        operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N, SLOW_WARNING),
        operation("listModels", "/models", method="get"),
    )


def _recorded(tmp_path: Path) -> Baseline:
    baseline = load_baseline(tmp_path / "known.json", missing_ok=True)
    updated = apply_baseline(_run(), baseline, update=True, today=TODAY)
    assert updated is not None
    updated.save()
    return load_baseline(tmp_path / "known.json")


def test_an_update_records_every_finding_and_the_same_run_then_passes(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)
    assert len(baseline.entries) == 3
    again = _run()
    assert again.exit_code == 1
    assert apply_baseline(again, baseline, today=TODAY) is None
    assert again.exit_code == 0 and again.failing_violations == 0
    assert {f.baseline.status for op in again.operations for f in op.findings.values() if f.baseline} == {
        "known"
    }
    assert again.baseline is not None and again.baseline.known == 3 and again.baseline.new == 0
    document = again.to_dict()
    assert document["summary"]["known"] == 3 and document["summary"]["new_violations"] == 0


def test_a_new_finding_fails_and_is_the_only_one_called_new(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)
    worse = run(
        operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N, SLOW_WARNING, BAD_OBJECT),
        operation("listModels", "/models", method="get"),
    )
    apply_baseline(worse, baseline, today=TODAY)
    assert worse.exit_code == 1 and worse.failing_violations == 1
    new = [
        f
        for op in worse.operations
        for f in op.findings.values()
        if f.baseline and f.baseline.status == "new"
    ]
    assert [f.check for f in new] == ["schema.body"]


def test_an_expired_entry_counts_as_new(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)
    for entry in baseline.entries:
        if entry.check == "stream.done":
            entry.expires = "2026-11-30"
            entry.reason = "upstream fix promised for November"
    later = _run()
    apply_baseline(later, baseline, today=TODAY)
    assert later.exit_code == 1
    expired = [
        f
        for op in later.operations
        for f in op.findings.values()
        if f.baseline and f.baseline.status == "expired"
    ]
    assert [f.check for f in expired] == ["stream.done"] and expired[0].baseline is not None
    assert expired[0].baseline.reason == "upstream fix promised for November"
    assert later.baseline is not None and [e.check for e in later.baseline.expired] == ["stream.done"]
    on_the_day = _run()
    apply_baseline(on_the_day, baseline, today=dt.date(2026, 11, 30))
    assert on_the_day.exit_code == 0, "an entry excuses its finding up to its expiry date included"


def test_fixed_entries_are_reported_and_an_update_drops_them(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)
    fixed = run(
        operation("createChatCompletion", "/chat/completions", NO_DONE, SLOW_WARNING),
        operation("listModels", "/models", method="get"),
    )
    assert apply_baseline(fixed, baseline, today=TODAY) is None
    assert fixed.exit_code == 0
    assert fixed.baseline is not None and [e.check for e in fixed.baseline.fixed] == [
        "semantics.choices_count"
    ]
    refreshed = apply_baseline(fixed, baseline, update=True, today=TODAY)
    assert refreshed is not None and len(refreshed.entries) == 2
    assert fixed.baseline.updated and fixed.baseline.dropped == 1 and fixed.baseline.added == 0


def test_entries_of_operations_not_tested_are_kept(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)
    partial = run(operation("listModels", "/models", method="get"))
    refreshed = apply_baseline(partial, baseline, update=True, today=TODAY)
    assert refreshed is not None and len(refreshed.entries) == 3
    assert partial.baseline is not None and partial.baseline.untested == 3 and not partial.baseline.fixed


def test_an_interrupted_run_refreshes_nothing(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)
    cut = run(operation("listModels", "/models", method="get"))
    cut.interrupted = "interrupted by the user (Ctrl-C)"
    assert apply_baseline(cut, baseline, update=True, today=TODAY) is None
    assert cut.baseline is not None and not cut.baseline.updated


def test_the_file_is_sorted_stable_and_keeps_what_people_wrote(tmp_path: Path) -> None:
    path = tmp_path / "known.json"
    _recorded(tmp_path)
    document = json.loads(path.read_text())
    keys = [(e["operation"], e["check"], e["signature"]) for e in document["entries"]]
    assert keys == sorted(keys) and document["format"] == 1
    entry = document["entries"][0]
    entry["reason"], entry["issue"], entry["owner"] = "accepted", "https://example.invalid/1", "team-a"
    path.write_text(json.dumps(document, indent=2))
    baseline = load_baseline(path)
    updated = apply_baseline(_run(), baseline, update=True, today=dt.date(2027, 1, 1))
    assert updated is not None
    updated.save()
    again = json.loads(path.read_text())
    assert again["entries"][0]["reason"] == "accepted" and again["entries"][0]["owner"] == "team-a"
    assert again["entries"][0]["added"] == "2026-12-01", "a refresh changes nothing already recorded"
    before = path.read_text()
    load_baseline(path).save()
    assert path.read_text() == before


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "is not JSON"),
        ('{"entries": {}}', "is not a baseline file"),
        ('{"format": 9, "entries": []}', "has format 9"),
        ('{"entries": [{"operation": "x", "check": "y"}]}', "entry 1 lacks signature"),
        (
            '{"entries": [{"operation": "x", "check": "y", "signature": "z", "expires": "soon"}]}',
            "must be a date",
        ),
        (
            '{"entries": [{"operation": "x", "check": "y", "signature": "z"}, {"operation": "x", "check": "y", "signature": "z"}]}',
            "are the same finding",
        ),
    ],
)
def test_a_broken_file_is_refused_with_a_reason(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "known.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=says):
        load_baseline(path)


def test_a_missing_file_needs_an_update_to_be_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--baseline-update"):
        load_baseline(tmp_path / "nope.json")
    assert load_baseline(tmp_path / "nope.json", missing_ok=True).entries == []


def test_junit_and_summary_tell_known_from_new(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from openai_conformance.reporting.files import to_junit, to_markdown

    baseline = _recorded(tmp_path)
    worse = run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N, BAD_OBJECT))
    apply_baseline(worse, baseline, today=TODAY)
    suite = ET.fromstring(to_junit(worse))
    assert suite.get("failures") == "1"
    assert [f.get("type") for f in suite.iter("failure")] == ["schema.body"], (
        "only the new finding fails its case"
    )
    out = "".join(e.text or "" for e in suite.iter("system-out"))
    assert "known stream.done" in out and "known semantics.choices_count" in out
    summary = to_markdown(worse)
    assert (
        "**stream.done** (error — known)" in summary
        and "- Baseline `" in summary
        and "1 new failing" in summary
    )


def test_entry_ids_are_stable() -> None:
    entry = BaselineEntry("createChatCompletion", "stream.done", "486f33b9a8f3")
    assert entry.id == BaselineEntry("createChatCompletion", "stream.done", "486f33b9a8f3", reason="x").id
    assert len(entry.id) == 8


@pytest.mark.slow
def test_with_a_baseline_the_same_faults_pass_and_one_more_fails(tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    selection = ["--include", "createChatCompletion", "--fault", "ignore-n", "--fault", "stream-no-done"]
    made = run_cli(tmp_path / "made", *selection, "--baseline", str(known), "--baseline-update")
    assert made.code == 0 and known.exists()
    entries = json.loads(known.read_text())["entries"]
    assert {e["check"] for e in entries} == made.checks() == {"semantics.choices_count", "stream.done"}
    assert "added" in made.out

    same = run_cli(tmp_path / "same", *selection, "--baseline", str(known))
    assert same.code == 0, same.out
    assert {v["baseline"]["status"] for v in same.violations} == {"known"}
    assert same.report["baseline"]["known"] == len(entries) and same.report["baseline"]["new"] == 0

    worse = run_cli(
        tmp_path / "worse", *selection, "--fault", "usage-total-off-by-one", "--baseline", str(known)
    )
    assert worse.code == 1
    new = [v for v in worse.violations if v["baseline"]["status"] == "new"]
    assert new and {v["check"] for v in new} == {"semantics.usage_total"}
    assert all(
        v["baseline"]["status"] == "known" for v in worse.violations if v["check"] != "semantics.usage_total"
    )
    html = (tmp_path / "worse" / "report.html").read_text()
    assert "semantics.usage_total" in html and "b-new" in html and "b-known" in html


def test_baseline_update_needs_a_file(tmp_path: Path) -> None:
    from openai_conformance.cli import main

    assert main(["run", "--baseline-update", "--report-dir", str(tmp_path)]) == 2


def test_fail_on_warning_fails_on_a_new_warning_but_not_on_a_known_one(tmp_path: Path) -> None:
    baseline = _recorded(tmp_path)  # it knows SLOW_WARNING, a warning
    fresh = run(operation("createChatCompletion", "/chat/completions", SLOW_WARNING))
    fresh.settings.options["fail_on"] = "warning"
    assert fresh.exit_code == 1 and fresh.failing_warnings == 1  # no baseline: the warning fails the run
    known = run(operation("createChatCompletion", "/chat/completions", SLOW_WARNING))
    known.settings.options["fail_on"] = "warning"
    apply_baseline(known, baseline, today=TODAY)
    assert known.failing_warnings == 0 and known.exit_code == 0
    (finding,) = known.operations[0].findings.values()
    assert not finding.fails_under("warning") and fresh.operations[0].violations[0].fails_under("warning")
    assert not fresh.operations[0].violations[0].fails  # a warning fails only under --fail-on warning
