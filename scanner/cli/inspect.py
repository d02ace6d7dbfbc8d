"""The commands beside ``scan``: ``plan`` and ``onboarding`` (the same pipeline, judged
against something other than an upgrade's gate), ``policy`` and ``contexts`` (which look
without judging)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from scanner.cli.common import command_line
from scanner.cli.options import (
    POLICY,
    TIMEOUT,
    candidate_options,
    collect_option_group,
    output_options,
    platform_proxy_options,
    selection_options,
    ui_options,
)

if TYPE_CHECKING:
    from scanner.cli.requests import RunCommand


@click.command()
@click.option("--target", required=True, metavar="VERSION", help="Platform version to onboard to.")
@candidate_options
@POLICY
@collect_option_group
@click.option("--json", "json_path", metavar="FILE", help="Write the JSON result ('-' = stdout).")
@ui_options
def onboarding(**opts: Any) -> int:
    """Check clusters against the onboarding range (exit 0 when every one is accepted)."""
    from scanner.cli.requests import onboarding_request

    return _run_and_report(onboarding_request(opts, command_line()))


def _run_and_report(command: RunCommand) -> int:
    """Run the pipeline and write the reports (``onboarding``, ``plan``)."""
    from scanner.cli.emit import write_reports
    from scanner.pipeline import default_pipeline

    progress = command.ui.start()
    report = default_pipeline(command.run.collect).run(command.run, progress)
    command.ui.finish()
    write_reports(report, command.outputs, command.ui)
    return report.exit_code


def _minor(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int]:
    from scanner.versions import VersionError, parse_minor

    try:
        return parse_minor(value)
    except VersionError:
        raise click.BadParameter(f"{value!r} is not a Kubernetes minor like 1.35") from None


@click.command("plan")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="MINOR",
    callback=_minor,
    help="The Kubernetes minor to plan for, e.g. 1.35.",
)
@selection_options
@POLICY
@collect_option_group
@output_options
@ui_options
def plan_command(**opts: Any) -> int:
    """Plan every selected cluster's way to a Kubernetes minor: what breaks at each step.

    Exit 0 when nothing breaks on the way, 1 when something does, 3 when a cluster could not
    be read.
    """
    from scanner.cli.requests import plan_request

    return _run_and_report(plan_request(opts, command_line()))


@click.command("policy")
@click.option("--target", metavar="VERSION", help="Show one release in detail.")
@POLICY
def policy_command(target: str | None, policy_path: str | None) -> int:
    """Show the platform support matrix."""
    from scanner.inputs.policy import load_policy
    from scanner.listings import render_policy

    loaded = load_policy(policy_path)
    click.echo(render_policy(loaded, loaded.release(target) if target else None), nl=False)
    return 0


@click.command()
@selection_options
@click.option(
    "--discover",
    is_flag=True,
    help="Also read the global cluster's platform records and show them beside the contexts.",
)
@platform_proxy_options
@TIMEOUT
def contexts(**opts: Any) -> int:
    """Show the contexts a scan would select and their roles (no network unless --discover).

    \f
    The stable contract of ``contexts`` is "no network": listing what a scan would touch must
    work before any cluster is reachable. ``--discover`` adds the platform records.
    """
    from scanner.cli.requests import contexts_request
    from scanner.listings import render_targets
    from scanner.pipeline import survey
    from scanner.platform.read import Discoverer

    command = contexts_request(opts)
    discoverer = Discoverer(command.read) if command.discover else None
    selected, found, coverage = survey(command.selection, discoverer)
    click.echo(render_targets(selected.targets, coverage, found), nl=False)
    return 0
