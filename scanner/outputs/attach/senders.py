"""Sending: Jira attachments, ServiceNow attachments on a change request, a webhook summary."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from scanner.model import Finding, Severity
from scanner.outputs.attach.destinations import (
    AttachError,
    AttachResult,
    Destination,
    Jira,
    ServiceNow,
    Webhook,
)
from scanner.outputs.attach.transport import Answer, Client, Hints, RequestFailed, status_text
from scanner.report import Report

CONTENT_TYPES = {
    ".json": "application/json",
    ".html": "text/html",
    ".md": "text/markdown",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}


@dataclass(frozen=True)
class File:
    path: str
    data: bytes

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def content_type(self) -> str:
        extension = os.path.splitext(self.path)[1].lower()
        guessed = mimetypes.guess_type(self.path)[0]
        return CONTENT_TYPES.get(extension) or guessed or "application/octet-stream"


def load_files(paths: Sequence[str]) -> list[File]:
    """Every file read now, so a missing one stops the run before any request."""
    missing = [path for path in paths if not os.path.isfile(path)]
    if missing:
        raise AttachError(f"no such file: {', '.join(missing)}; nothing was sent")
    loaded = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                loaded.append(File(path, handle.read()))
        except OSError as exc:
            raise AttachError(f"{path}: cannot read ({exc.strerror}); nothing was sent") from None
    return loaded


def report_from(files: Sequence[File]) -> Report:
    for file in files:
        if file.path.endswith(".json"):
            return Report.from_json(file.data.decode("utf-8", "replace"), where=file.path)
    raise AttachError("--webhook: the summary is built from the JSON report; name a .json file")


def webhook_payload(report: Report, files: Sequence[str]) -> dict[str, Any]:
    """The webhook body: verdict, counts, blockers, report file names. ``text`` is the verdict
    line, which chat webhooks (Slack, Mattermost) show as the message."""
    from scanner.render import RenderOptions
    from scanner.render.table import render_verdict_line

    blockers = []
    for cluster in report.clusters:
        found = [f for f in cluster.findings if _blocking(f)]
        if found:
            findings = [{"id": f.id, "message": f.message} for f in found]
            blockers.append({"context": cluster.context, "findings": findings})
    return {
        "text": render_verdict_line(report, RenderOptions()),
        "verdict": report.verdict.value,
        "target": report.target,
        "from": report.from_version,
        "counts": report.summary.to_dict(),
        "blockers": blockers,
        "reports": [os.path.basename(path) for path in files],
        "generated_at": report.generated_at,
    }


def _blocking(finding: Finding) -> bool:
    # A waived blocker stays in the report but no longer blocks (getattr: waivers land
    # in parallel with this module).
    return finding.severity is Severity.BLOCKER and finding.waiver is None


def send(
    client: Client, destination: Destination, files: Sequence[File], payload: Any
) -> AttachResult:
    if isinstance(destination, Jira):
        return _to_jira(client, destination, files)
    if isinstance(destination, ServiceNow):
        return _to_servicenow(client, destination, files)
    return _to_webhook(client, destination, payload)


def _to_jira(client: Client, jira: Jira, files: Sequence[File]) -> AttachResult:
    url = f"{jira.url}/rest/api/2/issue/{quote(jira.issue)}/attachments"
    hints = Hints(
        unauthorized="check the JIRA_TOKEN (and JIRA_USER) variable",
        forbidden=f"the account may not attach files to {jira.issue}",
        not_found=f"no such issue {jira.issue} (or the account cannot see it; check --jira-url)",
    )

    def post(file: File) -> Answer:
        upload = {"file": (file.name, file.data, file.content_type)}
        return client.send("POST", url, headers={"X-Atlassian-Token": "no-check"}, files=upload)

    return _each(client, files, post, hints)


def _to_servicenow(client: Client, change: ServiceNow, files: Sequence[File]) -> AttachResult:
    hints = Hints(
        unauthorized="check the SERVICENOW_USER and SERVICENOW_PASSWORD variables",
        forbidden="the account may not read change requests or attach files to them",
        not_found="no Table API there (check --servicenow-url)",
    )
    try:
        sys_id = _change_sys_id(client, change, hints)
    except RequestFailed as failed:
        return _result(client, [], [str(failed)], files)
    url = f"{change.url}/api/now/attachment/file"

    def post(file: File) -> Answer:
        query = {"table_name": "change_request", "table_sys_id": sys_id, "file_name": file.name}
        headers = {"Content-Type": file.content_type}
        return client.send("POST", url, params=query, headers=headers, data=file.data)

    return _each(client, files, post, hints)


def _change_sys_id(client: Client, change: ServiceNow, hints: Hints) -> str:
    query = {
        "sysparm_query": f"number={change.change}",
        "sysparm_fields": "sys_id,number",
        "sysparm_limit": "1",
    }
    answer = client.send("GET", f"{change.url}/api/now/table/change_request", params=query)
    if not answer.ok:
        raise RequestFailed(client.message(status_text(answer, hints)))
    try:
        rows = json.loads(answer.body)["result"]
        sys_id = rows[0]["sys_id"] if rows else None
    except (ValueError, KeyError, TypeError, IndexError):
        text = "the answer is not Table API JSON; check --servicenow-url"
        raise RequestFailed(client.message(text)) from None
    if not sys_id:
        raise RequestFailed(client.message(f"no change request {change.change}"))
    return str(sys_id)


def _to_webhook(client: Client, webhook: Webhook, payload: Any) -> AttachResult:
    hints = Hints(
        unauthorized="the webhook URL was refused (revoked?)",
        forbidden="the webhook refused the request",
        not_found="no webhook at that URL",
    )
    try:
        answer = client.send("POST", webhook.url, json=payload)
    except RequestFailed as failed:
        return AttachResult(client.label, errors=(str(failed),))
    if not answer.ok:
        return AttachResult(client.label, errors=(client.message(status_text(answer, hints)),))
    return AttachResult(client.label, attached=tuple(payload["reports"]))


def _each(
    client: Client, files: Sequence[File], post: Callable[[File], Answer], hints: Hints
) -> AttachResult:
    """One request per file, so each success counts. Only a size refusal is about one file;
    after any other failure the rest would meet the same, so they are not sent."""
    attached: list[str] = []
    errors: list[str] = []
    for index, file in enumerate(files):
        try:
            answer = post(file)
        except RequestFailed as failed:
            return _result(client, attached, [*errors, str(failed)], files[index + 1 :])
        if answer.ok:
            attached.append(file.name)
            continue
        errors.append(client.message(f"{file.name}: {status_text(answer, hints)}"))
        if answer.status != 413:
            return _result(client, attached, errors, files[index + 1 :])
    return _result(client, attached, errors, ())


def _result(
    client: Client, attached: list[str], errors: list[str], unsent: Sequence[File]
) -> AttachResult:
    if unsent:
        names = ", ".join(file.name for file in unsent)
        errors = [*errors, client.message(f"not sent after the error above: {names}")]
    return AttachResult(client.label, tuple(attached), tuple(errors))
