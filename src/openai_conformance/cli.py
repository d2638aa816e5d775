"""``openai-conformance``: run the suite against a target, or serve the reference server.

This is the only place where exceptions become exit statuses: 0 conformant, 1 violations found,
2 a usage error or a target that could not be tested (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from openai_conformance.config import RunConfig, add_options
from openai_conformance.errors import ConformanceError

if TYPE_CHECKING:
    from openai_conformance.results.models import RunResult

__all__ = ["main"]

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    add_options(parser.add_argument)
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the summary")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-conformance",
        description="Conformance tests for OpenAI-compatible API servers, generated from OpenAI's OpenAPI spec.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the suite against a target (default: the embedded reference server)"
    )
    _add_run_options(run)
    serve = commands.add_parser("serve", help="serve the reference server (a conformant OpenAI API mock)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--api-key", help="require this bearer key on every request")
    serve.add_argument(
        "--fault",
        metavar="ID",
        action="append",
        help="switch on a named deviation (repeatable; see --list-faults)",
    )
    serve.add_argument("--list-faults", action="store_true", help="list the deviations the server can inject")
    serve.add_argument("--spec", help="spec to serve: path, URL or pin name (default: pin 6b8287f)")
    report = commands.add_parser("report", help="work with reports")
    report_commands = report.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    merge = report_commands.add_parser("merge", help="merge the reports of shards or workers into one")
    merge.add_argument("reports", nargs="+", help="report.json files or the folders that hold them")
    merge.add_argument(
        "--report-dir", default="reports", help="where the merged reports go (default reports/)"
    )
    diff = report_commands.add_parser(
        "diff",
        help="what changed between two runs: regressions, fixes, changed messages, coverage (exit 1 on a regression)",
    )
    diff.add_argument("old", metavar="OLD", help="the earlier run: a report folder or its report.json")
    diff.add_argument("new", metavar="NEW", help="the later run: a report folder or its report.json")
    diff.add_argument(
        "--format",
        choices=("markdown", "json"),
        default="markdown",
        help="markdown (a PR comment; default) or json",
    )
    diff.add_argument("--output", "-o", metavar="FILE", help="write the diff to FILE as well as printing it")
    diff.add_argument(
        "--fail-on",
        choices=("regression", "never"),
        default="regression",
        help="exit 1 on a regression (default), or never",
    )
    matrix = report_commands.add_parser(
        "matrix", help="several targets' reports as one table: targets x operations and targets x checks"
    )
    matrix.add_argument(
        "reports", nargs="+", metavar="REPORT", help="report folders (or report.json files), one per column"
    )
    matrix.add_argument(
        "--label",
        action="append",
        metavar="NAME",
        help="a column's name, in the order of the reports (default: each report's folder name)",
    )
    matrix.add_argument(
        "--output-dir",
        default="reports/matrix",
        metavar="DIR",
        help="where matrix.html and matrix.md go (default reports/matrix)",
    )
    schema = report_commands.add_parser("schema", help="print the JSON Schema of report.json")
    schema.add_argument(
        "--strict", action="store_true", help="the variant that allows no member it does not name"
    )
    html = report_commands.add_parser(
        "html", help="write report.html again from a report.json (of any 1.x format)"
    )
    html.add_argument("report", metavar="REPORT", help="a report folder or its report.json")
    html.add_argument(
        "--output", "-o", metavar="FILE", help="where to write it (default: report.html beside the report)"
    )
    checks = commands.add_parser("checks", help="list every check the suite runs")
    shown = checks.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="as JSON")
    shown.add_argument("--markdown", action="store_true", help="as Markdown (docs/checks.md)")
    return parser


def _run(args: argparse.Namespace) -> int:
    import contextlib

    from openai_conformance.generation.ahead import start_feed
    from openai_conformance.openapi.loader import load_contract

    config = RunConfig.from_values(vars(args))
    baseline = None
    if config.baseline is not None:  # read before the run: a broken file is said at once
        from openai_conformance.results.baseline import load_baseline

        baseline = load_baseline(config.baseline, missing_ok=config.baseline_update)
    contract = load_contract(config.spec, overlays=config.overlays)
    feed = start_feed(contract, config)  # first: its start-up overlaps the imports below
    with contextlib.ExitStack() as stack:
        if feed is not None:
            stack.callback(feed.close)
        from openai_conformance.events import drive
        from openai_conformance.reporting.console import ConsoleReporter
        from openai_conformance.reporting.files import write_reports
        from openai_conformance.reporting.progress import ProgressDisplay
        from openai_conformance.results.collector import RunCollector
        from openai_conformance.runner import Runner, open_target

        target = stack.enter_context(
            open_target(contract, config.base_url, api_key=config.api_key, faults=config.faults)
        )
        runner = stack.enter_context(Runner(contract, config, target, feed=feed))
        if runner.upstream is not None and not args.quiet:  # where the proxy must forward to
            print(runner.upstream.notice(), flush=True)
        console = ConsoleReporter(quiet=args.quiet, secrets=runner.secrets)
        progress = stack.enter_context(
            ProgressDisplay(console.console, enabled=False if args.quiet else None)
        )
        collector = RunCollector()
        drive(runner.run(), [collector, console, progress])
        progress.close()
        run = collector.result
        updated = None
        if baseline is not None:
            from openai_conformance.results.baseline import apply_baseline

            updated = apply_baseline(run, baseline, update=config.baseline_update)
        write_reports(run, config.report_dir, runner.secrets)
        if updated is not None:
            updated.save()
    console.summary(run, str(config.report_dir))
    _say_baseline(run, config.baseline_update)
    _github(run, config, runner.secrets)
    if run.fatal:
        print(f"openai-conformance: error: {run.fatal}", file=sys.stderr)
    return run.exit_code


def _say_baseline(run: RunResult, update: bool) -> None:
    """A line on what the baseline said: known, new, expired, and what an update wrote."""
    summary = run.baseline
    if summary is None:
        return
    parts = [f"{summary.known} known", f"{run.failing_violations} new failing"]
    if summary.expired:
        parts.append(f"{len(summary.expired)} expired (counted as new)")
    if summary.updated:
        parts.append(f"{summary.added} added, {summary.dropped} fixed and dropped: {summary.file} written")
    elif update:
        parts.append(f"not updated ({run.interrupted or run.fatal}): {summary.file} is as it was")
    elif summary.fixed:
        parts.append(f"{len(summary.fixed)} fixed (drop them with --baseline-update)")
    print(f"baseline {summary.file}: " + ", ".join(parts))


def _github(run: RunResult, config: RunConfig, secrets: tuple[str, ...]) -> None:
    from openai_conformance.reporting.github import github_enabled, write_github

    if not github_enabled(config.report):
        return
    from openai_conformance.reporting.document import report_document

    for line in write_github(report_document(run, secrets), report_dir=str(config.report_dir)):
        print(line)


def _serve(args: argparse.Namespace) -> int:
    from openai_conformance.server.faults import FAULTS

    if args.list_faults:
        for fault in sorted(FAULTS.values(), key=lambda f: f.id):
            print(f"{fault.id:<32} {fault.check:<28} {fault.description}")
        return EXIT_OK
    faults = tuple(args.fault or ())
    unknown = [name for name in faults if name not in FAULTS]
    if unknown:
        raise ConformanceError(f"unknown fault {unknown[0]!r}; see openai-conformance serve --list-faults")
    if not 0 < args.port < 65536:
        raise ConformanceError(f"--port must be between 1 and 65535, not {args.port}")
    from openai_conformance.openapi.loader import load_contract
    from openai_conformance.server.thread import serve

    contract = load_contract(args.spec, findings=False)
    print(f"reference server on http://{args.host}:{args.port}/v1 (Ctrl-C stops it)", flush=True)
    serve(contract.document, host=args.host, port=args.port, api_key=args.api_key, faults=faults)
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    command = args.report_command
    if command == "merge":
        return _report_merge(args)
    if command == "diff":
        return _report_diff(args)
    if command == "matrix":
        return _report_matrix(args)
    if command == "html":
        return _report_html(args)
    return _report_schema(args)


def _report_diff(args: argparse.Namespace) -> int:
    from openai_conformance.reporting.diff import diff_runs
    from openai_conformance.results.merge import load_report

    diff = diff_runs(
        load_report(Path(args.old)), load_report(Path(args.new)), old_name=args.old, new_name=args.new
    )
    text = diff.to_json() if args.format == "json" else diff.to_markdown()
    if args.output:
        _write_text(Path(args.output), text)
    print(text, end="")
    return diff.exit_code if args.fail_on == "regression" else EXIT_OK


def _report_matrix(args: argparse.Namespace) -> int:
    from openai_conformance.reporting.matrix import Column, build_matrix
    from openai_conformance.results.merge import load_report

    labels = list(args.label or [])
    if len(labels) > len(args.reports):
        raise ConformanceError(f"{len(labels)} --label for {len(args.reports)} report(s)")
    columns = []
    for n, name in enumerate(args.reports):
        path = Path(name)
        label = labels[n] if n < len(labels) else (path if path.is_dir() else path.parent).resolve().name
        columns.append(Column(label, load_report(path)))
    matrix = build_matrix(columns)
    written = matrix.write(Path(args.output_dir))
    print(matrix.to_markdown(), end="")
    print("written: " + ", ".join(str(p) for p in written), file=sys.stderr)
    return EXIT_OK


def _report_html(args: argparse.Namespace) -> int:
    import json

    from openai_conformance.reporting.html import render_report
    from openai_conformance.results.merge import load_report

    path = Path(args.report)
    source = path / "report.json" if path.is_dir() else path
    load_report(source)  # says clearly what is wrong with a file that is not a report
    output = Path(args.output) if args.output else source.with_name("report.html")
    _write_text(output, render_report(json.loads(source.read_text(encoding="utf-8"))))
    print(output)
    return EXIT_OK


def _report_schema(args: argparse.Namespace) -> int:
    import json

    from openai_conformance.results.schema import report_schema

    print(json.dumps(report_schema(strict=args.strict), indent=2))
    return EXIT_OK


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConformanceError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _report_merge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from openai_conformance.reporting.console import ConsoleReporter
    from openai_conformance.reporting.files import write_reports
    from openai_conformance.results.merge import load_report, merge_runs

    merged = merge_runs(load_report(Path(path)) for path in args.reports)
    write_reports(merged, Path(args.report_dir))
    ConsoleReporter(quiet=True).summary(merged, args.report_dir)
    return merged.exit_code


def _checks(args: argparse.Namespace) -> int:
    import json

    from openai_conformance.validation.catalogue import CHECKS

    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "severity": c.severity,
                        "description": c.description,
                        "reference": c.reference,
                        "relaxed": c.relaxed or None,
                        "why": c.why,
                        "parameters": [
                            {"operation": p.operation, "name": p.name, "how": p.how} for p in c.parameters
                        ],
                    }
                    for c in CHECKS.values()
                ],
                indent=2,
            )
        )
    elif args.markdown:
        from openai_conformance.reporting.checks import checks_markdown

        print(checks_markdown(CHECKS.values()), end="")
    else:
        for check in CHECKS.values():
            print(f"{check.id:<30} {check.severity:<8} {check.description}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """The console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "report":
            return _report(args)
        return _checks(args)
    except ConformanceError as exc:
        print(f"openai-conformance: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("openai-conformance: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`… | head`): say nothing more, and keep Python from saying it at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
