"""Where the spec comes from: explicit path, environment, mirror folder, cache, verified download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from openai_conformance.errors import ConfigError, SpecError, SpecUnavailableError
from openai_conformance.openapi import sources
from openai_conformance.openapi.sources import ENV_SPEC, load_pins, resolve_spec

PIN_6B = "57b68824e1d0c20cfa866db4df3868b8a2e8de11f8d545da1f090298b1b8a3fb"


def test_pins_name_both_upstream_versions() -> None:
    pins, default = load_pins()
    assert default == "6b8287f"
    assert pins["6b8287f"].sha256 == PIN_6B
    assert pins["f85dbe2"].operations == 288
    assert all(pin.commit in pin.url for pin in pins.values())


def test_mirror_folder_serves_each_pin(spec_dir: Path) -> None:
    for name in ("6b8287f", "f85dbe2"):
        source = resolve_spec(str(spec_dir), pin_name=name)
        assert source.pin is not None and source.pin.name == name
        assert hashlib.sha256(source.content).hexdigest() == source.pin.sha256


def test_pin_name_uses_the_mirror_in_the_environment(spec_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SPEC, str(spec_dir))
    assert resolve_spec("f85dbe2").sha256 == load_pins()[0]["f85dbe2"].sha256


def test_explicit_path_beats_the_environment(
    tmp_path: Path, spec_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SPEC, str(tmp_path / "nowhere.yaml"))
    source = resolve_spec(str(spec_dir / "openai-openapi-6b8287f.yaml"))
    assert source.origin == "path" and source.pin is not None and source.pin.name == "6b8287f"


def test_unknown_value_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither an existing path"):
        resolve_spec("no-such-pin-or-file")


def _no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_SPEC, raising=False)
    monkeypatch.setenv(sources.ENV_CACHE, str(tmp_path / "cache"))

    def refuse(url: str) -> bytes:
        raise SpecUnavailableError(f"cannot download the spec from {url}: no network")

    monkeypatch.setattr(sources, "_download", refuse)


def test_offline_without_a_spec_says_what_to_do_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_network(monkeypatch, tmp_path)
    with pytest.raises(SpecUnavailableError) as info:
        resolve_spec()
    message = str(info.value)
    assert "\n" not in message and message.count(". ") == 0
    assert "--spec PATH" in message and ENV_SPEC in message


def test_download_is_verified_and_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec_dir: Path
) -> None:
    content = (spec_dir / "openai-openapi-6b8287f.yaml").read_bytes()
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, content=content)

    monkeypatch.delenv(ENV_SPEC, raising=False)
    monkeypatch.setenv(sources.ENV_CACHE, str(tmp_path / "cache"))
    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(handler)))
    first = resolve_spec()
    second = resolve_spec()
    assert first.origin == "download" and second.origin == "cache"
    assert len(calls) == 1 and "6b8287f521a6d79d4cce2e35533506abc15fc646" in calls[0]
    assert (tmp_path / "cache" / f"{PIN_6B}.yaml").exists()


def test_download_with_the_wrong_sha256_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_SPEC, raising=False)
    monkeypatch.setenv(sources.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(sources, "_download", lambda url: b"openapi: 3.0.0\npaths: {}\n")
    with pytest.raises(SpecError, match="not the pinned"):
        resolve_spec()
    assert not (tmp_path / "cache" / f"{PIN_6B}.yaml").exists()
