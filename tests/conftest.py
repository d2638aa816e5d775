"""Shared fixtures: the pinned spec copies beside the checkout, a scratch cache, servers on loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

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


pytest_plugins = ["pytester"]
