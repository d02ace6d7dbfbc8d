"""The ``upgrade-scanner`` command group and its subcommands, one module per command."""

from __future__ import annotations

import click

from scanner import __version__
from scanner.cli.attach import attach
from scanner.cli.inspect import contexts, onboarding, plan_command, policy_command
from scanner.cli.reports import diff, report
from scanner.cli.scan import roadmap_command, scan


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        "terminal_width": 100,
    }
)
@click.version_option(__version__, "--version", prog_name="upgrade-scanner")
def cli() -> None:
    """Pre-upgrade readiness scanner for a Kubernetes multi-cluster platform.

    Exit codes: 0 READY, 1 NOT_READY, 2 usage or input error, 3 INCOMPLETE, 4 internal error,
    5 attachment failed.
    """


for _command in (
    scan,
    roadmap_command,
    plan_command,
    report,
    diff,
    attach,
    onboarding,
    policy_command,
    contexts,
):
    cli.add_command(_command)
