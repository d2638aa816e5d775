"""The spec's own findings: each once, and those the overlays corrected marked as corrected."""

from __future__ import annotations

from openai_conformance.openapi.loader import load_contract


def test_findings_an_overlay_corrected_are_marked_and_duplicates_merged() -> None:
    contract = load_contract(pin="6b8287f")
    findings = contract.spec_findings()
    corrected = [f for f in findings if f["corrected"]]
    assert len(corrected) == 4 and all("Path parameter" in f["message"] for f in corrected)
    (duplicate,) = [f for f in findings if "non-unique" in f["message"]]
    assert duplicate["places"] == 3 and not duplicate["corrected"]
    assert len({(f["message"], f["location"]) for f in findings}) == len(findings)


def test_without_overlays_nothing_is_corrected() -> None:
    findings = load_contract(pin="6b8287f", overlays=False).spec_findings()
    assert findings and not any(f["corrected"] for f in findings)
