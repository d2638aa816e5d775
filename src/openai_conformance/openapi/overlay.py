"""Apply OpenAPI Overlay 1.0 documents to a spec (pure: a new document, the input is untouched).

An overlay is ``{"overlay": "1.0.0", "info": {...}, "actions": [{"target": JSONPath, "update": ...}
| {"target": JSONPath, "remove": true}]}``. ``update`` merges into every node the target selects:
objects recursively, arrays by appending, anything else replaced. An action whose target selects
nothing is an error on a pinned spec (an overlay that silently stops applying would hide a spec
change); on any other spec it is noted and skipped.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonpath_ng.ext.parser import parse as parse_jsonpath

from openai_conformance.errors import OverlayError

__all__ = ["Overlay", "apply_overlays", "default_overlay_dir", "load_overlay", "load_overlays"]


@dataclass(frozen=True, slots=True)
class Overlay:
    """One overlay document and where it came from."""

    name: str
    title: str
    document: dict[str, Any]
    sha256: str


def default_overlay_dir() -> Path:
    """The project's own overlays: ``spec/overlays``."""
    from openai_conformance.openapi.sources import data_dir

    return data_dir() / "overlays"


def load_overlay(path: Path) -> Overlay:
    """Read and check one overlay document."""
    try:
        raw = path.read_bytes()
        document = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise OverlayError(f"cannot read overlay {path}: {exc}") from exc
    if not isinstance(document, dict) or not str(document.get("overlay", "")).startswith("1."):
        raise OverlayError(f"{path} is not an OpenAPI Overlay 1.x document (no `overlay: 1.0.0` key)")
    actions = document.get("actions")
    if not isinstance(actions, list) or not actions:
        raise OverlayError(f"overlay {path} has no actions")
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or not isinstance(action.get("target"), str):
            raise OverlayError(f"overlay {path}: action {index} has no string `target`")
        if "update" not in action and action.get("remove") is not True:
            raise OverlayError(f"overlay {path}: action {index} has neither `update` nor `remove: true`")
    title = str((document.get("info") or {}).get("title", path.stem))
    return Overlay(path.name, title, document, hashlib.sha256(raw).hexdigest())


def load_overlays(folder: Path | None = None) -> list[Overlay]:
    """Every ``*.yaml`` overlay of a folder, in file-name order."""
    folder = folder or default_overlay_dir()
    if not folder.is_dir():
        raise OverlayError(f"overlay folder {folder} does not exist")
    return [load_overlay(path) for path in sorted(folder.glob("*.yaml"))]


def _merge(target: Any, update: Any) -> Any:
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            target[key] = _merge(target[key], value) if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list) and isinstance(update, list):
        target.extend(copy.deepcopy(update))
        return target
    return copy.deepcopy(update)


def _apply_one(document: dict[str, Any], overlay: Overlay, skipped: list[str] | None) -> None:
    for index, action in enumerate(overlay.document["actions"]):
        target = action["target"]
        try:
            matches = parse_jsonpath(target).find(document)
        except Exception as exc:  # the parser raises its own errors and plain ones alike
            raise OverlayError(
                f"overlay {overlay.name}: action {index}: bad JSONPath {target!r}: {exc}"
            ) from exc
        if not matches:
            message = f"overlay {overlay.name}: action {index}: target {target!r} selects nothing"
            if skipped is None:
                raise OverlayError(message)
            skipped.append(message)
            continue
        if action.get("remove") is True:
            for match in reversed(matches):
                parent, key = match.context.value if match.context else None, match.path
                if isinstance(parent, dict):
                    parent.pop(getattr(key, "fields", [None])[0], None)
                elif isinstance(parent, list):
                    parent.pop(getattr(key, "index", -1))
            continue
        for match in matches:
            merged = _merge(match.value, action["update"])
            if merged is not match.value:
                match.full_path.update(document, merged)


def apply_overlays(
    document: dict[str, Any], overlays: Iterable[Overlay], *, skipped: list[str] | None = None
) -> dict[str, Any]:
    """A copy of ``document`` with every overlay applied in order.

    With a ``skipped`` list, an action that selects nothing is noted there instead of being an error
    (for specs that are not pinned, whose shape the overlays were not written for).
    """
    result = copy.deepcopy(document)
    for overlay in overlays:
        _apply_one(result, overlay, skipped)
    return result
