"""``openai-conformance``: run the suite against a target, or serve the reference server.

This is the only place where exceptions become exit statuses: 0 conformant, 1 violations found,
2 a usage error or a target that could not be tested (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from openai_conformance.config import RunConfig, add_options
from openai_conformance.errors import ConformanceError

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
    contract = load_contract(config.spec, overlays=config.overlays)
    feed = start_feed(contract, config)  # first: its start-up overlaps the imports below
    with contextlib.ExitStack() as stack:
        if feed is not None:
            stack.callback(feed.close)
        from openai_conformance.events import drive
        from openai_conformance.reporting.console import ConsoleReporter
        from openai_conformance.reporting.files import write_reports
        from openai_conformance.results.collector import RunCollector
        from openai_conformance.runner import Runner, open_target

        target = stack.enter_context(
            open_target(contract, config.base_url, api_key=config.api_key, faults=config.faults)
        )
        runner = stack.enter_context(Runner(contract, config, target, feed=feed))
        console = ConsoleReporter(quiet=args.quiet, secrets=runner.secrets)
        collector = RunCollector()
        drive(runner.run(), [collector, console])
        run = collector.result
        write_reports(run, config.report_dir, runner.secrets)
    console.summary(run, str(config.report_dir))
    if run.fatal:
        print(f"openai-conformance: error: {run.fatal}", file=sys.stderr)
    return run.exit_code


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
            return _report_merge(args)
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
