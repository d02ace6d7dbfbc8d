"""The command line: options parsed once into typed requests, the core called, renderers
chosen, the report's exit code returned. Nothing else lives here.

This package's ``__init__`` stays light: the console script's :func:`main` installs the
SIGTERM handler before click, the kubernetes client or any command is imported, so a
SIGTERM during start-up still ends with exit 143 and one line. ``cli``, ``run`` and
``command_line`` are imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from scanner.cli.app import cli
    from scanner.cli.common import command_line
    from scanner.cli.main import run

__all__ = ["cli", "command_line", "main", "run"]


def main() -> NoReturn:
    """The console script (``upgrade-scanner``, ``kubectl-upgrade_scanner``)."""
    import signal
    import sys
    import threading

    from scanner.errors import Terminated, raise_terminated

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_terminated)
    try:
        from scanner.cli.main import main as run_main
    except Terminated:
        sys.stderr.write("upgrade-scanner: terminated; no report written\n")
        sys.exit(128 + signal.SIGTERM)
    run_main()


def __getattr__(name: str) -> Any:
    if name == "cli":
        from scanner.cli.app import cli

        return cli
    if name == "run":
        from scanner.cli.main import run

        return run
    if name == "command_line":
        from scanner.cli.common import command_line

        return command_line
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
