"""Where reports go: the destination types, their validation and their credentials."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from scanner.errors import AttachError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_ISSUE_KEY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_]*-)?[0-9]+$")
# No ServiceNow encoded-query operators (^, =, !) can slip into the lookup.
_CHANGE_NUMBER = re.compile(r"^[A-Za-z0-9_.-]+$")
JIRA_VARIABLES = "JIRA_USER and JIRA_TOKEN"
SERVICENOW_VARIABLES = "SERVICENOW_USER and SERVICENOW_PASSWORD"


@dataclass(frozen=True)
class Jira:
    url: str
    issue: str

    @property
    def label(self) -> str:
        return f"Jira issue {self.issue}"


@dataclass(frozen=True)
class ServiceNow:
    url: str
    change: str

    @property
    def label(self) -> str:
        return f"ServiceNow change {self.change}"


@dataclass(frozen=True)
class Webhook:
    url: str

    @property
    def label(self) -> str:
        return f"webhook {display_url(self.url)}"


Destination = Jira | ServiceNow | Webhook
Auth = AuthBase | None


@dataclass(frozen=True)
class AttachResult:
    """What reached the destination: file names (for a webhook, the names it announced)."""

    destination: str
    attached: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def destination_from_options(
    *,
    jira_url: str | None = None,
    issue: str | None = None,
    servicenow_url: str | None = None,
    change: str | None = None,
    webhook: str | None = None,
) -> Destination | None:
    """The one destination the flags name, validated; ``None`` when no flag is given."""
    _pair("--jira-url", jira_url, "--issue", issue)
    _pair("--servicenow-url", servicenow_url, "--change", change)
    flags = (("--jira-url", jira_url), ("--servicenow-url", servicenow_url), ("--webhook", webhook))
    named = [flag for flag, value in flags if value]
    if len(named) > 1:
        raise AttachError(f"{' and '.join(named)}: choose one destination")
    if jira_url and issue:
        if not _ISSUE_KEY.match(issue):
            raise AttachError(f"--issue {issue!r}: not a Jira issue key like ABC-123")
        return Jira(_checked_url(jira_url, "--jira-url", f"set {JIRA_VARIABLES}"), issue)
    if servicenow_url and change:
        if not _CHANGE_NUMBER.match(change):
            raise AttachError(f"--change {change!r}: not a change number like CHG0030001")
        url = _checked_url(servicenow_url, "--servicenow-url", f"set {SERVICENOW_VARIABLES}")
        return ServiceNow(url, change)
    if webhook:
        return Webhook(_checked_url(webhook, "--webhook", "a webhook takes none", query=True))
    return None


def display_url(url: str) -> str:
    """A webhook URL fit for messages: its path and query are often the secret."""
    parts = urlsplit(url)
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{tail}"


def credentials(destination: Destination, environ: Mapping[str, str]) -> tuple[Auth, list[str]]:
    """The auth for ``destination`` and the values to mask in every message."""
    if isinstance(destination, Jira):
        token, user = environ.get("JIRA_TOKEN", ""), environ.get("JIRA_USER", "")
        if not token:
            raise AttachError(
                "Jira needs JIRA_TOKEN: a personal access token (Data Center), or with "
                "JIRA_USER an API token (Cloud)"
            )
        return (HTTPBasicAuth(user, token) if user else _Bearer(token)), [token]
    if isinstance(destination, ServiceNow):
        user = environ.get("SERVICENOW_USER", "")
        password = environ.get("SERVICENOW_PASSWORD", "")
        variables = (("SERVICENOW_USER", user), ("SERVICENOW_PASSWORD", password))
        missing = [name for name, value in variables if not value]
        if missing:
            raise AttachError(f"ServiceNow needs {' and '.join(missing)} (basic authentication)")
        return HTTPBasicAuth(user, password), [password]
    parts = urlsplit(destination.url)
    return None, [parts.path, parts.query, f"{parts.path}?{parts.query}"]


class _Bearer(AuthBase):
    """A bearer token as an auth object, so that a ~/.netrc entry cannot replace it."""

    def __init__(self, token: str):
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _pair(url_flag: str, url: str | None, key_flag: str, key: str | None) -> None:
    if url and not key:
        raise AttachError(f"{url_flag} needs {key_flag}")
    if key and not url:
        raise AttachError(f"{key_flag} needs {url_flag}")


def _checked_url(url: str, flag: str, credentials_hint: str, *, query: bool = False) -> str:
    """``url`` without fragment (and, for a base URL, without trailing slash). The URL itself
    is never quoted back: it may carry a secret."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise AttachError(f"{flag}: not a valid URL") from None
    if "@" in parts.netloc:
        raise AttachError(f"{flag}: put no user name or password in the URL; {credentials_hint}")
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if parts.scheme != "https" and not local:
        raise AttachError(f"{flag}: use an https:// URL (http only for localhost and 127.0.0.1)")
    if not parts.hostname:
        raise AttachError(f"{flag}: the URL has no host")
    if parts.query and not query:
        raise AttachError(f"{flag}: give the base URL, without a query string")
    url = url.split("#", 1)[0]
    return url if query else url.rstrip("/")
