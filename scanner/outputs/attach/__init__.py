"""Attaching reports to a ticket: a Jira issue, a ServiceNow change request, or a webhook.

Input errors (conflicting flags, a bad URL, a missing credential variable, a missing file)
raise :class:`AttachError`, a :class:`~scanner.errors.ScannerError` (exit code 2), before any
request is sent. HTTP failures are values: :func:`attach_files` returns them in
:attr:`AttachResult.errors`, and the report files stay on disk whatever happens.

Exit code rule (the CLI applies it): ``attach`` exits 0 when every file was attached and
5 (ATTACH_FAILED) when one was not. ``scan`` with an attachment flag keeps its verdict's exit
code (1 NOT_READY, 3 INCOMPLETE) whatever happens to the attachment; only a READY scan whose
attachment failed exits 5, so a pipeline never reads "ready" while the ticket lacks the evidence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from scanner.outputs.attach.destinations import (
    AttachError,
    AttachResult,
    Destination,
    Jira,
    ServiceNow,
    Webhook,
    credentials,
    destination_from_options,
    display_url,
)
from scanner.outputs.attach.senders import load_files, report_from, send, webhook_payload
from scanner.outputs.attach.transport import open_client
from scanner.report import Report

__all__ = [
    "AttachError",
    "AttachResult",
    "Destination",
    "Jira",
    "ServiceNow",
    "Webhook",
    "attach_files",
    "destination_from_options",
    "display_url",
    "require_credentials",
    "webhook_payload",
]


def require_credentials(destination: Destination, environ: Mapping[str, str]) -> None:
    """Raise :class:`AttachError` now if a credential variable is missing (before a scan)."""
    credentials(destination, environ)


def attach_files(
    files: Sequence[str],
    destination: Destination,
    *,
    timeout: float = 10.0,
    environ: Mapping[str, str] | None = None,
    report: Report | None = None,
    backoff_factor: float = 0.5,
) -> AttachResult:
    """Send ``files`` to ``destination``; HTTP failures come back in ``errors``.

    ``timeout`` is the connect and the read limit of each request; 429 and 5xx answers are
    retried 3 times with exponential ``backoff_factor`` (and the server's Retry-After). A webhook
    gets the JSON summary of ``report`` or, without it, of the first ``.json`` file in ``files``.
    Raises :class:`AttachError` for input errors, before any request.
    """
    auth, secrets = credentials(destination, os.environ if environ is None else environ)
    loaded = load_files(files)
    payload = None
    if isinstance(destination, Webhook):
        payload = webhook_payload(report or report_from(loaded), files)
    elif not loaded:
        raise AttachError(f"{destination.label}: nothing to attach; name at least one report file")
    with open_client(destination.label, auth, secrets, timeout, backoff_factor) as client:
        return send(client, destination, loaded, payload)
