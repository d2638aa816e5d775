"""report.html in a real browser: no console error, the verdict and every check id shown, filters work,
nothing fetched over the network, readable on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import CliRun, run_cli
from tests.reporting.browser import open_page, require_browser

pytestmark = pytest.mark.slow

FAULTS = ("ignore-n", "stream-chunk-object", "model-owner-missing")


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    require_browser()
    folder = tmp_path_factory.mktemp("report")
    faults = [arg for fault in FAULTS for arg in ("--fault", fault)]
    run = run_cli(folder, "--include", "Chat,Models,Embeddings", *faults)
    assert run.code == 1 and run.violations
    return run


def _visible(page: object, selector: str) -> int:
    return int(page.locator(selector).evaluate_all("els => els.filter(e => e.offsetParent !== null).length"))  # type: ignore[attr-defined]


def test_the_report_in_chromium(faulty_run: CliRun, tmp_path: Path) -> None:
    url = (faulty_run.report_dir / "report.html").resolve().as_uri()
    report = faulty_run.report
    checks = sorted(faulty_run.checks())
    with open_page(tmp_path / "profile") as browsing:
        page = browsing.page
        page.goto(url)
        verdict = page.locator("#verdict h1")
        assert verdict.is_visible() and "violation kind" in verdict.inner_text()
        assert f"{len(faulty_run.violations)} violation kinds" == verdict.inner_text()
        for check in checks:
            assert page.locator(f"#violations details.group[data-check='{check}'] .check-id").is_visible(), (
                check
            )
        text = page.inner_text("body")
        for violation in faulty_run.violations:
            assert violation["check"] in text
        total = len(report["operations"])
        assert _visible(page, "tr.op-row") == total

        # Filtering by text: one check id keeps the operations it was found on.
        page.fill("#q", "semantics.choices_count")
        page.wait_for_function("document.getElementById('count').textContent.includes(' of ')")
        with_check = [
            op
            for op in report["operations"]
            if any(v["check"] == "semantics.choices_count" for v in op["violations"])
        ]
        assert _visible(page, "tr.op-row") == len(with_check) < total
        assert page.inner_text("#count") == f"{len(with_check)} of {total} operations"
        assert _visible(page, "article.finding") == sum(
            1
            for op in with_check
            for v in op["violations"]
            if "semantics.choices_count"
            in " ".join(
                (op["method"], op["path"], op["operation_id"], v["check"], v["pointer"], v["message"])
            ).lower()
        )
        page.click("#clear")
        assert _visible(page, "tr.op-row") == total

        # By outcome: only what passed.
        page.click("#outcomes button[data-outcome='passed']")
        passed = [op for op in report["operations"] if op["outcome"] == "passed"]
        assert _visible(page, "tr.op-row") == len(passed)
        assert _visible(page, "article.finding") == 0
        page.click("#outcomes button[data-outcome='passed']")

        # By check: only that check's findings, and the operations that have it.
        page.select_option("#check", "stream.chunk_schema")
        assert _visible(page, "article.finding") == sum(
            v["check"] == "stream.chunk_schema" for v in faulty_run.violations
        )
        assert _visible(page, "#violations details.group") == 1
        assert "#filter:" in page.url and "stream.chunk_schema" in page.url
        page.reload()
        assert page.input_value("#check") == "stream.chunk_schema", "the filters live in the address"
        page.click("#clear")

        # The copy button copies the reproduction.
        page.locator("button.copy").first.click()
        page.wait_for_function("document.querySelector('button.copy').textContent === 'Copied'")

        # The pointed value is marked in the excerpt of the answer.
        assert page.locator("pre.excerpt mark").count() >= 1
        # A stream that broke a rule is drawn with its broken event marked.
        assert page.locator("#streams .track .tick.broke").count() >= 1
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

    assert not browsing.console_errors, browsing.console_errors
    assert not browsing.refused, f"the page fetched over the network: {browsing.refused}"
    assert set(browsing.served) == {url}, "the page is one file: nothing else is loaded"


def test_the_report_reads_on_a_phone(faulty_run: CliRun, tmp_path: Path) -> None:
    url = (faulty_run.report_dir / "report.html").resolve().as_uri()
    with open_page(tmp_path / "profile", width=390, height=844) as browsing:
        page = browsing.page
        page.goto(url)
        assert page.locator("#verdict h1").is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than a phone's screen"
    assert not browsing.console_errors and not browsing.refused
