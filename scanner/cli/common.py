"""What every command shares: options parsed once into typed values, logging, progress and
the command line recorded in reports."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scanner.errors import UsageError
from scanner.secrets import scrub, scrub_all, terminal_safe

if TYPE_CHECKING:  # the stages are imported when a command runs: --help stays fast
    from scanner.collect import CollectOptions, Progress
    from scanner.inputs.selection import Selection

log = logging.getLogger("scanner")

# The report formats with a file flag of their own (--json F, ...), in flag order.
REPORT_FORMATS = ("json", "markdown", "html", "junit")


@dataclass(frozen=True)
class Ui:
    """How the run talks to a person: quiet, verbose, progress counter, colour."""

    quiet: bool = False
    verbose: bool = False
    progress: bool = False  # a counter on stderr (only when it is a terminal)

    @classmethod
    def parse(cls, opts: Mapping[str, Any]) -> Ui:
        quiet, verbose = bool(opts.get("quiet")), bool(opts.get("verbose"))
        if quiet and verbose:
            raise UsageError("-q/--quiet and -v/--verbose cannot be used together")
        wanted = not (opts.get("no_progress") or quiet) and sys.stderr.isatty()
        return cls(quiet, verbose, wanted)

    @property
    def color(self) -> bool:
        return sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def start(self) -> Progress | None:
        """Set up logging; the progress callback, or None."""
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

    files: Mapping[str, str]  # format -> path, only the formats asked for
    output_dir: str | None = None
    template_dir: str | None = None
    redact: bool = False
    keep: int = 30
    metrics_file: str | None = None
    pdf: str | None = None  # --pdf FILE: the HTML report printed by headless Chromium

    @classmethod
    def parse(cls, opts: Mapping[str, Any]) -> Outputs:
        files = {fmt: opts[f"{fmt}_path"] for fmt in REPORT_FORMATS if opts.get(f"{fmt}_path")}
        return cls(
            files=files,
            output_dir=opts.get("output_dir"),
            template_dir=opts.get("template_dir"),
            redact=bool(opts.get("redact")),
            keep=int(opts.get("keep") or 30),
            metrics_file=opts.get("metrics_file"),
            pdf=_pdf_path(opts.get("pdf_path")),
        )

    @property
    def named_files(self) -> list[str]:
        """The report files named on the command line (not stdout); the PDF is added by
        whoever writes it, since it may not be made."""
        return [path for path in self.files.values() if path != "-"]


def _pdf_path(path: str | None) -> str | None:
    if path == "-":
        raise UsageError("--pdf needs a file name: a PDF is not written to stdout")
    return path


def selection(opts: Mapping[str, Any]) -> Selection:
    from scanner.inputs.selection import Selection

    return Selection(
        kubeconfigs=tuple(opts["kubeconfigs"]),
        global_context=opts.get("global_context"),
        contexts=tuple(opts["contexts"]),
        excludes=tuple(opts["excludes"]),
        inventory=opts["inventory"],
        in_cluster=bool(opts.get("in_cluster")),
        # Discovery on and not turned off: recorded clusters are scanned through the platform.
        platform_proxy=bool(opts.get("discover", True))
        and not opts.get("no_discovery")
        and not opts.get("no_platform_proxy"),
        platform_url=opts.get("platform_url"),
    )


def collect_options(opts: Mapping[str, Any]) -> CollectOptions:
    from scanner.collect import CollectOptions

    return CollectOptions(
        timeout=opts["timeout"],
        retries=opts["retries"],
        concurrency=opts["concurrency"],
        nodes=not opts["no_nodes"],
    )


class SafeFormatter(logging.Formatter):
    """Every log record, traceback included, leaves through the same scrubber as reports:
    secrets this process has read and secret-looking values are masked, and control
    characters from cluster or kubeconfig text are replaced."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(scrub_all(super().format(record)))


def setup_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("upgrade-scanner: %(levelname)s: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command line for the report, secrets removed (a webhook URL's path is one)."""
    from scanner.outputs.attach import display_url

    args = list(sys.argv[1:] if argv is None else argv)
    for index, arg in enumerate(args):
        if arg == "--webhook" and index + 1 < len(args):
            args[index + 1] = display_url(args[index + 1])
        elif arg.startswith("--webhook="):
            args[index] = "--webhook=" + display_url(arg.partition("=")[2])
    return scrub(" ".join(shlex.quote(arg) for arg in ["upgrade-scanner", *args]))
