"""Read a spec, report what is wrong with it as findings, apply the overlays: a :class:`Contract`."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import pickle
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from openai_conformance.errors import OverlayError, SpecError
from openai_conformance.openapi.discriminators import complete_discriminators
from openai_conformance.openapi.nullable import nullable_as_31
from openai_conformance.openapi.overlay import Overlay, apply_overlays, load_overlays
from openai_conformance.openapi.sources import SpecSource, cache_dir, resolve_spec

__all__ = [
    "CONTRACT_FORMAT",
    "Contract",
    "SpecFinding",
    "find_spec_problems",
    "load_contract",
    "overlays_digest",
    "parse_spec",
]

_MAX_FINDINGS = 200
_FINDINGS_FORMAT = 2
_FINDINGS_TIMEOUT = 300.0  # seconds; strict validation of the 3 MB f85dbe2 takes about 6


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
    source: SpecSource
    overlays: list[Overlay]
    _findings: list[SpecFinding] | None = None
    _pending: concurrent.futures.Future[tuple[list[SpecFinding], list[SpecFinding]]] | None = None
    _remaining: list[SpecFinding] | None = None  # what strict validation still says after the overlays
    _raw: dict[str, Any] | None = None
    _generation: dict[str, Any] | None = None
    overlay_notes: list[str] = field(default_factory=list)  # actions that did not apply; corrections

    @property
    def findings(self) -> list[SpecFinding]:
        """What strict validation says of the spec; computed in the background on a spec's first use."""
        if self._findings is None:
            if self._pending is None:
                return []
            try:
                self._findings, self._remaining = self._pending.result(timeout=_FINDINGS_TIMEOUT)
            except Exception as exc:  # the check is a courtesy: never let it sink a run
                self._findings = [
                    SpecFinding(f"strict spec validation did not finish: {type(exc).__name__}: {exc}", "")
                ]
            self._pending = None
        return self._findings

    def spec_findings(self) -> list[dict[str, Any]]:
        """The findings as the report lists them: each once (``places``: how often strict validation
        said it), and whether an overlay corrected it (``corrected``: gone from the overlaid spec)."""
        findings = self.findings
        remaining = (
            None
            if self._remaining is None or not self.overlays
            else {(f.message, f.location) for f in self._remaining}
        )
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for finding in findings:
            key = (finding.message, finding.location)
            if key in merged:
                merged[key]["places"] += 1
                continue
            merged[key] = {
                **finding.to_dict(),
                "places": 1,
                "corrected": remaining is not None and key not in remaining,
            }
        return list(merged.values())

    @property
    def raw(self) -> dict[str, Any]:
        """The spec as published (parsed again on demand when the contract came from the cache)."""
        if self._raw is None:
            self._raw = (
                self.document if not self.overlays else parse_spec(self.source.content, self.source.location)
            )
        return self._raw

    @property
    def generation_document(self) -> dict[str, Any]:
        """The spec as requests are generated from it: object schemas closed (generation/cases.py)."""
        if self._generation is None:
            from openai_conformance.generation.cases import close_object_schemas

            self._generation = close_object_schemas(self.document)
        return self._generation

    @property
    def openapi_version(self) -> str:
        return str(self.document.get("openapi", ""))

    @property
    def title(self) -> str:
        info = self.document.get("info") or {}
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
            "overlay_notes": list(self.overlay_notes),
        }


def _parse_pinned(content: bytes) -> Any:
    """A pinned spec through yaml-rs: ten times faster than libyaml, and tested to give the very same
    document for every pin (tests/test_loader.py). Other specs keep PyYAML's YAML 1.1 reading."""
    import yaml_rs

    return yaml_rs.loads(content.decode("utf-8"))


def parse_spec(content: bytes, location: str, *, pinned: bool = False) -> dict[str, Any]:
    """YAML or JSON bytes to a spec document; anything that is not an OpenAPI 3 document is an error."""
    try:
        document = _parse_pinned(content) if pinned else None
    except Exception:
        document = None  # the pin was checked by sha256; PyYAML reads it the documented way
    try:
        if document is None:
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


def _read_findings(path: Path) -> tuple[list[SpecFinding], list[SpecFinding]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == _FINDINGS_FORMAT:
            return (
                [SpecFinding(**item) for item in data["findings"]],
                [SpecFinding(**item) for item in data["remaining"]],
            )
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _compute_findings(
    content: bytes, location: str, path: Path, pinned: bool, overlaid: dict[str, Any] | None
) -> tuple[list[SpecFinding], list[SpecFinding]]:
    """Strictly validate a spec as published and as overlaid, and cache what was found (runs in a
    helper process): what the overlays corrected is what the overlaid spec no longer shows."""
    findings = find_spec_problems(parse_spec(content, location, pinned=pinned))
    remaining = findings if overlaid is None else find_spec_problems(overlaid)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": _FINDINGS_FORMAT,
            "findings": [f.to_dict() for f in findings],
            "remaining": [f.to_dict() for f in remaining],
        }
        path.write_text(json.dumps(payload), encoding="utf-8")
    except OSError:
        pass
    return findings, remaining


def _start_findings(contract: Contract) -> None:
    """Cached findings now, or their computation started in a helper process (seconds on a large spec)."""
    digest = overlays_digest(contract.overlays)[:16] if contract.overlays else "raw"
    path = cache_dir() / f"{contract.source.sha256}.{digest}.findings.json"
    cached = _read_findings(path)
    if cached is not None:
        contract._findings, contract._remaining = cached
        return
    context = multiprocessing.get_context("spawn")
    executor = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context)
    contract._pending = executor.submit(
        _compute_findings,
        contract.source.content,
        contract.source.location,
        path,
        contract.source.pin is not None,
        contract.document if contract.overlays else None,
    )
    executor.shutdown(wait=False)


def _applicable(overlays: list[Overlay], source: SpecSource) -> list[Overlay]:
    chosen = []
    for overlay in overlays:
        pins = (overlay.document.get("info") or {}).get("x-pins")
        if pins and (source.pin is None or source.pin.name not in pins):
            continue
        chosen.append(overlay)
    return chosen


# The cached contract holds the corrections made by rule (discriminators.py, nullable.py): bump it
# when they change.
CONTRACT_FORMAT = 7


def _contract_cache(source: SpecSource, overlays: list[Overlay]) -> Path:
    return cache_dir() / f"{source.sha256}.{overlays_digest(overlays)[:16]}.v{CONTRACT_FORMAT}.pickle"


def _load_cached(path: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]] | None:
    # The cache holds only what this tool wrote for a spec whose sha256 it checked; it is the user's own
    # folder. A file that does not read back is ignored and written anew.
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
        return data["document"], data["generation"], list(data.get("overlay_notes", []))
    except Exception:
        return None


def _store(path: Path, document: dict[str, Any], generation: dict[str, Any], notes: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        with tmp.open("wb") as handle:
            pickle.dump(
                {"document": document, "generation": generation, "overlay_notes": notes},
                handle,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache costs a parse next time, nothing more


def load_contract(
    spec: str | None = None,
    *,
    pin: str | None = None,
    overlays: bool = True,
    overlay_dir: Path | None = None,
    findings: bool = True,
) -> Contract:
    """Resolve, parse and overlay the spec; collect its findings. Cached by sha256 and overlays."""
    source = resolve_spec(spec, pin_name=pin)
    all_overlays = load_overlays(overlay_dir) if overlays else []
    chosen = _applicable(all_overlays, source) if overlays else []  # depends on the pin alone
    cache = _contract_cache(source, chosen)
    cached = _load_cached(cache)
    if cached is not None:
        document, generation, notes = cached
        contract = Contract(
            document=document, source=source, overlays=chosen, _generation=generation, overlay_notes=notes
        )
    else:
        raw = parse_spec(source.content, source.location, pinned=source.pin is not None)
        skipped: list[str] | None = None if source.pin is not None else []
        try:
            document = apply_overlays(raw, chosen, skipped=skipped) if chosen else raw
        except OverlayError:
            raise
        except Exception as exc:
            raise OverlayError(f"applying the overlays failed: {type(exc).__name__}: {exc}") from exc
        notes = list(skipped or [])
        if overlays:  # an erratum of its own kind, corrected with the overlays (not with --no-overlays)
            for correct in (complete_discriminators, nullable_as_31):
                document, note = correct(document)
                notes += [note] if note else []
        contract = Contract(document=document, source=source, overlays=chosen, _raw=raw, overlay_notes=notes)
        _store(cache, document, contract.generation_document, contract.overlay_notes)
    if findings:
        _start_findings(contract)
    return contract


def overlays_digest(overlays: list[Overlay]) -> str:
    """One sha256 over the applied overlays, for cache keys."""
    digest = hashlib.sha256()
    for overlay in overlays:
        digest.update(overlay.sha256.encode())
    return digest.hexdigest()
