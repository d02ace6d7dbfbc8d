"""Kubeconfig files as small frozen dataclasses, merged exactly like kubectl.

Merge rule (kubectl's, not the Python client's): for every cluster, user and context name,
and for ``current-context``, the first file that sets it wins, as a whole entry (fields are
never mixed across files); an empty ``current-context`` does not count as set. Relative file
paths inside a kubeconfig (``certificate-authority``, ``client-certificate``, ``client-key``,
``tokenFile``, and an exec ``command`` containing a slash) are resolved against the directory
of the file that defines them.

Decisions, checked against kubectl 1.32:

- A file named in ``KUBECONFIG`` that does not exist is skipped; one passed with
  ``--kubeconfig`` (``explicit=True``) is an error. A directory or an unreadable file is an
  error either way. An empty file (or one holding only comments or ``null``) is an empty config.
- Two entries with the same name in one file make the whole file an error: kubectl refuses
  such a file too (``duplicate name "x" in list``), so silently picking one would hide a
  mistake that kubectl reports.
- Field names are case-sensitive and spelled as kubectl writes them (``tls-server-name``,
  ``tokenFile``, ``provideClusterInfo``); unknown keys are ignored, like kubectl does.
  A value of the wrong type makes the file an error, as it does in kubectl.
- Unlike kubectl, an invalid base64 ``*-data`` value or an unusable exec block does not
  reject the file: the entry carries ``invalid`` and only the contexts using it are broken.

Secret-bearing fields are excluded from ``repr`` and values never appear in messages.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from scanner.errors import KubeconfigError
from scanner.inputs.fields import Checker, kind_of
from scanner.inputs.yamlfile import quote, read_yaml_file
from scanner.secrets import KNOWN

_FIX = "fix the file or pass another with --kubeconfig"
_INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
_EXEC_V1 = "client.authentication.k8s.io/v1"

_Entry = TypeVar("_Entry")


ACP_EXTENSION = "acp.io/v1"  # written by the platform's CLI (`ac login`)


@dataclass(frozen=True)
class AcpExtension:
    """The platform CLI's kubeconfig extension (``acp.io/v1``): which platform cluster a
    context or cluster entry is, and whether it is the global one. Read leniently: a value of
    an unexpected type is ignored, never an error (the format is documented, not a schema)."""

    cluster_name: str = ""
    is_global: bool = False
    platform_url: str = ""
    session: str = ""


@dataclass(frozen=True)
class ClusterEntry:
    name: str
    server: str = field(repr=False)  # may carry userinfo; display safe_server(server)
    file: str  # the file that defined it
    certificate_authority: str | None = None  # absolute path
    certificate_authority_data: bytes | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = field(default=None, repr=False)  # may carry userinfo
    invalid: str | None = None  # why the entry is unusable; never holds a secret
    acp: AcpExtension | None = None


@dataclass(frozen=True)
class ExecConfig:
    command: str
    args: tuple[str, ...] = field(default=(), repr=False)  # may carry --token=... flags
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_version: str = _EXEC_V1
    install_hint: str = ""
    provide_cluster_info: bool = False
    interactive_mode: str = "IfAvailable"

    @property
    def secrets(self) -> list[str]:
        """Values never to show: env values and arguments after secret-ish flags."""
        values = [value for _, value in self.env]
        for flag, value in zip(self.args, self.args[1:], strict=False):
            lowered = flag.lower()
            if any(word in lowered for word in ("token", "secret", "password", "key")):
                values.append(value)
        return values


@dataclass(frozen=True)
class UserEntry:
    name: str
    file: str  # the file that defined it
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None  # absolute path
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_certificate: str | None = None  # absolute path
    client_certificate_data: bytes | None = field(default=None, repr=False)
    client_key: str | None = None  # absolute path
    client_key_data: bytes | None = field(default=None, repr=False)
    exec: ExecConfig | None = None
    auth_provider: str | None = None  # name only; auth providers are not supported
    invalid: str | None = None  # why the entry is unusable; never holds a secret


@dataclass(frozen=True)
class ContextEntry:
    name: str
    cluster: str
    user: str
    file: str  # the file that defined it
    namespace: str | None = None
    acp: AcpExtension | None = None


@dataclass(frozen=True)
class Kubeconfig:
    """The merged view of one or more kubeconfig files. ``contexts`` keeps file order."""

    files: tuple[str, ...]
    clusters: Mapping[str, ClusterEntry]
    users: Mapping[str, UserEntry]
    contexts: Mapping[str, ContextEntry]
    current_context: str | None = None
    skipped: tuple[str, ...] = ()  # KUBECONFIG entries that did not exist


def default_kubeconfig_paths(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The files kubectl would read: the ``KUBECONFIG`` list, else ``~/.kube/config``.

    Like kubectl, a set but all-empty ``KUBECONFIG`` (e.g. ``":"``) means no files at all,
    not the default file.
    """
    env = os.environ if environ is None else environ
    value = env.get("KUBECONFIG", "")
    if value:
        return tuple(dict.fromkeys(p for p in value.split(os.pathsep) if p))
    home = env.get("HOME") or os.path.expanduser("~")
    return (os.path.join(home, ".kube", "config"),)


def load_kubeconfigs(paths: Sequence[str], *, explicit: bool) -> Kubeconfig:
    """Read, parse and merge ``paths`` in order; the first file to set a name wins."""
    clusters: dict[str, ClusterEntry] = {}
    users: dict[str, UserEntry] = {}
    contexts: dict[str, ContextEntry] = {}
    current: str | None = None
    files: list[str] = []
    skipped: list[str] = []
    for path in dict.fromkeys(os.path.abspath(p) for p in paths):
        if not explicit and not os.path.exists(path):
            skipped.append(path)
            continue
        parsed = _FileParser(path).parse(read_yaml_file(path, "kubeconfig", KubeconfigError, _FIX))
        files.append(path)
        _merge_first(clusters, parsed.clusters)
        _merge_first(users, parsed.users)
        _merge_first(contexts, parsed.contexts)
        current = current or parsed.current_context
    for user in users.values():
        KNOWN.add(user.token, user.password, user.client_key_data)
        KNOWN.add(*(user.exec.secrets if user.exec else ()))
    return Kubeconfig(tuple(files), clusters, users, contexts, current, tuple(skipped))


def _merge_first(merged: dict[str, _Entry], entries: Mapping[str, _Entry]) -> None:
    for name, entry in entries.items():
        merged.setdefault(name, entry)


def safe_server(url: str) -> str:
    """``url`` without userinfo, query string or fragment, for display.

    The last ``@`` wins so that a password containing ``/``, ``?`` or ``#`` never survives.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    rest = rest.rpartition("@")[2]
    for mark in ("#", "?"):
        rest = rest.partition(mark)[0]
    return f"{scheme}{sep}{rest}"


class _FileEntries(NamedTuple):
    clusters: dict[str, ClusterEntry]
    users: dict[str, UserEntry]
    contexts: dict[str, ContextEntry]
    current_context: str | None


class _FileParser:
    """Turns one file's YAML document into entries; problems raise or go to ``invalid``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.base = os.path.dirname(path)
        # A kubeconfig holds secrets: a wrong value is named by its kind, never shown.
        self.check = Checker(path, "kubeconfig", KubeconfigError, _FIX, show_values=False)

    def resolve(self, path: str) -> str:
        # Go's filepath.Join also cleans the result ("./bin" -> "bin").
        return os.path.normpath(os.path.join(self.base, path))

    def parse(self, doc: Any) -> _FileEntries:
        if doc is None:
            doc = {}
        self.check.typed(doc, "the top level", dict, "a mapping")
        current = _Body(self, "top level", doc).text("current-context")
        clusters = {n: self.cluster(n, b) for n, b in self.entries(doc, "clusters", "cluster")}
        users = {n: self.user(n, b) for n, b in self.entries(doc, "users", "user")}
        contexts = {n: self.context(n, b) for n, b in self.entries(doc, "contexts", "context")}
        return _FileEntries(clusters, users, contexts, current)

    def entries(self, doc: dict[str, Any], section: str, key: str) -> list[tuple[str, _Body]]:
        check = self.check
        raw = check.typed(doc.get(section), quote(section), list, "a list of named entries")
        seen: dict[str, int] = {}
        found = []
        for index, item in enumerate(raw or ()):
            where = f"{section}[{index}]"
            check.typed(item, where, dict, "a mapping")
            name = item.get("name")
            if name is None or name == "":
                check.fail("", f"{where} has no name", "give every entry a name")
            check.typed(name, f"{where}.name", str, "a string")
            if name in seen:
                check.fail(
                    "",
                    f"{section}[{seen[name]}] and {where} are both named {quote(name)}",
                    "kubectl refuses duplicate names in one file too; remove or rename one",
                )
            seen[name] = index
            found.append((name, _Body(self, f"{where} {quote(name)}", item).child(key)))
        return found

    def cluster(self, name: str, body: _Body) -> ClusterEntry:
        return ClusterEntry(
            name=name,
            server=body.text("server") or "",
            file=self.path,
            certificate_authority=body.path("certificate-authority"),
            certificate_authority_data=body.data("certificate-authority-data"),
            insecure_skip_tls_verify=body.flag("insecure-skip-tls-verify"),
            tls_server_name=body.text("tls-server-name"),
            proxy_url=body.text("proxy-url"),
            invalid="; ".join(body.problems) or None,
            acp=_acp_extension(body.raw),
        )

    def user(self, name: str, body: _Body) -> UserEntry:
        provider = body.optional_child("auth-provider")
        return UserEntry(
            name=name,
            file=self.path,
            token=body.text("token"),
            token_file=body.path("tokenFile"),
            username=body.text("username"),
            password=body.text("password"),
            client_certificate=body.path("client-certificate"),
            client_certificate_data=body.data("client-certificate-data"),
            client_key=body.path("client-key"),
            client_key_data=body.data("client-key-data"),
            exec=_exec_config(body),
            auth_provider=None if provider is None else (provider.text("name") or "unnamed"),
            invalid="; ".join(body.problems) or None,
        )

    def context(self, name: str, body: _Body) -> ContextEntry:
        return ContextEntry(
            name=name,
            cluster=body.text("cluster") or "",
            user=body.text("user") or "",
            file=self.path,
            namespace=body.text("namespace"),
            acp=_acp_extension(body.raw),
        )


def _acp_extension(raw: Mapping[str, Any]) -> AcpExtension | None:
    """The ``acp.io/v1`` entry of ``extensions`` (a list of ``{name, extension}``)."""
    items = raw.get("extensions")
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or item.get("name") != ACP_EXTENSION:
            continue
        value = item.get("extension")
        if not isinstance(value, dict):
            return None

        text = {k: v.strip() for k, v in value.items() if isinstance(v, str)}
        flag = value.get("isGlobal")
        return AcpExtension(
            cluster_name=text.get("clusterName", ""),
            is_global=flag is True or (isinstance(flag, str) and flag.lower() == "true"),
            platform_url=text.get("platformUrl", ""),
            session=text.get("sessionName", ""),
        )
    return None


class _Body:
    """Typed access to one mapping; ``where`` names it in messages, never its values."""

    def __init__(self, parser: _FileParser, where: str, raw: dict[str, Any]) -> None:
        self.parser, self.where, self.raw = parser, where, raw
        self.problems: list[str] = []

    def typed(self, key: str, cls: type, label: str) -> Any:
        return self.parser.check.typed(self.raw.get(key), f"{self.where}: {key}", cls, label)

    def text(self, key: str) -> str | None:
        return self.typed(key, str, "a string") or None  # kubectl treats "" as unset

    def flag(self, key: str) -> bool:
        return bool(self.typed(key, bool, "true or false"))

    def path(self, key: str) -> str | None:
        value = self.text(key)
        return None if value is None else self.parser.resolve(value)

    def data(self, key: str) -> bytes | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            # Go's decoder (kubectl) skips line breaks but is otherwise strict.
            return base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            self.problems.append(f"{key} is not valid base64")
            return None

    def strings(self, key: str) -> tuple[str, ...]:
        items = self.typed(key, list, "a list") or []
        for item in items:
            if not isinstance(item, str):
                self.parser.check.fail(
                    "", f"{self.where}: {key} holds {kind_of(item)}, not a string"
                )
        return tuple(items)

    def child(self, key: str) -> _Body:
        sub = _Body(self.parser, f"{self.where}.{key}", self.typed(key, dict, "a mapping") or {})
        sub.problems = self.problems  # problems of a nested block belong to the entry
        return sub

    def optional_child(self, key: str) -> _Body | None:
        return None if self.raw.get(key) is None else self.child(key)


def _exec_config(user: _Body) -> ExecConfig | None:
    body = user.optional_child("exec")
    if body is None:
        return None
    command = body.text("command") or ""
    if "/" in command:  # a bare name is looked up on PATH, like kubectl does
        command = body.parser.resolve(command)
    api_version = body.text("apiVersion") or ""
    # kubectl defaults interactiveMode only for the beta/alpha exec APIs and refuses the rest.
    mode = body.text("interactiveMode") or ("" if api_version == _EXEC_V1 else "IfAvailable")
    required = {"command": command, "apiVersion": api_version, "interactiveMode": mode}
    user.problems.extend(f"exec has no {key}" for key, value in required.items() if not value)
    if mode and mode not in _INTERACTIVE_MODES:
        user.problems.append(f"exec interactiveMode must be one of {', '.join(_INTERACTIVE_MODES)}")
    return ExecConfig(
        command=command,
        args=body.strings("args"),
        env=_exec_env(body),
        api_version=api_version,
        install_hint=body.text("installHint") or "",
        provide_cluster_info=body.flag("provideClusterInfo"),
        interactive_mode=mode or "IfAvailable",
    )


def _exec_env(body: _Body) -> tuple[tuple[str, str], ...]:
    pairs = []
    for index, item in enumerate(body.typed("env", list, "a list") or []):
        body.parser.check.typed(item, f"{body.where}: env[{index}]", dict, "a mapping")
        pair = _Body(body.parser, f"{body.where}.env[{index}]", item)
        pairs.append((pair.text("name") or "", pair.text("value") or ""))
    return tuple(pairs)
