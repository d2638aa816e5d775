"""One finding per distinct defect: what makes two violations the same defect is Finding.key alone."""

from __future__ import annotations

from openai_conformance.results.models import Finding, OperationResult
from openai_conformance.validation.violations import Violation


def _add(
    result: OperationResult,
    violation: Violation,
    *,
    status: int = 200,
    request: str = "valid",
    size: int = 10,
) -> None:
    result.add(violation, status=status, curl=f"curl {size}", request_size=size, request=request)


def test_each_missing_field_is_its_own_finding() -> None:
    result = OperationResult("createChatCompletion", "post", "/chat/completions")
    for name in ("index", "logprobs"):
        _add(
            result,
            Violation("schema.body", f"'{name}' is a required property", "/choices/0", keyword="required"),
        )
        _add(
            result,
            Violation("schema.body", f"'{name}' is a required property", "/choices/1", keyword="required"),
        )
    assert sorted((f.field, f.pointer, f.occurrences) for f in result.findings.values()) == [
        ("index", "/choices/0", 2),
        ("logprobs", "/choices/0", 2),
    ]


def test_valid_and_invalid_requests_and_statuses_are_kept_apart() -> None:
    result = OperationResult("createChatCompletion", "post", "/chat/completions")
    crash = Violation("errors.server_error", "answered with 500")
    _add(result, crash, status=500, request="invalid: malformed JSON", size=5)
    _add(result, crash, status=500, request="valid", size=50)
    _add(result, crash, status=502, request="valid", size=40)
    _add(result, crash, status=500, request="valid", size=30)
    kinds = {(f.request, f.status): (f.occurrences, f.curl) for f in result.findings.values()}
    assert kinds == {
        ("invalid: malformed JSON", 500): (1, "curl 5"),
        ("valid", 500): (2, "curl 30"),  # the smallest reproduction of that defect
        ("valid", 502): (1, "curl 40"),
    }


def test_an_unexpected_property_is_named() -> None:
    result = OperationResult("listModels", "get", "/models")
    message = "Additional properties are not allowed ('x_extra' was unexpected)"
    _add(result, Violation("schema.body", message, "/data/0", keyword="additionalProperties"))
    (finding,) = result.findings.values()
    assert finding.field == "x_extra"


def test_the_key_survives_the_report() -> None:
    result = OperationResult("createChatCompletion", "post", "/chat/completions")
    _add(
        result,
        Violation("errors.envelope", "'type' is a required property", "/error", keyword="required"),
        status=400,
        request="invalid: malformed JSON",
    )
    (finding,) = result.findings.values()
    again = Finding.from_dict(finding.to_dict())
    assert again.key == finding.key
    assert OperationResult.from_dict(result.to_dict()).findings.keys() == result.findings.keys()
