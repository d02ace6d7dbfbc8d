"""The command line: options parsed once into typed requests, the core called, renderers
chosen, the report's exit code returned. Nothing else lives here."""

from scanner.cli.app import cli
from scanner.cli.common import command_line
from scanner.cli.main import main, run

__all__ = ["cli", "command_line", "main", "run"]
