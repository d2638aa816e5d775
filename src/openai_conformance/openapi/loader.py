"""Read a spec, report what is wrong with it as findings, apply the overlays: a :class:`Contract`."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from openai_conformance.errors import OverlayError, SpecError
from openai_conformance.openapi.overlay import Overlay, apply_overlays, load_overlays
from openai_conformance.openapi.sources import SpecSource, cache_dir, resolve_spec

__all__ = ["Contract", "SpecFinding", "find_spec_problems", "load_contract", "parse_spec"]

_MAX_FINDINGS = 200
_FINDINGS_FORMAT = 1


@dataclass(frozen=True, slots=True)
class SpecFinding:
    """Something wrong with the spec itself (not with the server): reported, never fatal."""

    message: str
    location: str  # a JSON pointer into the spec, or a path/method label

    def to_dict(self) -> dict[str, str]:
        return {"message": self.message, "location": self.location}


@dataclass
class Contract:
    """The spec as the suite judges by it: parsed, overlaid, with its findings."""

    document: dict[str, Any]  # the overlaid spec
    raw: dict[str, Any]  # the spec as published
    source: SpecSource
    overlays: list[Overlay]
    findings: list[SpecFinding] = field(default_factory=list)

    @property
    def openapi_version(self) -> str:
        return str(self.raw.get("openapi", ""))

    @property
    def title(self) -> str:
        info = self.raw.get("info") or {}
        return f"{info.get('title', 'OpenAPI')} {info.get('version', '')}".strip()

    @cached_property
    def server_base(self) -> tuple[str, str]:
        """Scheme+host and base path of the spec's first server, as openapi-core matches them."""
        servers = self.document.get("servers") or [{"url": "/"}]
        url = str(servers[0].get("url", "/"))
        match = re.match(r"^(https?://[^/]+)(/.*)?$", url)
        if match:
            return match.group(1), (match.group(2) or "").rstrip("/")
        return "http://localhost", url.rstrip("/")

    def describe(self) -> dict[str, Any]:
        """The spec's identity for reports."""
        pin = self.source.pin
        return {
            "title": self.title,
            "openapi": self.openapi_version,
            "sha256": self.source.sha256,
            "origin": self.source.origin,
            "location": self.source.location,
            "pin": pin.name if pin else None,
            "commit": pin.commit if pin else None,
            "overlays": [{"name": o.name, "title": o.title, "sha256": o.sha256} for o in self.overlays],
        }


def parse_spec(content: bytes, location: str) -> dict[str, Any]:
    """YAML or JSON bytes to a spec document; anything that is not an OpenAPI 3 document is an error."""
    try:
        document = yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"the spec {location} is not valid YAML or JSON{where}") from exc
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise SpecError(f"the spec {location} is not an OpenAPI 3 document (no `openapi: 3.x` key)")
    if not isinstance(document.get("paths"), dict):
        raise SpecError(f"the spec {location} has no `paths` object")
    return document


def _finding_from_error(error: Exception) -> SpecFinding:
    message = str(error).split("\n", 1)[0]
    path = [str(part) for part in getattr(error, "path", []) or []]
    location = "/" + "/".join(path) if path else ""
    return SpecFinding(message=message, location=location)


def find_spec_problems(document: dict[str, Any]) -> list[SpecFinding]:
    """What strict validation (openapi-spec-validator) says about the spec, at most 200 findings."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    validator_cls = (
        OpenAPIV31SpecValidator if str(document.get("openapi")).startswith("3.1") else OpenAPIV30SpecValidator
    )
    findings: list[SpecFinding] = []
    try:
        for error in validator_cls(document).iter_errors():
            findings.append(_finding_from_error(error))
            if len(findings) >= _MAX_FINDINGS:
                break
    except Exception as exc:  # the validator itself broke on this spec: that too is a finding
        findings.append(SpecFinding(f"the spec validator stopped: {type(exc).__name__}: {exc}", ""))
    return findings


def _cached_findings(sha256: str, document: dict[str, Any]) -> list[SpecFinding]:
    path = cache_dir() / f"{sha256}.findings.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == _FINDINGS_FORMAT:
            return [SpecFinding(**item) for item in data["findings"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    findings = find_spec_problems(document)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": _FINDINGS_FORMAT, "findings": [f.to_dict() for f in findings]}
        path.write_text(json.dumps(payload), encoding="utf-8")
    except OSError:
        pass
    return findings


def _applicable(overlays: list[Overlay], source: SpecSource) -> list[Overlay]:
    chosen = []
    for overlay in overlays:
        pins = (overlay.document.get("info") or {}).get("x-pins")
        if pins and (source.pin is None or source.pin.name not in pins):
            continue
        chosen.append(overlay)
    return chosen


def load_contract(
    spec: str | None = None,
    *,
    pin: str | None = None,
    overlays: bool = True,
    overlay_dir: Path | None = None,
    findings: bool = True,
) -> Contract:
    """Resolve, parse and overlay the spec; collect its findings."""
    source = resolve_spec(spec, pin_name=pin)
    raw = parse_spec(source.content, source.location)
    chosen = _applicable(load_overlays(overlay_dir), source) if overlays else []
    try:
        document = apply_overlays(raw, chosen) if chosen else raw
    except OverlayError:
        raise
    except Exception as exc:
        raise OverlayError(f"applying the overlays failed: {type(exc).__name__}: {exc}") from exc
    found = _cached_findings(source.sha256, raw) if findings else []
    return Contract(document=document, raw=raw, source=source, overlays=chosen, findings=found)


def overlays_digest(overlays: list[Overlay]) -> str:
    """One sha256 over the applied overlays, for cache keys."""
    digest = hashlib.sha256()
    for overlay in overlays:
        digest.update(overlay.sha256.encode())
    return digest.hexdigest()
