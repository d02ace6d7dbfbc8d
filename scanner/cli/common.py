"""What every command shares: logging through the scrubber, and the command line recorded
in reports. Options become typed requests in :mod:`scanner.cli.requests`."""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Sequence

from scanner.secrets import scrub, scrub_all, terminal_safe, unicode_safe

log = logging.getLogger("scanner")


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
    # A path of non-UTF-8 bytes arrives with surrogates (surrogateescape): kept as U+FFFD.
    line = " ".join(shlex.quote(arg) for arg in ["upgrade-scanner", *args])
    return scrub(unicode_safe(line))
