"""The registry is the implementation: what ``openai-conformance checks`` lists is what the code emits.

The first tests read the source tree (tests/validation/check_scan.py); the ``scan_`` tests show the
scan catching each way the code could drift from the registry, on small trees written for them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openai_conformance.cli import main
from openai_conformance.validation import registry
from openai_conformance.validation.catalogue import CHECKS
from openai_conformance.validation.registry import CHECK_MODULES, Rule, all_checks, check, get_check, register
from tests.validation.check_scan import Scan, scan

SRC = Path(__file__).resolve().parents[2] / "src"
CONTRACT = Path(__file__).with_name("checks_contract.json")


@pytest.fixture(scope="module")
def source() -> Scan:
    return scan(SRC)


# --- the source tree ----------------------------------------------------------------------------------


def test_no_violation_is_built_outside_the_registry(source: Scan) -> None:
    assert source.direct == []


def test_every_check_is_declared_once_at_module_level(source: Scan) -> None:
    assert source.odd_declarations == []
    assert set(source.declared) == {check.id for check in all_checks()}


def test_every_emission_names_a_declared_check(source: Scan) -> None:
    assert source.unresolved == []
    assert set(source.emitted) - set(source.declared) == set()


def test_every_declared_check_is_emitted_somewhere(source: Scan) -> None:
    assert set(source.declared) - set(source.emitted) == set()


def test_the_modules_that_declare_checks_are_exactly_check_modules(source: Scan) -> None:
    assert source.registering == set(CHECK_MODULES)
    assert len(CHECK_MODULES) == len(set(CHECK_MODULES))


def test_a_check_is_lowered_to_a_warning_only_where_its_declaration_says(source: Scan) -> None:
    relaxed = {check.id for check in all_checks() if check.relaxed}
    assert relaxed == {
        *("schema.body", "errors.envelope", "stream.chunk_schema", "stream.tool_call_arguments"),
        *("stream.event_type", "stream.event_schema"),
        *("responses.output_items", "responses.function_arguments", "responses.max_output_tokens"),
        *("semantics.logprobs", "semantics.json_schema"),
        *("proxy.status", "proxy.field_dropped", "proxy.null_dropped", "proxy.field_added"),
        *("proxy.value_changed", "proxy.stream_chunks"),
        *("state.delete", "state.list", "state.retrieve", "state.lifecycle"),
    }
    assert source.warned == relaxed


# --- the listing ----------------------------------------------------------------------------------------


def test_checks_json_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    ids = [check.id for check in all_checks()]
    assert main(["checks", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in listed] == ids
    relaxed = {entry["id"]: entry["relaxed"] for entry in listed}
    assert relaxed["stream.tool_call_arguments"] and relaxed["stream.done"] is None
    assert main(["checks"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ids
    assert list(CHECKS) == ids


def test_the_public_contract_is_unchanged() -> None:
    """Ids, severities, descriptions and references are named by reports and tests: they stay put."""
    pinned = {entry["id"]: entry for entry in json.loads(CONTRACT.read_text())}
    declared = {
        check.id: {
            "id": check.id,
            "severity": check.severity,
            "description": check.description,
            "reference": check.reference,
        }
        for check in all_checks()
    }
    assert declared == pinned


def test_the_order_does_not_depend_on_what_was_imported_first() -> None:
    program = (
        "import {first}\n"
        "from openai_conformance.validation.registry import all_checks\n"
        "print(' '.join(check.id for check in all_checks()))\n"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", program.format(first=first)], capture_output=True, text=True, check=True
        ).stdout
        for first in ("openai_conformance.capabilities", "openai_conformance.scenarios.auth", "json")
    }
    assert len(orders) == 1
    assert orders.pop().split() == [check.id for check in all_checks()]


def test_checks_are_grouped_by_area() -> None:
    areas = [check.area for check in all_checks()]
    assert areas == sorted(areas, key=registry.AREAS.index)


# --- the registry itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "severity", "needle"),
    [
        ("Stream.Done", "error", "area.rule"),
        ("nowhere.rule", "error", "area"),
        ("stream.rule", "fatal", "severity"),
        ("stream.rule", "error", "CHECK_MODULES"),  # this test module is not one of them
    ],
)
def test_register_refuses(check_id: str, severity: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        register(check_id, severity, "d", "r")  # type: ignore[arg-type]


def test_register_refuses_a_second_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CHECK_MODULES", (*CHECK_MODULES, __name__))
    with pytest.raises(ValueError, match="declared twice"):
        register("stream.done", "error", "d", "r")


def test_violation_severity() -> None:
    done, body, created = (
        get_check("stream.done"),
        get_check("schema.body"),
        get_check("stream.consistent_created"),
    )
    assert done.violation("m", "/p", "k").severity == "error"
    assert (body.violation("m", warning=True).severity, body.violation("m").severity) == ("warning", "error")
    assert created.violation("m").severity == "warning"
    with pytest.raises(ValueError, match="never a warning"):
        done.violation("m", warning=True)
    violation = done.violation("message", "/events/1", "kw")
    assert (violation.check, violation.message, violation.pointer, violation.keyword) == (
        "stream.done",
        "message",
        "/events/1",
        "kw",
    )


def test_a_decorated_function_is_its_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CHECK_MODULES", (*CHECK_MODULES, __name__))
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_DECLARED_IN", dict(registry._DECLARED_IN))

    @check("stream.decorated", "warning")
    def decorated(text: str) -> list[str]:
        """Its first paragraph,
        on two lines, describes it.

        What follows is not part of the declaration.

        Reference: r, on
            two lines
        Why:  a model may
        """
        return [decorated.violation(text, "/p").check]

    assert isinstance(decorated, Rule)
    assert get_check("stream.decorated") is decorated
    assert (decorated.description, decorated.reference, decorated.why) == (
        "Its first paragraph, on two lines, describes it.",
        "r, on two lines",
        "a model may",
    )
    assert decorated("m") == ["stream.decorated"]
    assert decorated.violation("m").severity == "warning"


def test_check_refuses_a_function_without_a_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CHECK_MODULES", (*CHECK_MODULES, __name__))
    with pytest.raises(ValueError, match="no description"):

        @check("stream.undescribed", "error")
        def undescribed() -> None:
            pass

    with pytest.raises(ValueError, match="no Reference"):

        @check("stream.unreferenced", "error")
        def unreferenced() -> None:
            """Described.

            Why: w
            """

    with pytest.raises(ValueError, match="declared twice"):

        @check("stream.done", "error")
        def done() -> None:
            """Described.

            Reference: r
            """


def test_check_refuses_a_module_outside_check_modules() -> None:
    with pytest.raises(ValueError, match="CHECK_MODULES"):

        @check("stream.elsewhere", "error")
        def elsewhere() -> None:
            """Described.

            Reference: r
            """


def test_get_check_names_an_unknown_id() -> None:
    with pytest.raises(KeyError, match=r"nope\.nothing"):
        get_check("nope.nothing")


# --- the scan catches each drift ---------------------------------------------------------------------------


def _tree(tmp_path: Path, **modules: str) -> Scan:
    package = tmp_path / "openai_conformance"
    for name, text in {"__init__": "", **modules}.items():
        path = package / (name.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(text))
    return scan(tmp_path)


RULES = """
    from openai_conformance.validation.registry import register

    DONE = register("stream.done", "error", "d", "r")
    CUT = register("stream.cut", "error", "d", "r")
"""


def test_scan_finds_a_violation_built_directly(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        rogue="""
            from openai_conformance.validation import violations
            from openai_conformance.validation.violations import Violation, Violation as Made

            FIRST = Violation("a.b", "m")
            SECOND = Made("a.b", "m")
            THIRD = violations.Violation("a.b", "m")
        """,
    )
    assert found.direct == [
        "openai_conformance.rogue:5",
        "openai_conformance.rogue:6",
        "openai_conformance.rogue:7",
    ]


def _with_rules(tmp_path: Path, user: str) -> Scan:
    """A tree of two modules: ``rules`` declares two checks, ``user`` is the code under scan."""
    return _tree(tmp_path, rules=RULES, user=user)


def test_scan_resolves_imports_conditionals_and_locals(tmp_path: Path) -> None:
    found = _with_rules(
        tmp_path,
        """
            from openai_conformance.rules import CUT, DONE
            from openai_conformance import rules

            def first(flag):
                check = DONE if flag else CUT
                return check.violation("m")

            def second():
                return rules.DONE.violation("m", warning=True)
        """,
    )
    assert found.unresolved == []
    assert set(found.emitted) == {"stream.done", "stream.cut"}
    assert found.warned == {"stream.done"}
    assert found.registering == {"openai_conformance.rules"}


def test_scan_finds_an_unused_declaration_and_an_undeclared_receiver(tmp_path: Path) -> None:
    found = _with_rules(
        tmp_path,
        """
            from openai_conformance.rules import DONE

            def judge(check):
                yield DONE.violation("m")
                yield check.violation("m")
        """,
    )
    assert found.unresolved == ["openai_conformance.user:6"]
    assert set(found.declared) - set(found.emitted) == {"stream.cut"}


def test_scan_reads_decorated_checks(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        rules="""
            from openai_conformance.validation import registry
            from openai_conformance.validation.registry import check

            @check("stream.done", "error")
            def done(stream):
                \"\"\"The stream ends with [DONE].\"\"\"
                yield done.violation("m")

            @registry.check("stream.cut", "error")
            def cut(stream):
                \"\"\"The stream is not cut.\"\"\"
                return []
        """,
        user="""
            from openai_conformance.rules import cut

            def judge(stream):
                yield cut.violation("m", warning=True)
        """,
    )
    # A decorated check is declared at its def line, and emitted where its violations are built.
    assert found.declared == {
        "stream.done": "openai_conformance.rules:6",
        "stream.cut": "openai_conformance.rules:11",
    }
    assert sorted(found.emitted) == ["stream.cut", "stream.done"]
    assert (found.odd_declarations, found.unresolved, found.warned, found.registering) == (
        [],
        [],
        {"stream.cut"},
        {"openai_conformance.rules"},
    )


def test_scan_finds_a_decorated_check_it_cannot_read(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        nested="""
            from openai_conformance.validation.registry import check

            def make():
                @check("stream.inner", "error")
                def inner(stream):
                    \"\"\"Declared where no listing imports it.\"\"\"
                return inner
        """,
    )
    assert found.odd_declarations == ["openai_conformance.nested"]
    assert found.declared == {}


def test_scan_finds_a_declaration_it_cannot_read(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        loop="""
            from openai_conformance.validation.registry import register

            CHECKS = [register(f"stream.{name}", "error", "d", "r") for name in ("a", "b")]
        """,
    )
    assert found.odd_declarations == ["openai_conformance.loop"]
    assert found.registering == {"openai_conformance.loop"}


# --- the severity policy ---------------------------------------------------------------------------------


def test_every_declaration_says_why_it_has_its_severity() -> None:
    assert registry.policy_gaps() == []
    assert all(check.why for check in all_checks())


def test_the_policy_finds_a_declaration_without_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CHECK_MODULES", (*CHECK_MODULES, __name__))
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_DECLARED_IN", dict(registry._DECLARED_IN))
    register("stream.unexplained", "error", "d", "r")
    register("stream.lenient", "warning", "d", "r", relaxed="never", why="a model may")
    gaps = registry.policy_gaps()
    assert gaps == [
        "stream.unexplained (error) does not say why a correct server cannot break it",
        "stream.lenient is a warning already: `relaxed` says nothing",
    ]
