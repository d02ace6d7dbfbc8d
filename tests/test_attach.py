"""Attaching reports to Jira, ServiceNow and webhooks, against ``responses`` (never a network)."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from scanner import model
from scanner.outputs.attach import (
    AttachError,
    AttachResult,
    Jira,
    ServiceNow,
    Webhook,
    attach_files,
    destination_from_options,
    display_url,
    require_credentials,
)
from scanner.outputs.attach.transport import open_client
from tests.render.dataset import canonical_report

JIRA = "https://jira.example.com"
JIRA_UPLOAD = f"{JIRA}/rest/api/2/issue/OPS-42/attachments"
SN = "https://acme.service-now.com"
SN_TABLE = f"{SN}/api/now/table/change_request"
SN_UPLOAD = f"{SN}/api/now/attachment/file"
SYS_ID = "a9e9c33dc61b1e7600ab4e7b1c2cf6e7"
HOOK_SECRET = "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
HOOK = f"https://hooks.example.com/services/{HOOK_SECRET}"
TOKEN = "jira-tok-7f3a9c1e5b"
PASSWORD = "sn-pass-2d8e6f0a4c"
JIRA_ENV = {"JIRA_TOKEN": TOKEN}
JIRA_BASIC_ENV = {"JIRA_USER": "bot@example.com", "JIRA_TOKEN": TOKEN}
SN_ENV = {"SERVICENOW_USER": "scanner.bot", "SERVICENOW_PASSWORD": PASSWORD}
SECRETS = (TOKEN, PASSWORD, HOOK_SECRET)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    report = canonical_report()
    paths = {
        "readiness-4.3.json": report.to_json(),
        "readiness-4.3.html": "<!doctype html><p>NOT_READY</p>\n",
        "readiness-4.3.xml": "<testsuites/>\n",
    }
    for name, text in paths.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [str(tmp_path / name) for name in paths]


def attach(files: list[str], destination: Any, environ: dict[str, str], **kw: Any) -> AttachResult:
    return attach_files(files, destination, timeout=3.0, environ=environ, backoff_factor=0, **kw)


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text)


def body(call: Any) -> bytes:
    data = call.request.body
    assert isinstance(data, bytes)
    return data


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# Jira


def test_jira_bearer_token_uploads_each_file_as_multipart(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    mock.post(JIRA_UPLOAD, json=[{"id": "10001"}])
    result = attach(files, Jira(JIRA, "OPS-42"), JIRA_ENV)
    assert result == AttachResult(
        "Jira issue OPS-42",
        attached=("readiness-4.3.json", "readiness-4.3.html", "readiness-4.3.xml"),
    )
    assert result.ok
    assert len(mock.calls) == 3
    request = mock.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-Atlassian-Token"] == "no-check"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    first = body(mock.calls[0])
    assert b'name="file"; filename="readiness-4.3.json"' in first
    assert b"Content-Type: application/json" in first
    assert b'"verdict": "NOT_READY"' in first
    assert b'filename="readiness-4.3.html"' in body(mock.calls[1])
    assert getattr(request, "req_kwargs", {})["timeout"] == (3.0, 3.0)


def test_jira_user_and_token_use_basic_auth(mock: responses.RequestsMock, files: list[str]) -> None:
    mock.post(JIRA_UPLOAD, json=[])
    assert attach(files[:1], Jira(JIRA, "OPS-42"), JIRA_BASIC_ENV).ok
    headers = mock.calls[0].request.headers
    assert headers["Authorization"] == basic("bot@example.com", TOKEN)
    assert headers["X-Atlassian-Token"] == "no-check"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "Jira issue OPS-42: readiness-4.3.json: 401 Unauthorized: check the JIRA_TOKEN "
         "(and JIRA_USER) variable"),
        (403, "403 Forbidden: the account may not attach files to OPS-42"),
        (404, "404 Not Found: no such issue OPS-42"),
    ],
)  # fmt: skip
def test_jira_refusal_stops_and_names_the_unsent_files(
    mock: responses.RequestsMock, files: list[str], status: int, expected: str
) -> None:
    mock.post(JIRA_UPLOAD, status=status, json={"errorMessages": [f"token {TOKEN} bad"]})
    result = attach(files, Jira(JIRA, "OPS-42"), JIRA_ENV)
    assert len(mock.calls) == 1
    assert result.attached == ()
    assert expected in result.errors[0]
    assert result.errors[1] == (
        "Jira issue OPS-42: not sent after the error above: readiness-4.3.html, readiness-4.3.xml"
    )
    assert_no_secret(result)


def test_jira_too_large_skips_only_that_file(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    mock.post(JIRA_UPLOAD, status=413, body="Request Entity Too Large")
    mock.post(JIRA_UPLOAD, json=[])
    result = attach(files[:2], Jira(JIRA, "OPS-42"), JIRA_ENV)
    assert result.attached == ("readiness-4.3.html",)
    assert result.errors == (
        "Jira issue OPS-42: readiness-4.3.json: 413 Request Entity Too Large: attachment too "
        "large for the server's limit",
    )


def test_429_is_retried_then_succeeds(mock: responses.RequestsMock, files: list[str]) -> None:
    mock.post(JIRA_UPLOAD, status=429, body="slow down")
    mock.post(JIRA_UPLOAD, json=[])
    result = attach(files[:1], Jira(JIRA, "OPS-42"), JIRA_ENV)
    assert result.attached == ("readiness-4.3.json",)
    assert result.ok
    assert len(mock.calls) == 2


def test_503_four_times_is_an_error_and_the_file_stays(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    mock.post(JIRA_UPLOAD, status=503, body="<html><h1>Service\n Unavailable</h1></html>")
    result = attach(files[:1], Jira(JIRA, "OPS-42"), JIRA_ENV)
    assert len(mock.calls) == 4  # the first try and 3 retries
    assert result.errors == (
        "Jira issue OPS-42: readiness-4.3.json: 503 Service Unavailable (after 3 retries): "
        "Service Unavailable",
    )
    assert Path(files[0]).is_file()


def test_other_status_quotes_a_short_scrubbed_snippet(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    body = {"errorMessages": [f"bad header Bearer {TOKEN}"], "errors": {"file": "x" * 300}}
    mock.post(JIRA_UPLOAD, status=400, json=body)
    (error, *_) = attach(files[:1], Jira(JIRA, "OPS-42"), JIRA_ENV).errors
    assert error.startswith("Jira issue OPS-42: readiness-4.3.json: 400 Bad Request: bad header")
    assert error.endswith("…")
    assert len(error) < 250
    assert_no_secret(error)


def test_no_answer_is_an_error_value(files: list[str], mock: responses.RequestsMock) -> None:
    # responses refuses the connection to any URL not registered
    result = attach(files[:2], Jira("https://jira.invalid", "OPS-42"), JIRA_ENV)
    assert result.errors[0] == "Jira issue OPS-42: connection refused"
    assert "not sent" in result.errors[1]


def test_jira_missing_token_fails_before_any_request(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    with pytest.raises(AttachError, match="Jira needs JIRA_TOKEN"):
        attach(files, Jira(JIRA, "OPS-42"), {"JIRA_USER": "bot@example.com"})
    with pytest.raises(AttachError, match="JIRA_TOKEN"):
        require_credentials(Jira(JIRA, "OPS-42"), {"JIRA_TOKEN": ""})
    assert len(mock.calls) == 0


def test_missing_file_fails_before_any_request(
    mock: responses.RequestsMock, files: list[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "gone.html")
    with pytest.raises(AttachError, match=r"no such file: .*gone\.html; nothing was sent"):
        attach([files[0], missing], Jira(JIRA, "OPS-42"), JIRA_ENV)
    with pytest.raises(AttachError, match="nothing to attach"):
        attach([], Jira(JIRA, "OPS-42"), JIRA_ENV)
    assert len(mock.calls) == 0


# ServiceNow


def lookup(mock: responses.RequestsMock, number: str, rows: list[dict[str, str]]) -> None:
    query = {
        "sysparm_query": f"number={number}",
        "sysparm_fields": "sys_id,number",
        "sysparm_limit": "1",
    }
    mock.get(SN_TABLE, json={"result": rows}, match=[matchers.query_param_matcher(query)])


def test_servicenow_resolves_the_change_then_uploads_raw_files(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    lookup(mock, "CHG0030001", [{"sys_id": SYS_ID, "number": "CHG0030001"}])
    for path, content_type in zip(
        files, ("application/json", "text/html", "application/xml"), strict=True
    ):
        name = Path(path).name
        query = {"table_name": "change_request", "table_sys_id": SYS_ID, "file_name": name}
        mock.post(
            SN_UPLOAD,
            status=201,
            json={"result": {"sys_id": "f" * 32}},
            match=[
                matchers.query_param_matcher(query),
                matchers.header_matcher({"Content-Type": content_type}),
            ],
        )
    result = attach(files, ServiceNow(SN, "CHG0030001"), SN_ENV)
    assert result.ok, result.errors
    assert result.attached == tuple(Path(path).name for path in files)
    assert len(mock.calls) == 4
    for call in mock.calls:
        assert call.request.headers["Authorization"] == basic("scanner.bot", PASSWORD)
    assert mock.calls[1].request.body == Path(files[0]).read_bytes()


def test_servicenow_unknown_change_sends_nothing(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    lookup(mock, "CHG0000404", [])
    result = attach(files[:2], ServiceNow(SN, "CHG0000404"), SN_ENV)
    assert result.attached == ()
    assert result.errors == (
        "ServiceNow change CHG0000404: no change request CHG0000404",
        "ServiceNow change CHG0000404: not sent after the error above: "
        "readiness-4.3.json, readiness-4.3.html",
    )
    assert len(mock.calls) == 1


def test_servicenow_401_names_the_variables(mock: responses.RequestsMock, files: list[str]) -> None:
    mock.get(SN_TABLE, status=401, json={"error": {"message": "User Not Authenticated"}})
    (error, _) = attach(files[:1], ServiceNow(SN, "CHG0030001"), SN_ENV).errors
    assert error == (
        "ServiceNow change CHG0030001: 401 Unauthorized: check the SERVICENOW_USER and "
        "SERVICENOW_PASSWORD variables"
    )


def test_servicenow_answer_that_is_not_the_table_api(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    mock.get(SN_TABLE, body="<html>login</html>")
    (error, _) = attach(files[:1], ServiceNow(SN, "CHG0030001"), SN_ENV).errors
    assert "not Table API JSON; check --servicenow-url" in error


def test_servicenow_upload_error_keeps_what_was_attached(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    lookup(mock, "CHG0030001", [{"sys_id": SYS_ID, "number": "CHG0030001"}])
    mock.post(SN_UPLOAD, status=201, json={"result": {}})
    mock.post(SN_UPLOAD, status=500, json={"error": {"message": f"password={PASSWORD}"}})
    result = attach(files, ServiceNow(SN, "CHG0030001"), SN_ENV)
    assert result.attached == ("readiness-4.3.json",)
    assert result.errors[0].startswith(
        "ServiceNow change CHG0030001: readiness-4.3.html: 500 Internal Server Error "
        "(after 3 retries): password="
    )
    assert result.errors[1].endswith("not sent after the error above: readiness-4.3.xml")
    assert_no_secret(result)


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "SERVICENOW_USER and SERVICENOW_PASSWORD"),
        ({"SERVICENOW_USER": "bot"}, "SERVICENOW_PASSWORD"),
        ({"SERVICENOW_PASSWORD": PASSWORD}, "SERVICENOW_USER"),
    ],
)
def test_servicenow_missing_variables(
    mock: responses.RequestsMock, files: list[str], environ: dict[str, str], missing: str
) -> None:
    with pytest.raises(AttachError) as caught:
        attach(files, ServiceNow(SN, "CHG0030001"), environ)
    assert str(caught.value) == f"ServiceNow needs {missing} (basic authentication)"
    assert_no_secret(caught.value)
    assert len(mock.calls) == 0


# Webhook


def test_webhook_posts_the_summary_of_the_json_report(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    mock.post(HOOK, body="ok")
    result = attach(files, Webhook(HOOK), {})
    assert result == AttachResult(
        "webhook https://hooks.example.com/…",
        attached=("readiness-4.3.json", "readiness-4.3.html", "readiness-4.3.xml"),
    )
    request = mock.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in request.headers
    payload = json.loads(body(mock.calls[0]))
    assert payload == {
        "text": "NOT_READY: upgrade to 4.3 from 4.2; 9 clusters: 2 pass, 2 warn, 3 blocked, "
        "2 unknown",
        "verdict": "NOT_READY",
        "target": "4.3",
        "from": "4.2",
        "counts": canonical_report().summary.to_dict(),
        "blockers": payload["blockers"],
        "reports": ["readiness-4.3.json", "readiness-4.3.html", "readiness-4.3.xml"],
        "generated_at": "2025-11-20T09:14:03Z",
    }
    assert [b["context"] for b in payload["blockers"]] == [
        "eks-legacy",
        "<img src=x onerror=alert(1)>|pipe",
        "default/api-ocp-prod-example-com:6443/kube:admin",
    ]
    assert [f["id"] for f in payload["blockers"][1]["findings"]] == [
        "runtime/<img src=x onerror=alert(1)>|pipe",
        "window/<img src=x onerror=alert(1)>|pipe",
        "resource-patch/<img src=x onerror=alert(1)>|pipe/coredns-|tune",
    ]
    assert set(payload["blockers"][0]["findings"][0]) == {"id", "message"}


def test_webhook_takes_the_report_in_memory(mock: responses.RequestsMock, files: list[str]) -> None:
    mock.post(HOOK, body="ok")
    result = attach(files[1:], Webhook(HOOK), {}, report=canonical_report())
    assert result.attached == ("readiness-4.3.html", "readiness-4.3.xml")
    assert json.loads(body(mock.calls[0]))["verdict"] == "NOT_READY"


def test_webhook_leaves_out_waived_blockers(mock: responses.RequestsMock, files: list[str]) -> None:
    if not hasattr(model, "Waiver"):
        pytest.skip("no waivers yet")
    report = canonical_report()
    waiver = model.Waiver("window/*", "accepted", "OPS-1", "bob", "2099-01-01")
    clusters = tuple(
        replace(c, findings=tuple(replace(f, waiver=waiver) for f in c.findings))
        if c.context == "eks-legacy"
        else c
        for c in report.clusters
    )
    mock.post(HOOK, body="ok")
    attach(files[:1], Webhook(HOOK), {}, report=replace(report, clusters=clusters))
    blockers = json.loads(body(mock.calls[0]))["blockers"]
    assert [b["context"] for b in blockers] == [
        "<img src=x onerror=alert(1)>|pipe",
        "default/api-ocp-prod-example-com:6443/kube:admin",
    ]


def test_webhook_needs_a_json_report(mock: responses.RequestsMock, files: list[str]) -> None:
    with pytest.raises(AttachError, match=r"--webhook: .* name a \.json file"):
        attach(files[1:], Webhook(HOOK), {})
    assert len(mock.calls) == 0


def test_webhook_failure_never_shows_the_url_path(
    mock: responses.RequestsMock, files: list[str]
) -> None:
    mock.post(HOOK, status=404, body=f"no hook at /services/{HOOK_SECRET}")
    mock.post(HOOK, status=400, body=f"invalid_payload for /services/{HOOK_SECRET}")
    first = attach(files, Webhook(HOOK), {})
    second = attach(files, Webhook(HOOK), {})
    assert first.errors == (
        "webhook https://hooks.example.com/…: 404 Not Found: no webhook at that URL",
    )
    assert second.errors[0].startswith("webhook https://hooks.example.com/…: 400 Bad Request: ")
    assert_no_secret(first, second)


def test_urllib3_retry_warnings_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), open_client("webhook", None, [HOOK_SECRET], 1, 0):
        logging.getLogger("urllib3.connectionpool").warning(
            "Retrying (%r) after connection broken by '%r': %s", "Retry", "reset", HOOK
        )
    logging.getLogger("urllib3.connectionpool").warning("after: %s", "plain")
    assert "[REDACTED]" in caplog.records[0].getMessage()
    assert_no_secret(caplog.text)
    assert caplog.records[1].getMessage() == "after: plain"  # the filter is gone again


# A real HTTP server on 127.0.0.1: urllib3's own retry path, not the one responses emulates


class _FlakyJira(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        first = len(self.bodies) == 1
        self.send_response(503 if first else 200)
        if first:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_real_server_503_then_200_resends_the_whole_body(files: list[str]) -> None:
    _FlakyJira.bodies = []
    with ThreadingHTTPServer(("127.0.0.1", 0), _FlakyJira) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            result = attach(files[:1], Jira(url, "OPS-42"), JIRA_ENV)
        finally:
            server.shutdown()
    assert result.attached == ("readiness-4.3.json",)
    assert len(_FlakyJira.bodies) == 2
    assert _FlakyJira.bodies[0] == _FlakyJira.bodies[1]
    assert b'filename="readiness-4.3.json"' in _FlakyJira.bodies[1]


# Flags and URLs


def test_flags_name_one_destination() -> None:
    assert destination_from_options() is None
    assert destination_from_options(jira_url=f"{JIRA}/", issue="OPS-42") == Jira(JIRA, "OPS-42")
    assert destination_from_options(
        servicenow_url=SN, change="CHG0030001"
    ) == ServiceNow(SN, "CHG0030001")  # fmt: skip
    assert destination_from_options(webhook=f"{HOOK}?x=1") == Webhook(f"{HOOK}?x=1")
    local = destination_from_options(jira_url="http://127.0.0.1:8080/jira", issue="OPS-1")
    assert local == Jira("http://127.0.0.1:8080/jira", "OPS-1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"jira_url": JIRA}, "--jira-url needs --issue"),
        ({"issue": "OPS-1"}, "--issue needs --jira-url"),
        ({"servicenow_url": SN}, "--servicenow-url needs --change"),
        ({"change": "CHG1"}, "--change needs --servicenow-url"),
        (
            {"jira_url": JIRA, "issue": "OPS-1", "webhook": HOOK},
            "--jira-url and --webhook: choose one destination",
        ),
        ({"jira_url": JIRA, "issue": "../../x"}, "not a Jira issue key"),
        ({"servicenow_url": SN, "change": "CHG1^ORnumber!=x"}, "not a change number"),
        ({"webhook": "http://hooks.example.com/x"}, "--webhook: use an https:// URL"),
        ({"jira_url": "ftp://jira", "issue": "OPS-1"}, "--jira-url: use an https:// URL"),
        ({"jira_url": "https://", "issue": "OPS-1"}, "--jira-url: the URL has no host"),
        ({"jira_url": "https://jira:port", "issue": "OPS-1"}, "--jira-url: not a valid URL"),
        ({"jira_url": f"{JIRA}?a=b", "issue": "OPS-1"}, "without a query string"),
        (
            {"jira_url": f"https://bot:{TOKEN}@jira.example.com", "issue": "OPS-1"},
            "--jira-url: put no user name or password in the URL; set JIRA_USER and JIRA_TOKEN",
        ),
        (
            {"servicenow_url": f"https://bot:{PASSWORD}@acme.service-now.com", "change": "C1"},
            "set SERVICENOW_USER and SERVICENOW_PASSWORD",
        ),
    ],
)
def test_bad_flags(options: dict[str, str], message: str) -> None:
    with pytest.raises(AttachError) as caught:
        destination_from_options(**options)
    assert message in str(caught.value)
    assert_no_secret(caught.value)


def test_display_url_hides_path_and_query() -> None:
    assert display_url(HOOK) == "https://hooks.example.com/…"
    assert display_url("https://hooks.example.com/") == "https://hooks.example.com"
    assert display_url("https://hooks.example.com?key=abcd") == "https://hooks.example.com/…"
