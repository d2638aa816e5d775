"""Shared fixtures: the pinned spec copies beside the checkout, a scratch cache, servers on loopback."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = Path(os.environ.get("OPENAI_CONFORMANCE_SPEC") or ROOT.parent / "shared" / "spec")

# Every test reads the spec from the pinned copies and caches into a scratch folder.
os.environ.setdefault("OPENAI_CONFORMANCE_SPEC", str(SPEC_DIR))
os.environ.setdefault("OPENAI_CONFORMANCE_CACHE", str(ROOT / ".pytest-cache-spec"))

ServeApp = Callable[[Starlette], AbstractContextManager[str]]


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    if not SPEC_DIR.exists():
        pytest.fail(f"the pinned spec copies are missing: {SPEC_DIR}")
    return SPEC_DIR


@pytest.fixture
def serve_app() -> ServeApp:
    """Serve a Starlette app on a free 127.0.0.1 port for the duration of a ``with`` block."""
    from openai_conformance.server.thread import serve_in_thread

    return serve_in_thread


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield


@functools.cache
def _report_validator() -> Any:
    from jsonschema import Draft202012Validator

    from openai_conformance.results.schema import report_schema

    return Draft202012Validator(report_schema(strict=True))


def assert_report_follows_schema(document: Any) -> None:
    """``document`` is a report.json of the current format, by the strict schema (no member it does not name)."""
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}" for e in _report_validator().iter_errors(document)
    ]
    assert not errors, "report.json breaks its published schema:\n" + "\n".join(errors[:20])


@pytest.fixture(autouse=True)
def _reports_follow_their_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report.json a test writes (through write_reports) validates against the published schema."""
    from openai_conformance.reporting import files

    to_json = files.to_json

    def checked(run: Any, secrets: Iterable[str] = ()) -> str:
        text = to_json(run, secrets)
        assert_report_follows_schema(json.loads(text))
        return text

    monkeypatch.setattr(files, "to_json", checked)


pytest_plugins = ["pytester"]
