"""``upgrade-scanner attach``, and the attachment part of ``scan``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.options import attach_options, timeout_option
from scanner.errors import UsageError
from scanner.exitcodes import ExitCode
from scanner.secrets import terminal_safe

if TYPE_CHECKING:
    from scanner.cli.requests import Attachment, Outputs


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@attach_options
@timeout_option("Connect and read limit of each request.")
def attach(files: tuple[str, ...], **opts: Any) -> int:
    """Attach report files to a Jira issue, a ServiceNow change or a webhook (exit 5 on failure)."""
    from scanner.cli.requests import attachment_request
    from scanner.outputs.attach import attach_files

    attachment = attachment_request(opts)
    destination = attach_destination(attachment)
    if destination is None:
        raise UsageError(
            "attach: name a destination: --jira-url with --issue, --servicenow-url with "
            "--change, or --webhook"
        )
    result = attach_files(files, destination, timeout=attachment.timeout)
    echo_attach(result, quiet=False)
    return int(ExitCode.READY if result.ok else ExitCode.ATTACH_FAILED)


def attach_destination(attachment: Attachment, outputs: Outputs | None = None) -> Any:
    """The validated destination, or None. For a scan (``outputs`` given) the credentials and
    something to attach are checked too, before any cluster is asked."""
    from scanner.outputs.attach import Webhook, destination_from_options, require_credentials

    destination = destination_from_options(
        jira_url=attachment.jira_url,
        issue=attachment.issue,
        servicenow_url=attachment.servicenow_url,
        change=attachment.change,
        webhook=attachment.webhook,
    )
    if destination is None or outputs is None:
        return destination
    require_credentials(destination, os.environ)
    if not isinstance(destination, Webhook) and not (outputs.output_dir or outputs.named_files):
        raise UsageError(
            f"{destination.label}: nothing to attach; add --output-dir DIR or a report FILE "
            "(--json/--markdown/--html/--junit)"
        )
    return destination


def echo_attach(result: Any, *, quiet: bool) -> None:
    """On stderr: stdout may carry a machine-readable report."""
    if not quiet:
        for name in result.attached:
            click.echo(terminal_safe(f"attached {name} to {result.destination}"), err=True)
    for error in result.errors:
        click.echo(f"upgrade-scanner: error: {terminal_safe(error)}", err=True)


def exit_after_attach(verdict_exit: int, attached: bool) -> int:
    """The process exit code of a scan that attached its reports.

    The verdict's code stands (1 NOT_READY, 3 INCOMPLETE) whatever happened to the
    attachment: a failed upload never hides a bad verdict. Only a READY scan whose attachment
    failed exits 5 (ATTACH_FAILED), so a pipeline never reads "ready" while the ticket lacks
    its evidence. The report files stay on disk either way.
    """
    if verdict_exit == ExitCode.READY and not attached:
        return int(ExitCode.ATTACH_FAILED)
    return verdict_exit
