"""The operator's inventory: what kind of cluster each context is, and who owns it.

The file is YAML or JSON (the YAML loader reads both)::

    contexts:
      prod-global: {kind: ipi, display_name: Global, owner: platform-team}
      "eks-*": {kind: third-party, notes: imported EKS clusters}
      dc2-admin: {platform_name: upi-dc2}   # its cluster's name on the global cluster

Keys under ``contexts`` are context names or shell globs. A lookup tries the exact name
first, then the globs in file order, so a specific entry can override a broad pattern.
Unknown keys are errors (with the near match) because a typo such as ``onwer`` would
otherwise silently drop data from the change ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from scanner.errors import InventoryError
from scanner.inputs.fields import Checker
from scanner.inputs.yamlfile import quote, read_yaml_file
from scanner.model import CLUSTER_KINDS

ENTRY_KEYS = ("kind", "display_name", "owner", "notes", "platform_name", "wave")
_TEXT_KEYS = ("kind", "display_name", "owner", "notes", "platform_name")
_TOP_KEYS = ("contexts",)
_FIX = "fix the file or pass another with --inventory"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class InventoryEntry:
    pattern: str  # the context name or glob as written in the file
    kind: str = "unknown"
    display_name: str = ""
    owner: str = ""
    notes: str = ""
    platform_name: str = ""  # the cluster's record name on the global cluster
    wave: int | None = None  # the roadmap's order: wave 1 reaches each minor before wave 2


@dataclass(frozen=True)
class Inventory:
    path: str  # the file it was read from
    entries: tuple[InventoryEntry, ...] = ()

    def lookup(self, context: str) -> InventoryEntry | None:
        """The entry named ``context``, else the first glob (in file order) matching it."""
        for entry in self.entries:
            if entry.pattern == context:
                return entry
        for entry in self.entries:
            if _GLOB_CHARS & set(entry.pattern) and fnmatchcase(context, entry.pattern):
                return entry
        return None


def load_inventory(path: str) -> Inventory:
    doc = read_yaml_file(path, "inventory", InventoryError, _FIX)
    if doc is None:
        return Inventory(path)
    check = Checker(path, "inventory", InventoryError, _FIX)
    if not isinstance(doc, dict):
        check.fail("top level", "must be a mapping with a 'contexts' key")
    check.mapping(doc, "", _TOP_KEYS)
    contexts = doc.get("contexts") or {}
    if not isinstance(contexts, dict):
        check.fail("contexts", "must be a mapping of context name or glob to an entry")
    return Inventory(path, tuple(_entry(check, name, body) for name, body in contexts.items()))


def _entry(check: Checker, name: object, body: Any) -> InventoryEntry:
    if not isinstance(name, str) or not name:
        check.fail(f"contexts.{_as_yaml(name)}", "a context name must be a non-empty string")
    where = f"contexts.{quote(name)}"
    if body is not None and not isinstance(body, dict):
        check.fail(where, f"must be a mapping with keys {', '.join(ENTRY_KEYS)}")
    entry = check.mapping(body or {}, where, ENTRY_KEYS)
    for key in _TEXT_KEYS:
        if entry.get(key) is not None and not isinstance(entry[key], str):
            check.fail(f"{where}.{key}", f"expected a string, got {check.describe(entry[key])}")
    kind = check.choice(entry.get("kind") or "unknown", f"{where}.kind", CLUSTER_KINDS, "kind")
    platform_name = entry.get("platform_name") or ""
    if platform_name and _GLOB_CHARS & set(name):
        check.fail(f"{where}.platform_name", "names one cluster, so it needs an exact context name")
    wave = entry.get("wave")
    if wave is not None and (isinstance(wave, bool) or not isinstance(wave, int) or wave < 1):
        check.fail(f"{where}.wave", f"expected a whole number from 1, got {check.describe(wave)}")
    return InventoryEntry(
        pattern=name,
        wave=wave,
        kind=kind,
        display_name=entry.get("display_name") or "",
        owner=entry.get("owner") or "",
        notes=entry.get("notes") or "",
        platform_name=platform_name,
    )


def _as_yaml(key: object) -> str:
    """A key as YAML spells it (``null``, ``true``, ``""``), not as Python does."""
    if key is None:
        return "null"
    if isinstance(key, bool):
        return str(key).lower()
    return quote(key) if isinstance(key, str) else str(key)
