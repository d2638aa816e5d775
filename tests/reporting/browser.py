"""Headless Chromium from Debian's packages, driven by Playwright, opening local files only.

Never ``playwright install``: the browser is ``/usr/bin/chromium`` (``.ci/run`` installs it with
apt-get when it is missing). Every request the page makes is routed here: a file: URL is served,
anything else is refused and remembered, so a test can say the page fetched nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def require_browser() -> None:
    """Skip, saying exactly why, when the browser test truly cannot run here."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        pytest.skip(f"the browser test needs Playwright for Python (pip install -e '.[test]'): {exc}")
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(
            f"the browser test needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run does)"
        )


@dataclass
class Browsing:
    """One page in a fresh profile, with what it logged and what it tried to fetch."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)


@contextmanager
def open_page(profile: Path, *, width: int = 1280, height: int = 900) -> Iterator[Browsing]:
    from playwright.sync_api import Route, sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(FLAGS),
            viewport={"width": width, "height": height},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            browsing = Browsing(page)

            def route(route: Route) -> None:
                url = route.request.url
                if url.startswith("file:"):
                    browsing.served.append(url)
                    route.continue_()
                else:
                    browsing.refused.append(url)
                    route.abort()

            context.route("**/*", route)

            def on_console(message: Any) -> None:
                if message.type == "error":
                    browsing.console_errors.append(message.text)

            page.on("console", on_console)
            page.on("pageerror", lambda error: browsing.console_errors.append(f"page error: {error}"))
            yield browsing
        finally:
            context.close()
