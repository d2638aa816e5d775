"""The package's public surface: curated, complete, importable, and light to import."""

from __future__ import annotations

import subprocess
import sys

import openai_conformance
from openai_conformance import _EXPORTS


def test_all_lists_exactly_the_exported_names() -> None:
    names = openai_conformance.__all__
    assert len(names) == len(set(names))
    assert set(names) == {*_EXPORTS, "__version__"}
    assert dir(openai_conformance) == sorted(names)


def test_every_exported_name_resolves_to_what_its_module_defines() -> None:
    import importlib

    for name, module in _EXPORTS.items():
        value = getattr(openai_conformance, name)
        assert value is getattr(importlib.import_module(module), name), name
    assert len(_EXPORTS) >= 20


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        openai_conformance.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_package_and_its_pytest_plugin_stays_light() -> None:
    heavy = ("schemathesis", "hypothesis", "httpx", "openapi_core", "starlette", "jsonschema_rs")
    code = (
        "import sys, openai_conformance, openai_conformance.pytest_plugin\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_run_from_python_judges_the_reference_server() -> None:
    from openai_conformance import Outcome, RunConfig, run

    events: list[str] = []

    class Names:
        def handle(self, event: openai_conformance.Event) -> None:
            events.append(type(event).__name__)

    result = run(RunConfig(include=("Models",), max_examples=1, seed=3), handlers=[Names()])
    assert [op.operation_id for op in result.operations] == ["listModels", "retrieveModel", "deleteModel"]
    # Each was judged on a success answer: deleteModel names the fine-tuned model, the caller's own.
    assert {op.outcome for op in result.operations} == {Outcome.PASSED}
    assert all(op.reached for op in result.operations)
    assert result.target.embedded and result.exit_code == 0
    assert events[0] == "RunStarted" and events[-1] == "RunFinished"
    assert events.count("OperationFinished") == 3 and "CaseJudged" in events
