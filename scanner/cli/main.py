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
from typing import NoReturn

import click

from scanner.cli.app import cli
from scanner.cli.common import log
from scanner.errors import ScannerError, Terminated, raise_terminated
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


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (tests call this; :func:`main` exits with it)."""
    from scanner.outputs.files import forget_written

    args = list(sys.argv[1:] if argv is None else argv)
    forget_written()
    try:
        result = cli.main(args=args, prog_name=_prog_name(), standalone_mode=False)
    except Terminated:
        click.echo(f"upgrade-scanner: terminated; {_what_was_written()}", err=True)
        return 128 + signal.SIGTERM
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(exc.format_message().replace("\n", " ") + hint, ExitCode.USAGE)
    except click.ClickException as exc:
        return _fail(exc.format_message().replace("\n", " "), ExitCode.USAGE)
    except ScannerError as exc:
        return _fail(str(exc).replace("\n", " "), ExitCode.USAGE)
    except (KeyboardInterrupt, click.Abort):
        click.echo(f"upgrade-scanner: interrupted; {_what_was_written()}", err=True)
        return 130
    except OSError as exc:  # standard output on a full disk (/dev/full), a closed pipe
        if exc.filename:
            return _fail(f"{exc.filename}: {exc.strerror or exc}", ExitCode.USAGE)
        _silence_stdout()
        return _fail(f"cannot write the output: {exc.strerror or exc}", ExitCode.USAGE)
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc} "
            "(run with -v for details and please report it)",
            ExitCode.INTERNAL,
        )
    code = int(result) if isinstance(result, int) else 0
    try:
        sys.stdout.flush()
    except OSError as exc:
        _silence_stdout()
        return _fail(f"cannot write the output: {exc.strerror or exc}", ExitCode.USAGE)
    return code


def _what_was_written() -> str:
    """True when printed: "no report written", or which files were complete by then."""
    from scanner.outputs.files import written

    done = written()
    if not done:
        return "no report written"
    shown = ", ".join(terminal_safe(path) for path in done[:5])
    more = f" and {len(done) - 5} more" if len(done) > 5 else ""
    return f"only these reports were written before it: {shown}{more}"


def _silence_stdout() -> None:
    """After a failed write to stdout, point it at /dev/null: the interpreter's own flush at
    exit must not fail a second time with a traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main() -> NoReturn:
    # Only the console script installs the handler: library callers keep their own.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)
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
