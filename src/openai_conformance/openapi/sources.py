"""Where the spec comes from: pins, a local path or URL, the cache, or a verified download.

Resolution order: an explicit ``--spec`` value (a path, a URL or a pin name), then the
``OPENAI_CONFORMANCE_SPEC`` environment variable, then the cache (keyed by sha256), then a download
of the pinned address whose sha256 is checked before it is cached.  A directory given as a path is a
mirror: the file in it whose sha256 matches the pin is used.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from openai_conformance.errors import ConfigError, SpecError, SpecUnavailableError

__all__ = ["ENV_CACHE", "ENV_SPEC", "Pin", "SpecSource", "data_dir", "load_pins", "resolve_spec"]

ENV_SPEC = "OPENAI_CONFORMANCE_SPEC"
ENV_CACHE = "OPENAI_CONFORMANCE_CACHE"
_DOWNLOAD_TIMEOUT = 60.0
_MAX_SPEC_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Pin:
    """One pinned upstream version of the spec."""

    name: str
    commit: str
    sha256: str
    url: str
    openapi: str
    operations: int


@dataclass(frozen=True, slots=True)
class SpecSource:
    """The bytes of a spec and where they came from."""

    content: bytes
    sha256: str
    origin: str  # "path", "url", "cache" or "download"
    location: str
    pin: Pin | None


def data_dir() -> Path:
    """The project's ``spec/`` folder: shipped inside the wheel, or beside ``src/`` in a checkout."""
    shipped = Path(__file__).resolve().parent.parent / "_spec"
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[3] / "spec"


def load_pins() -> tuple[dict[str, Pin], str]:
    """Read ``spec/pins.toml``: every pin by name, and the name of the default one."""
    path = data_dir() / "pins.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"cannot read the spec pins at {path}: {exc}") from exc
    pins = {
        name: Pin(
            name=name,
            commit=entry["commit"],
            sha256=entry["sha256"],
            url=entry["url"],
            openapi=entry["openapi"],
            operations=int(entry["operations"]),
        )
        for name, entry in doc["pins"].items()
    }
    return pins, str(doc["default"])


def cache_dir() -> Path:
    """Where downloaded specs are kept, one file per sha256."""
    if env := os.environ.get(ENV_CACHE):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "openai-conformance"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _find_pin(pins: dict[str, Pin], value: str) -> Pin | None:
    for pin in pins.values():
        if value in (pin.name, pin.commit, pin.sha256) or (len(value) >= 7 and pin.commit.startswith(value)):
            return pin
    return None


def _read_path(path: Path, pin: Pin | None) -> SpecSource:
    if path.is_dir():
        return _read_mirror(path, pin)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the spec file {path}: {exc.strerror or exc}") from exc
    digest = _sha256(content)
    pins, _ = load_pins()
    known = next((p for p in pins.values() if p.sha256 == digest), None)
    return SpecSource(content, digest, "path", str(path), known)


def _read_mirror(folder: Path, pin: Pin | None) -> SpecSource:
    if pin is None:
        pins, default = load_pins()
        pin = pins[default]
    candidates = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) + sorted(folder.glob("*.json"))
    # Files named after the pin are tried first, so a mirror folder is cheap to search.
    candidates.sort(key=lambda p: pin.commit[:7] not in p.name)
    for candidate in candidates:
        content = candidate.read_bytes()
        if _sha256(content) == pin.sha256:
            return SpecSource(content, pin.sha256, "path", str(candidate), pin)
    raise SpecError(f"no file in {folder} has the sha256 of spec pin {pin.name} ({pin.sha256[:12]}…)")


def _download(url: str) -> bytes:
    import httpx  # only here: a spec on disk or in the cache never needs it

    try:
        with httpx.Client(timeout=_DOWNLOAD_TIMEOUT, follow_redirects=True) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        raise SpecUnavailableError(f"cannot download the spec from {url}: {exc}") from exc
    if response.status_code != 200:
        raise SpecUnavailableError(f"cannot download the spec from {url}: HTTP {response.status_code}")
    if len(response.content) > _MAX_SPEC_BYTES:
        raise SpecError(f"the spec at {url} is larger than {_MAX_SPEC_BYTES} bytes")
    return response.content


def _from_pin(pin: Pin, *, download: bool) -> SpecSource:
    cached = cache_dir() / f"{pin.sha256}.yaml"
    if cached.is_file():
        content = cached.read_bytes()
        if _sha256(content) == pin.sha256:
            return SpecSource(content, pin.sha256, "cache", str(cached), pin)
    if not download:
        raise SpecUnavailableError(_offline_message(pin))
    try:
        content = _download(pin.url)
    except SpecUnavailableError as exc:
        raise SpecUnavailableError(_offline_message(pin)) from exc
    digest = _sha256(content)
    if digest != pin.sha256:
        raise SpecError(
            f"the spec downloaded from {pin.url} has sha256 {digest}, not the pinned {pin.sha256}; "
            "refusing to use it"
        )
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(cached)
    except OSError:
        pass  # A read-only cache only costs a download next time.
    return SpecSource(content, digest, "download", pin.url, pin)


def _offline_message(pin: Pin) -> str:
    return (
        f"The OpenAI spec (pin {pin.name}) is not cached and could not be downloaded from {pin.url}; "
        f"download that file yourself and pass it with --spec PATH or the {ENV_SPEC} environment variable."
    )


def resolve_spec(
    value: str | None = None, *, pin_name: str | None = None, download: bool = True
) -> SpecSource:
    """Find the spec's bytes, in the documented resolution order.

    ``value`` is what the user gave with ``--spec``: a path (file or mirror folder), an http(s) URL or a
    pin name. ``pin_name`` chooses the pin when ``value`` is a mirror folder or absent.
    """
    pins, default = load_pins()
    pin: Pin | None = None
    if pin_name is not None:
        pin = _find_pin(pins, pin_name)
        if pin is None:
            raise ConfigError(f"unknown spec pin {pin_name!r}; known pins: {', '.join(sorted(pins))}")
    if value and not os.path.exists(value) and not value.startswith(("http://", "https://")):
        as_pin = _find_pin(pins, value)
        if as_pin is None:
            raise ConfigError(f"--spec {value!r} is neither an existing path, an http(s) URL nor a pin name")
        pin, value = as_pin, None
        env = os.environ.get(ENV_SPEC)
        # A mirror folder in the environment still serves an explicitly named pin.
        if env and Path(env).expanduser().is_dir():
            return _read_mirror(Path(env).expanduser(), pin)
        return _from_pin(pin, download=download)
    chosen = value or os.environ.get(ENV_SPEC) or None
    if chosen:
        if chosen.startswith(("http://", "https://")):
            content = _download(chosen)
            digest = _sha256(content)
            known = next((p for p in pins.values() if p.sha256 == digest), None)
            return SpecSource(content, digest, "url", chosen, known)
        path = Path(chosen).expanduser()
        if not path.exists():
            raise ConfigError(f"the spec path {chosen!r} does not exist")
        return _read_path(path, pin)
    return _from_pin(pin or pins[default], download=download)
