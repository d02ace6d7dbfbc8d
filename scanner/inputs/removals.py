"""The Kubernetes API removals by release (``scanner/data/removed_apis.yaml``): data, taken
from the upstream Deprecated API Migration Guide, validated on load like the policy (one
line naming the file, the key and the problem)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from scanner.errors import PolicyError
from scanner.inputs.fields import Checker, Minor, read_yaml

LABEL = "removed-APIs data"
_TOP_KEYS = ("id", "source", "removals")
_ENTRY_KEYS = ("group", "version", "resource", "removed_in", "replacement", "source")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")


@dataclass(frozen=True)
class Removal:
    """One API version of one resource that a Kubernetes minor stops serving."""

    group: str  # "" for the core group
    version: str
    resource: str  # plural, lower case, as the API server and its metrics name it
    removed_in: Minor
    replacement: str
    source: str

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def removed_in_text(self) -> str:
        return f"{self.removed_in[0]}.{self.removed_in[1]}"


@dataclass(frozen=True)
class Removals:
    id: str
    source: str
    removals: tuple[Removal, ...]

    def find(self, group: str, version: str, resource: str) -> Removal | None:
        return next(
            (
                r
                for r in self.removals
                if (r.group, r.version, r.resource) == (group, version, resource)
            ),
            None,
        )

    def removed_at(self, minor: Minor) -> tuple[Removal, ...]:
        return tuple(r for r in self.removals if r.removed_in == minor)


def load_removals(path: str | Path | None = None) -> Removals:
    """The bundled removals data (``None``), or a file of the same shape."""
    if path is None:
        resource = files("scanner.data") / "removed_apis.yaml"
        return parse_removals(resource.read_bytes(), str(resource))
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(f"{LABEL} {path}: cannot read the file ({exc.strerror or exc})") from None
    return parse_removals(data, str(path))


def parse_removals(data: bytes, path: str) -> Removals:
    check = Checker(path, LABEL)
    top = check.mapping(read_yaml(data, path, LABEL), "", _TOP_KEYS, _TOP_KEYS)
    entries = check.items(top["removals"], "removals")
    if not entries:
        check.fail("removals", "expected at least one removal")
    removals = tuple(_entry(check, item, f"removals[{i}]") for i, item in enumerate(entries))
    keys = [f"{r.group_version} {r.resource}" for r in removals]
    check.unique(keys, "removals", "the removal of")
    return Removals(
        id=check.string(top["id"], "id"),
        source=check.string(top["source"], "source"),
        removals=removals,
    )


def _entry(check: Checker, value: Any, where: str) -> Removal:
    entry = check.mapping(value, where, _ENTRY_KEYS, _ENTRY_KEYS)
    group = entry["group"]
    if not isinstance(group, str) or (group and not _NAME.match(group)):
        check.fail(f"{where}.group", f'expected an API group name (or "" for core), got {group!r}')
    version = check.string(entry["version"], f"{where}.version")
    if not _VERSION.match(version):
        check.fail(f"{where}.version", f"{version!r} is not an API version like v1beta1")
    resource = check.string(entry["resource"], f"{where}.resource")
    if not _NAME.match(resource) or "." in resource:
        check.fail(f"{where}.resource", f"{resource!r} is not a plural resource like cronjobs")
    source = check.string(entry["source"], f"{where}.source")
    if not source.startswith("https://"):
        check.fail(f"{where}.source", "expected the https:// address it was taken from")
    return Removal(
        group=group,
        version=version,
        resource=resource,
        removed_in=check.minor(entry["removed_in"], f"{where}.removed_in"),
        replacement=check.string(entry["replacement"], f"{where}.replacement"),
        source=source,
    )
