"""Both pinned specs load, their problems become findings, overlays apply, broken specs are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from openai_conformance.errors import OverlayError, SpecError
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations, select_operations
from openai_conformance.openapi.overlay import apply_overlays, load_overlay, load_overlays


def test_primary_spec_loads_with_its_findings_and_overlays() -> None:
    contract = load_contract(pin="6b8287f")
    operations = list(iter_operations(contract.document))
    assert len(operations) == 94
    assert any(
        "user_id" in f.message and "/organization/users/{user_id}" in f.message for f in contract.findings
    )
    names = [o.name for o in contract.overlays]
    assert names[:3] == ["10-error-responses.yaml", "11-unsupported-media-type.yaml", "15-path-parameters.yaml"]
    responses = contract.document["paths"]["/models"]["get"]["responses"]
    assert {"200", "400", "401", "404", "429", "500"} <= set(responses)
    # the raw spec is untouched
    assert set(contract.raw["paths"]["/models"]["get"]["responses"]) == {"200"}


def test_newest_spec_loads_too() -> None:
    contract = load_contract(pin="f85dbe2")
    assert contract.openapi_version.startswith("3.1")
    assert len(list(iter_operations(contract.document))) == 288
    assert any("non-unique" in f.message for f in contract.findings)
    assert "15-path-parameters.yaml" not in [o.name for o in contract.overlays]


def test_no_overlays_means_the_raw_spec() -> None:
    contract = load_contract(pin="6b8287f", overlays=False)
    assert contract.document is contract.raw and contract.overlays == []


def test_every_overlay_names_the_upstream_problem() -> None:
    for overlay in load_overlays():
        text = (Path(__file__).resolve().parents[1] / "spec" / "overlays" / overlay.name).read_text()
        assert text.startswith("# Upstream problem:"), overlay.name


def test_overlay_update_merges_and_remove_removes(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n"
        "  - target: $.a\n    update: {b: 2, l: [3]}\n"
        "  - target: $.a.gone\n    remove: true\n"
    )
    result = apply_overlays({"a": {"b": 1, "l": [1], "gone": True}}, [load_overlay(path)])
    assert result == {"a": {"b": 2, "l": [1, 3]}}


def test_overlay_target_that_selects_nothing_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.nope\n    update: {}\n"
    )
    with pytest.raises(OverlayError, match="selects nothing"):
        apply_overlays({"a": 1}, [load_overlay(path)])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"openapi: [unclosed", "not valid YAML"),
        (b"swagger: '2.0'\npaths: {}\n", "not an OpenAPI 3"),
        (b"openapi: 3.0.0\n", "no `paths`"),
    ],
)
def test_broken_spec_is_one_line_error(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError, match=match) as info:
        load_contract(str(path), findings=False)
    assert "\n" not in str(info.value)


def test_select_by_tag_operation_id_path_and_method() -> None:
    operations = list(iter_operations(load_contract(pin="6b8287f", findings=False).document))
    assert {op.operation_id for op in select_operations(operations, ["Models"])} == {
        "listModels",
        "retrieveModel",
        "deleteModel",
    }
    assert [op.operation_id for op in select_operations(operations, ["createEmbedding"])] == [
        "createEmbedding"
    ]
    assert len(select_operations(operations, ["/models*"])) == 3
    assert [op.operation_id for op in select_operations(operations, ["DELETE /models/{model}"])] == [
        "deleteModel"
    ]
    assert len(select_operations(operations, [], ["Models"])) == 91


def test_the_fast_parser_reads_every_pin_exactly_as_pyyaml(spec_dir: Path) -> None:
    import yaml

    from openai_conformance.openapi.loader import parse_spec

    for path in sorted(spec_dir.glob("openai-openapi-*.yaml")):
        content = path.read_bytes()
        assert parse_spec(content, str(path), pinned=True) == yaml.load(content, Loader=yaml.CSafeLoader), (
            path.name
        )
