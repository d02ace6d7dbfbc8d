"""``upgrade-scanner scan``: collect, evaluate, report, and optionally attach."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from scanner import defaults
from scanner.cli.common import command_line
from scanner.cli.options import (
    NO_DISCOVERY,
    POLICY,
    Duration,
    attach_options,
    collect_option_group,
    output_options,
    platform_proxy_options,
    roadmap_options,
    selection_options,
    ui_options,
)
from scanner.exitcodes import ExitCode

if TYPE_CHECKING:
    from scanner.cli.requests import Outputs
    from scanner.outputs.redact import HostMap
    from scanner.report import Report


NO_PLAN = click.option(
    "--no-plan",
    is_flag=True,
    help="No upgrade plans: do not ask the clusters that must move for /metrics, /apis and "
    "their disruption budgets.",
)

# The options of a scan, in --help order (roadmap takes them all but --no-plan).
SCAN_OPTIONS: list[Any] = [
    click.option(
        "--target", required=True, metavar="VERSION", help="Platform version to upgrade to."
    ),
    click.option(
        "--from",
        "from_version",
        metavar="VERSION",
        help="Current platform version [what the global cluster reports].",
    ),
    selection_options,
    click.option(
        "--in-cluster",
        is_flag=True,
        help="The global cluster is this pod's cluster (service account); kubeconfig contexts "
        "are all workloads.",
    ),
    POLICY,
    collect_option_group,
    output_options,
    click.option(
        "--output-dir", metavar="DIR", help="Write every format, timestamped, plus latest.*."
    ),
    click.option(
        "--waivers",
        "waivers_path",
        metavar="FILE",
        help="YAML of approved exceptions: waived findings stay visible but do not count.",
    ),
    click.option(
        "--metrics-file",
        type=click.Path(dir_okay=False),
        metavar="PATH",
        help="Write Prometheus metrics (text format) for a textfile collector.",
    ),
    click.option(
        "--keep",
        type=click.IntRange(min=1),
        default=defaults.KEEP_RUNS,
        show_default=True,
        metavar="N",
        help="With --output-dir: keep the newest N runs, delete older ones.",
    ),
    attach_options,
    NO_DISCOVERY,
    platform_proxy_options,
    NO_PLAN,
    click.option(
        "--max-preflight-age",
        type=Duration(),
        default=defaults.MAX_PREFLIGHT_AGE,
        show_default=True,
        metavar="DURATION",
        help="A platform preflight observed longer ago than this is stale (a warning).",
    ),
    click.option(
        "--max-backup-age",
        type=Duration(),
        default=defaults.MAX_BACKUP_AGE,
        show_default=True,
        metavar="DURATION",
        help="The newest successful etcd backup of the global cluster must be younger than this.",
    ),
    roadmap_options,
    ui_options,
]


def scan_options(func: Any, *, plan_optional: bool = True) -> Any:
    chosen = [o for o in SCAN_OPTIONS if plan_optional or o is not NO_PLAN]
    for option in reversed(chosen):
        func = option(func)
    return func


@click.command()
@functools.partial(scan_options, plan_optional=True)
def scan(**opts: Any) -> int:
    """Collect versions, evaluate the upgrade rules, report a verdict."""
    return run_scan(opts)


@click.command("roadmap")
@functools.partial(scan_options, plan_optional=False)
def roadmap_command(**opts: Any) -> int:
    """The fleet's upgrade roadmap: who moves first, in how many maintenance windows.

    A scan (every option of `scan` but --no-plan: the roadmap is built from the upgrade
    plans) whose terminal output is the roadmap, window by window; its reports are the
    scan's. Exit 0 when no action is blocked, 1 when one is, 3 when a cluster could not be
    placed (its version is not known), 2 when there is no roadmap (the current platform
    version is not known)."""
    return run_scan({**opts, "no_plan": False}, roadmap=True)


def run_scan(opts: dict[str, Any], *, roadmap: bool = False) -> int:
    """A scan; ``roadmap``: the terminal gets the roadmap, and the exit code is its."""
    from scanner.cli.attach import attach_destination, echo_attach, exit_after_attach
    from scanner.cli.emit import write_reports
    from scanner.cli.requests import scan_request
    from scanner.inputs.waivers import load_waivers
    from scanner.outputs.history import output_lock, previous_report, prune, read_progress
    from scanner.outputs.redact import redact, save_host_map
    from scanner.pipeline import default_pipeline

    command = scan_request(opts, command_line())
    ui, outputs = command.ui, command.outputs
    progress = ui.start()
    # Every input is read, and an attachment destination checked, before any cluster is asked.
    destination = attach_destination(command.attachment, outputs)
    waivers = load_waivers(command.waivers) if command.waivers else ()
    directory = outputs.output_dir
    with output_lock(directory) if directory else contextlib.nullcontext():
        hosts = redaction(outputs)
        request = replace(
            command.run,
            waivers=waivers,
            previous=functools.partial(previous_report, directory) if directory else None,
            history=functools.partial(read_progress, directory, outputs.keep)
            if directory
            else None,
            present=functools.partial(redact, hosts=hosts) if hosts is not None else None,
        )
        pipeline = default_pipeline(request.collect)
        shown = pipeline.run(request, progress)  # redacted already with --redact
        ui.finish()
        files = write_reports(shown, outputs, ui, summary="roadmap" if roadmap else "table")
        if hosts is not None and directory:
            save_host_map(directory, hosts)
        if outputs.metrics_file:
            from scanner.outputs.metrics import write_metrics

            write_metrics(outputs.metrics_file, shown)
        if directory:
            prune(directory, outputs.keep)
    code = roadmap_exit(shown) if roadmap else shown.exit_code
    if destination is None:
        return code
    from scanner.outputs.attach import attach_files

    timeout = command.attachment.timeout
    attached = attach_files(files, destination, timeout=timeout, report=shown)
    echo_attach(attached, quiet=ui.quiet)
    return exit_after_attach(code, attached.ok)


def roadmap_exit(report: Report) -> int:
    """0 nothing blocked, 1 an action blocked, 3 a cluster not placed; no roadmap: exit 2."""
    from scanner.errors import UsageError

    roadmap = report.roadmap
    if roadmap is None:
        raise UsageError(
            "no roadmap: the current platform version is not known; pass --from with it "
            "(or let the scan read it from the global cluster)"
        )
    if roadmap.blocked_actions:
        return int(ExitCode.NOT_READY)
    if roadmap.not_planned:
        return int(ExitCode.INCOMPLETE)
    return int(ExitCode.READY)


def redaction(outputs: Outputs) -> HostMap | None:
    """With ``--redact``, the host map reports are redacted with: with ``--output-dir`` the
    one earlier runs there used, so a host keeps its placeholder and history compares alike."""
    if not outputs.redact:
        return None
    from scanner.outputs.redact import HostMap, load_host_map

    return load_host_map(outputs.output_dir) if outputs.output_dir else HostMap()
