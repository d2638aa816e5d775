"""Fixtures of the reference server's tests: the spec (raw and overlaid) and its response validator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from openai_conformance.server import create_app

from .helpers import API_KEY, overlay

_PIN_FILE = "openai-openapi-6b8287f.yaml"


def spec_path() -> Path:
    """The 6b8287f spec: ``$OPENAI_CONFORMANCE_SPEC`` (a file or a folder), else the shared folder."""
    env = os.environ.get("OPENAI_CONFORMANCE_SPEC")
    location = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "spec"
    if location.is_dir():
        named = location / _PIN_FILE
        if named.is_file():
            return named
        candidates = sorted(location.glob("*6b8287f*.y*ml")) or sorted(location.glob("*.yaml"))
        if not candidates:
            pytest.skip(f"no spec file in {location}")
        return candidates[0]
    if not location.is_file():
        pytest.skip(f"spec not found at {location}")
    return location


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The raw 6b8287f spec (never mutate it)."""
    with spec_path().open("rb") as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=yaml.CSafeLoader)
    return loaded


@pytest.fixture(scope="session")
def overlaid_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the corrections the suite's loader applies (error responses, missing parameters)."""
    return overlay(spec)


@pytest.fixture(scope="session")
def openapi(overlaid_spec: dict[str, Any]) -> Any:
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(overlaid_spec, config=Config(spec_validator_cls=None))


@pytest.fixture
def client(spec: dict[str, Any]) -> Iterator[TestClient]:
    """A fresh reference server (key enforced) behind starlette's test client."""
    with TestClient(create_app(spec, api_key=API_KEY), headers={"Authorization": f"Bearer {API_KEY}"}) as c:
        yield c
