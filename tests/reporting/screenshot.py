"""Make docs/report.png: a real report (the reference server with three faults, two of them known to a
baseline) in headless Chromium. ``python -m tests.reporting.screenshot [docs/report.png]``."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path

from openai_conformance.cli import main
from tests.reporting.browser import open_page, require_browser

SELECTION = ("--include", "Chat,Models,Embeddings,Completions", "--quiet")
#: What a reviewer writes into the baseline the first run made.
REASONS = {
    "semantics.choices_count": ("n > 1 is not supported by this server yet", "2027-06-30"),
    "schema.body": ("models carry no owned_by; harmless for our clients", None),
}
KNOWN = ("--fault", "ignore-n", "--fault", "model-owner-missing")
NEW = ("--fault", "stream-chunk-object")


def make(target: Path) -> None:
    require_browser()
    target = target.resolve()
    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch):
        folder = Path(scratch)
        baseline = "conformance/baseline.json"
        main(["run", *SELECTION, *KNOWN, "--baseline", baseline, "--baseline-update", "--report-dir", "a"])
        document = json.loads(Path(baseline).read_text())
        for entry in document["entries"]:
            entry["reason"], entry["expires"] = REASONS.get(entry["check"], ("", None))
            entry["issue"] = "https://github.com/example/llm-server/issues/42" if entry["expires"] else None
        Path(baseline).write_text(json.dumps(document, indent=2))
        main(["run", *SELECTION, *KNOWN, *NEW, "--baseline", baseline, "--report-dir", "b"])
        url = (folder / "b" / "report.html").resolve().as_uri()
        with open_page(folder / "profile", width=1200, height=1900) as browsing:
            browsing.page.goto(url)
            browsing.page.screenshot(path=str(target))
        assert not browsing.console_errors and not browsing.refused


if __name__ == "__main__":
    make(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report.png"))
