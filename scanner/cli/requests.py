"""Options parsed once, into one frozen request per command.

Every command's click options arrive here as the dict click gives, and leave as a typed,
frozen request built in one function (``scan_request``, ``plan_request``, ...); nothing
below the command line reads an option again. Defaults live in one place, the dataclasses
:mod:`scanner.defaults`, which the core's option classes and the click options both read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scanner.defaults import KEEP_RUNS, TIMEOUT
from scanner.errors import UsageError
from scanner.formats import FILE_FORMATS

if TYPE_CHECKING:  # the stages are imported when a command runs: --help stays fast
    from scanner.collect import CollectOptions, Progress
    from scanner.evaluate import RoadmapOptions
    from scanner.inputs.selection import Selection
    from scanner.kube.reader import ReadOptions
    from scanner.pipeline import RunKind, RunRequest
    from scanner.render.base import RenderOptions


@dataclass(frozen=True)
class Ui:
    """How the run talks to a person: quiet, verbose, progress counter, colour."""

    quiet: bool = False
    verbose: bool = False
    progress: bool = False  # a counter on stderr (only when it is a terminal)

    @property
    def color(self) -> bool:
        return sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    @property
    def width(self) -> int | None:
        """The terminal's width for the summary table: ``COLUMNS`` when set, else the
        terminal's own; None (every column, whatever the width) when stdout is not one."""
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        if not sys.stdout.isatty():
            return None
        import shutil

        return shutil.get_terminal_size().columns

    def render_options(self) -> RenderOptions:
        from scanner.render.base import RenderOptions

        return RenderOptions(color=self.color, width=self.width)

    def start(self) -> Progress | None:
        """Set up logging; the progress callback, or None."""
        from scanner.cli.common import setup_logging

        setup_logging(self.verbose, self.quiet)
        if not self.progress:
            return None

        def show(done: int, total: int) -> None:
            sys.stderr.write(f"\rscanning clusters: {done}/{total}")
            sys.stderr.flush()

        return show

    def finish(self) -> None:
        if self.progress:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


@dataclass(frozen=True)
class Outputs:
    """Where reports go: a file per format (``-`` is stdout), an output directory."""

    files: Mapping[str, str] = field(default_factory=dict)  # format -> path, those asked for
    output_dir: str | None = None
    template_dir: str | None = None
    redact: bool = False
    keep: int = KEEP_RUNS
    metrics_file: str | None = None
    pdf: str | None = None  # --pdf FILE: the HTML report printed by headless Chromium

    @property
    def named_files(self) -> list[str]:
        """The report files named on the command line (not stdout); the PDF is added by
        whoever writes it, since it may not be made."""
        return [path for path in self.files.values() if path != "-"]


@dataclass(frozen=True)
class Attachment:
    """Where ``scan`` or ``attach`` sends the reports (all None: nowhere)."""

    jira_url: str | None = None
    issue: str | None = None
    servicenow_url: str | None = None
    change: str | None = None
    webhook: str | None = None
    timeout: float = TIMEOUT


@dataclass(frozen=True)
class ScanCommand:
    run: RunRequest
    outputs: Outputs
    ui: Ui
    attachment: Attachment
    waivers: str | None = None  # the waivers file


@dataclass(frozen=True)
class RunCommand:
    """``plan`` and ``onboarding``: a run and its reports."""

    run: RunRequest
    outputs: Outputs
    ui: Ui


@dataclass(frozen=True)
class ContextsCommand:
    selection: Selection
    discover: bool
    read: ReadOptions


def roadmap_of(opts: Mapping[str, Any]) -> RoadmapOptions:
    from scanner.evaluate import RoadmapOptions
    from scanner.rules.roadmap import Settings

    return RoadmapOptions(
        Settings(opts["steps_per_window"], opts["max_parallel"]), opts["stall_runs"]
    )


def scan_request(opts: Mapping[str, Any], command_line: str) -> ScanCommand:
    from scanner.pipeline import RunRequest, Upgrade

    discovery = not opts["no_discovery"]
    kind = Upgrade(
        target=opts["target"],
        from_version=opts["from_version"],
        discovery=discovery,
        plans=not opts["no_plan"],
        max_preflight_age=opts["max_preflight_age"],
        max_backup_age=opts["max_backup_age"],
        roadmap=roadmap_of(opts),
    )
    run = RunRequest(
        kind=kind,
        selection=_selection(opts, proxy=discovery and not opts["no_platform_proxy"]),
        policy=opts["policy_path"],
        collect=_collect(opts),
        command_line=command_line,
    )
    return ScanCommand(
        run,
        _outputs(opts),
        _ui(opts),
        attachment_request(opts),
        opts["waivers_path"],
    )


def plan_request(opts: Mapping[str, Any], command_line: str) -> RunCommand:
    from scanner.pipeline import PlanTo

    return _run_command(opts, command_line, PlanTo(opts["to"]))


def onboarding_request(opts: Mapping[str, Any], command_line: str) -> RunCommand:
    from scanner.pipeline import Onboarding

    return _run_command(opts, command_line, Onboarding(opts["target"]))


def _run_command(opts: Mapping[str, Any], command_line: str, kind: RunKind) -> RunCommand:
    """``plan`` and ``onboarding``: no platform discovery, so no platform proxy either."""
    from scanner.pipeline import RunRequest

    run = RunRequest(
        kind=kind,
        selection=_selection(opts, proxy=False),
        policy=opts["policy_path"],
        collect=_collect(opts),
        command_line=command_line,
    )
    return RunCommand(run, _outputs(opts), _ui(opts))


def contexts_request(opts: Mapping[str, Any]) -> ContextsCommand:
    from scanner.kube.reader import ReadOptions

    discover = bool(opts["discover"])
    selection = _selection(opts, proxy=discover and not opts["no_platform_proxy"])
    return ContextsCommand(selection, discover, ReadOptions(timeout=opts["timeout"]))


def report_outputs(opts: Mapping[str, Any]) -> Outputs:
    """``report``: the formats to re-render; at least one."""
    outputs = _outputs(opts)
    if not outputs.files and not outputs.pdf:
        flags = [f.flag for f in FILE_FORMATS if f.flag] + ["--pdf"]
        raise UsageError("report: name at least one of " + ", ".join(flags))
    return outputs


def attachment_request(opts: Mapping[str, Any]) -> Attachment:
    return Attachment(
        jira_url=opts["jira_url"],
        issue=opts["issue"],
        servicenow_url=opts["servicenow_url"],
        change=opts["change"],
        webhook=opts["webhook"],
        timeout=opts["timeout"],
    )


def _ui(opts: Mapping[str, Any]) -> Ui:
    quiet, verbose = bool(opts["quiet"]), bool(opts["verbose"])
    if quiet and verbose:
        raise UsageError("-q/--quiet and -v/--verbose cannot be used together")
    wanted = not (opts["no_progress"] or quiet) and sys.stderr.isatty()
    return Ui(quiet, verbose, wanted)


def _outputs(opts: Mapping[str, Any]) -> Outputs:
    files = {f.name: opts[f"{f.name}_path"] for f in FILE_FORMATS if opts.get(f"{f.name}_path")}
    pdf = opts.get("pdf_path")
    if pdf == "-":
        raise UsageError("--pdf needs a file name: a PDF is not written to stdout")
    return Outputs(
        files=files,
        output_dir=opts.get("output_dir"),
        template_dir=opts.get("template_dir"),
        redact=bool(opts.get("redact")),
        keep=opts.get("keep", KEEP_RUNS),
        metrics_file=opts.get("metrics_file"),
        pdf=pdf,
    )


def _selection(opts: Mapping[str, Any], *, proxy: bool) -> Selection:
    """Where contexts come from; ``proxy``: recorded clusters without a context are reached
    through the platform (only with platform discovery, which ``scan`` and ``contexts
    --discover`` do)."""
    from scanner.inputs.selection import Selection

    return Selection(
        kubeconfigs=tuple(opts["kubeconfigs"]),
        global_context=opts.get("global_context"),
        contexts=tuple(opts["contexts"]),
        excludes=tuple(opts["excludes"]),
        inventory=opts["inventory"],
        in_cluster=bool(opts.get("in_cluster")),
        platform_proxy=proxy,
        platform_url=opts.get("platform_url"),
    )


def _collect(opts: Mapping[str, Any]) -> CollectOptions:
    from scanner.collect import CollectOptions

    return CollectOptions(
        timeout=opts["timeout"],
        retries=opts["retries"],
        concurrency=opts["concurrency"],
        nodes=not opts["no_nodes"],
    )
