"""Running the command line: click's usage errors and :class:`~scanner.errors.ScannerError`
become exit code 2 with one line, signals become 130/143, anything else exit 4.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

import click

from scanner.cli.app import cli
from scanner.cli.common import log
from scanner.errors import ScannerError
from scanner.exitcodes import ExitCode
from scanner.secrets import scrub_all, terminal_safe


def _prog_name() -> str:
    base = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "kubectl upgrade-scanner" if base.startswith("kubectl-") else "upgrade-scanner"


def _fail(message: str, code: ExitCode) -> int:
    """One line on stderr: secrets masked, control characters and line breaks replaced."""
    line = terminal_safe(scrub_all(message)).replace("\n", " ").replace("\t", " ")
    click.echo(f"upgrade-scanner: error: {line}", err=True)
    return int(code)


class Terminated(BaseException):
    """SIGTERM, turned into an exception so files are cleaned up like on Ctrl-C."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (tests call this; :func:`main` exits with it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name=_prog_name(), standalone_mode=False)
    except Terminated:
        click.echo("upgrade-scanner: terminated; no report written", err=True)
        return 128 + signal.SIGTERM
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(exc.format_message().replace("\n", " ") + hint, ExitCode.USAGE)
    except click.ClickException as exc:
        return _fail(exc.format_message().replace("\n", " "), ExitCode.USAGE)
    except ScannerError as exc:
        return _fail(str(exc).replace("\n", " "), ExitCode.USAGE)
    except (KeyboardInterrupt, click.Abort):
        click.echo("upgrade-scanner: interrupted; no report written", err=True)
        return 130
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc} "
            "(run with -v for details and please report it)",
            ExitCode.INTERNAL,
        )
    return int(result) if isinstance(result, int) else 0


def main() -> NoReturn:
    # Only the console script installs the handler: library callers keep their own.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    code = run()
    if any(thread.daemon and thread.is_alive() for thread in threading.enumerate()):
        # A worker left on a hung cluster (or a discovery read) that wakes up while the
        # interpreter finalizes makes CPython 3.11 abort the process (pthread_exit in a
        # finalizing interpreter: SIGABRT instead of our exit code). Files are written and
        # temporary data is removed by now, so leave without finalizing.
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)
