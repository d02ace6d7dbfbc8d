"""The subcommands. Each parses its options into core requests and hands back an exit code."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import click

from scanner.cli_options import (
    NO_DISCOVERY,
    POLICY,
    TIMEOUT,
    attach_options,
    candidate_options,
    collect_options,
    selection_options,
    timeout_option,
    ui_options,
)
from scanner.collect import CollectOptions
from scanner.errors import ReportError, UsageError
from scanner.exitcodes import ExitCode
from scanner.history import compare, output_lock, previous_report, prune, regressed
from scanner.model import Verdict
from scanner.output import write_atomic
from scanner.render import FILE_EXTENSIONS, RenderOptions, render
from scanner.report import Report
from scanner.scan import ScanRequest, Selection
from scanner.waivers import apply_waivers, load_waivers

VERDICT_EXIT = {
    Verdict.READY: ExitCode.READY,
    Verdict.NOT_READY: ExitCode.NOT_READY,
    Verdict.INCOMPLETE: ExitCode.INCOMPLETE,
}


# The report formats with a file flag of their own (--json F, ...), in flag order.
REPORT_FORMATS = ("json", "markdown", "html", "junit")


def output_options(func: Any) -> Any:
    for fmt in reversed(REPORT_FORMATS):
        func = click.option(
            f"--{fmt}",
            f"{fmt}_path",
            metavar="FILE",
            help=f"Write the {fmt} report ('-' = stdout).",
        )(func)
    func = click.option(
        "--template-dir", metavar="DIR", help="Your templates, tried before the built-in ones."
    )(func)
    func = click.option(
        "--redact", is_flag=True, help="Replace server URLs and host names with placeholders."
    )(func)
    return func


def register(group: click.Group) -> None:
    for command in (scan, report, diff, attach, onboarding, policy_command, contexts):
        group.add_command(command)


@click.command()
@click.option("--target", required=True, metavar="VERSION", help="Platform version to upgrade to.")
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="Current platform version [what the global cluster reports].",
)
@selection_options
@click.option(
    "--in-cluster",
    is_flag=True,
    help="The global cluster is this pod's cluster (service account); kubeconfig contexts "
    "are all workloads.",
)
@POLICY
@collect_options
@output_options
@click.option("--output-dir", metavar="DIR", help="Write every format, timestamped, plus latest.*.")
@click.option(
    "--waivers",
    "waivers_path",
    metavar="FILE",
    help="YAML of approved exceptions: waived findings stay visible but do not count.",
)
@click.option(
    "--metrics-file",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Write Prometheus metrics (text format) for a textfile collector.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    metavar="N",
    help="With --output-dir: keep the newest N runs, delete older ones.",
)
@attach_options
@NO_DISCOVERY
@ui_options
def scan(**opts: Any) -> int:
    """Collect versions, evaluate the upgrade rules, report a verdict."""
    from scanner.scan import run_scan

    _setup(opts)
    request = ScanRequest(
        target=opts["target"],
        from_version=opts["from_version"],
        selection=_selection(opts),
        policy=opts["policy_path"],
        collect=_collect_options(opts),
        command_line=_command_line(),
        discovery=not opts["no_discovery"],
    )
    destination = _attach_destination(opts, scan=True)
    waivers = load_waivers(opts["waivers_path"]) if opts["waivers_path"] else None
    directory = opts["output_dir"]
    with output_lock(directory) if directory else contextlib.nullcontext():
        result = run_scan(request, progress=_progress(opts))
        _finish_progress(opts)
        if waivers is not None:
            result = apply_waivers(result, waivers, datetime.now(UTC).date())
        if directory:
            result = _with_changes(result, directory)
        result = _maybe_redact(result, opts)
        files = _write_outputs(result, opts)
        if opts["metrics_file"]:
            from scanner.metrics import render_metrics

            write_atomic(opts["metrics_file"], render_metrics(result))
        if directory:
            prune(directory, opts["keep"])
    verdict_exit = VERDICT_EXIT[result.verdict]
    if destination is None:
        return int(verdict_exit)
    from scanner.attach import attach_files

    attached = attach_files(files, destination, timeout=opts["timeout"], report=result)
    _echo_attach(attached, quiet=opts["quiet"])
    return _exit_after_attach(verdict_exit, attached.ok)


def _with_changes(result: Report, directory: str) -> Report:
    previous = previous_report(directory)
    return replace(result, changes=compare(previous, result)) if previous else result


@click.command()
@click.argument("old_path", metavar="OLD.json")
@click.argument("new_path", metavar="NEW.json")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def diff(old_path: str, new_path: str, as_json: bool) -> int:
    """Compare two reports (exit 1 when a cluster became BLOCKED or UNKNOWN)."""
    from scanner.render.table import render_changes

    changes = compare(_load_report(old_path), _load_report(new_path))
    if as_json:
        click.echo(json.dumps(changes.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_changes(changes), nl=False)
    return int(ExitCode.NOT_READY if regressed(changes) else ExitCode.READY)


def _load_report(path: str) -> Report:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ReportError(f"{path}: cannot read ({reason})") from None
    return Report.from_json(text, where=path)


@click.command()
@click.argument("report_path", metavar="REPORT.json")
@output_options
def report(report_path: str, **opts: Any) -> int:
    """Re-render a saved JSON report offline (no cluster access)."""
    loaded = _load_report(report_path)
    if not any(opts[f"{fmt}_path"] for fmt in REPORT_FORMATS):
        raise UsageError("report: name at least one of --json, --markdown, --html, --junit")
    loaded = _maybe_redact(loaded, opts)
    _write_formats(_renderings(loaded, opts), opts)
    return int(ExitCode.READY)


@click.command()
@click.option("--target", required=True, metavar="VERSION", help="Platform version to onboard to.")
@candidate_options
@POLICY
@collect_options
@click.option("--json", "json_path", metavar="FILE", help="Write the JSON result ('-' = stdout).")
@ui_options
def onboarding(**opts: Any) -> int:
    """Check clusters against the onboarding range (exit 0 when every one is accepted)."""
    from scanner.scan import run_onboarding

    _setup(opts)
    result = run_onboarding(
        target=opts["target"],
        selection=_selection(opts),
        policy_path=opts["policy_path"],
        options=_collect_options(opts),
        command_line=_command_line(),
        progress=_progress(opts),
    )
    _finish_progress(opts)
    _write_outputs(result, opts)
    return int(ExitCode.READY if result.verdict is Verdict.READY else ExitCode.NOT_READY)


@click.command("policy")
@click.option("--target", metavar="VERSION", help="Show one release in detail.")
@POLICY
def policy_command(target: str | None, policy_path: str | None) -> int:
    """Show the platform support matrix."""
    from scanner.policy import load_policy
    from scanner.render.policy_table import render_policy

    loaded = load_policy(policy_path)
    click.echo(render_policy(loaded, loaded.release(target) if target else None), nl=False)
    return int(ExitCode.READY)


@click.command()
@selection_options
@click.option(
    "--discover",
    is_flag=True,
    help="Also read the global cluster's platform records and show them beside the contexts.",
)
@TIMEOUT
def contexts(**opts: Any) -> int:
    """Show the contexts a scan would select and their roles (no network unless --discover).

    \f
    The stable contract of ``contexts`` is "no network": listing what a scan would touch must
    work before any cluster is reachable. ``--discover`` adds the platform records.
    """
    from scanner.render.table import render_targets
    from scanner.scan import survey

    options = CollectOptions(timeout=opts["timeout"])
    selected, found, coverage = survey(_selection(opts), options, opts["discover"])
    click.echo(render_targets(selected.targets, coverage, found), nl=False)
    return int(ExitCode.READY)


def _selection(opts: dict[str, Any]) -> Selection:
    return Selection(
        kubeconfigs=tuple(opts["kubeconfigs"]),
        global_context=opts.get("global_context"),
        contexts=tuple(opts["contexts"]),
        excludes=tuple(opts["excludes"]),
        inventory=opts["inventory"],
        in_cluster=bool(opts.get("in_cluster")),
    )


def _collect_options(opts: dict[str, Any]) -> CollectOptions:
    return CollectOptions(
        timeout=opts["timeout"],
        retries=opts["retries"],
        concurrency=opts["concurrency"],
        nodes=not opts["no_nodes"],
    )


def _setup(opts: dict[str, Any]) -> None:
    from scanner.cli import setup_logging

    if opts["quiet"] and opts["verbose"]:
        raise UsageError("-q/--quiet and -v/--verbose cannot be used together")
    setup_logging(opts["verbose"], opts["quiet"])


def _command_line() -> str:
    from scanner.cli import command_line

    return command_line(sys.argv[1:])


def _progress_wanted(opts: dict[str, Any]) -> bool:
    return not (opts["no_progress"] or opts["quiet"]) and sys.stderr.isatty()


def _progress(opts: dict[str, Any]) -> Any:
    if not _progress_wanted(opts):
        return None

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\rscanning clusters: {done}/{total}")
        sys.stderr.flush()

    return show


def _finish_progress(opts: dict[str, Any]) -> None:
    if _progress_wanted(opts):
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _maybe_redact(result: Report, opts: dict[str, Any]) -> Report:
    if not opts.get("redact"):
        return result
    from scanner.redact import redact

    return redact(result)


def _write_outputs(result: Report, opts: dict[str, Any]) -> list[str]:
    """Files first (so the terminal summary can point at them), then the human summary.
    Returns the report files written (for attaching)."""
    from scanner.output import emit
    from scanner.render.table import render_verdict_line

    text_of = _renderings(result, opts)
    stdout_taken = _write_formats(text_of, opts)
    written = []
    if opts.get("output_dir"):
        written = _write_output_dir(result, text_of, opts["output_dir"])
    files = [*_format_files(opts), *written]
    if stdout_taken:
        return files  # a machine format owns stdout; keep it parseable
    if opts["quiet"]:
        click.echo(render_verdict_line(result, RenderOptions(color=_color())))
        return files
    emit("-", render("table", result, RenderOptions(color=_color())))
    for path in written:
        click.echo(f"wrote {path}")
    return files


def _format_files(opts: dict[str, Any]) -> list[str]:
    paths = (opts.get(f"{fmt}_path") for fmt in REPORT_FORMATS)
    return [path for path in paths if path and path != "-"]


def _renderings(result: Report, opts: dict[str, Any]) -> Callable[[str], str]:
    """Each format's text, rendered once however many files ask for it."""
    options = RenderOptions(template_dir=opts.get("template_dir"))

    @functools.cache
    def text_of(fmt: str) -> str:
        return render(fmt, result, options)

    return text_of


def _write_formats(text_of: Callable[[str], str], opts: dict[str, Any]) -> bool:
    from scanner.output import emit

    stdout_taken = False
    for fmt in REPORT_FORMATS:
        path = opts.get(f"{fmt}_path")
        if path:
            emit(path, text_of(fmt))
            stdout_taken = stdout_taken or path == "-"
    return stdout_taken


def _write_output_dir(result: Report, text_of: Callable[[str], str], directory: str) -> list[str]:
    stamp = datetime.strptime(result.generated_at, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%dT%H%M%SZ")
    written = []
    for fmt, ext in FILE_EXTENSIONS.items():
        path = os.path.join(directory, f"readiness-{result.target}-{stamp}.{ext}")
        write_atomic(path, text_of(fmt))
        write_atomic(os.path.join(directory, f"latest.{ext}"), text_of(fmt))
        written.append(path)
    return written


# Ticket attachment (scan --jira-url/--servicenow-url/--webhook, and attach)


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@attach_options
@timeout_option("Connect and read limit of each request.")
def attach(files: tuple[str, ...], timeout: float, **opts: Any) -> int:
    """Attach report files to a Jira issue, a ServiceNow change or a webhook (exit 5 on failure)."""
    from scanner.attach import attach_files

    destination = _attach_destination(opts)
    if destination is None:
        raise UsageError(
            "attach: name a destination: --jira-url with --issue, --servicenow-url with "
            "--change, or --webhook"
        )
    result = attach_files(files, destination, timeout=timeout)
    _echo_attach(result, quiet=False)
    return int(ExitCode.READY if result.ok else ExitCode.ATTACH_FAILED)


def _attach_destination(opts: dict[str, Any], *, scan: bool = False) -> Any:
    """The validated destination, or None; for a scan, checked before any cluster is asked."""
    from scanner.attach import Webhook, destination_from_options, require_credentials

    destination = destination_from_options(
        jira_url=opts["jira_url"],
        issue=opts["issue"],
        servicenow_url=opts["servicenow_url"],
        change=opts["change"],
        webhook=opts["webhook"],
    )
    if destination is None or not scan:
        return destination
    require_credentials(destination, os.environ)
    if not isinstance(destination, Webhook) and not (opts["output_dir"] or _format_files(opts)):
        raise UsageError(
            f"{destination.label}: nothing to attach; add --output-dir DIR or a report FILE "
            "(--json/--markdown/--html/--junit)"
        )
    return destination


def _echo_attach(result: Any, *, quiet: bool) -> None:
    """On stderr: stdout may carry a machine-readable report."""
    if not quiet:
        for name in result.attached:
            click.echo(f"attached {name} to {result.destination}", err=True)
    for error in result.errors:
        click.echo(f"upgrade-scanner: error: {error}", err=True)


def _exit_after_attach(verdict_exit: ExitCode, attached: bool) -> int:
    """The exit code of a scan that attached its reports.

    The verdict's code stands (1 NOT_READY, 3 INCOMPLETE) whatever happened to the
    attachment: a failed upload never hides a bad verdict. Only a READY scan whose attachment
    failed exits 5 (ATTACH_FAILED), so a pipeline never reads "ready" while the ticket lacks
    its evidence. The report files stay on disk either way.
    """
    if verdict_exit is ExitCode.READY and not attached:
        return int(ExitCode.ATTACH_FAILED)
    return int(verdict_exit)
