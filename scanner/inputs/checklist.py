"""The manual checks of a platform release (policy data): what the vendor's pre-upgrade
procedure requires and no API shows, each with its source and, where facts decide whether
it applies, a condition (``when``: the current release, a module installed on some cluster).

Validated with the policy's field checker::

    manual_checks:
      - id: topolvm-package
        text: Upload the TopoLVM package to the clusters that run it before the upgrade.
        source: https://docs.alauda.io/container_platform/4.3/upgrade/pre-upgrade.html
        when: {from: ["4.0"], modules: ["topolvm"]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scanner.inputs.fields import Checker

_KEYS = ("id", "text", "source", "when")
_REQUIRED = ("id", "text", "source")
_WHEN_KEYS = ("from", "modules")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class ManualCheckSpec:
    """One manual check as the policy states it. ``when_from``: only from these current
    releases; ``when_modules``: only when some cluster runs an extension whose module name
    contains one of these (case-insensitive). Empty: always."""

    id: str
    text: str
    source: str
    when_from: tuple[str, ...] = ()
    when_modules: tuple[str, ...] = ()


def parse_manual_checks(check: Checker, value: Any, where: str) -> tuple[ManualCheckSpec, ...]:
    found = []
    for i, item in enumerate(check.items(value, where)):
        at = f"{where}[{i}]"
        raw = check.mapping(item, at, _KEYS, _REQUIRED)
        ident = check.string(raw["id"], f"{at}.id")
        if not _SLUG.fullmatch(ident):
            check.fail(f"{at}.id", f"{ident!r} is not an id like minio-free-space")
        source = check.string(raw["source"], f"{at}.source")
        if not source.startswith("https://"):
            check.fail(f"{at}.source", "expected the https:// address the check is taken from")
        when = check.mapping(raw.get("when") or {}, f"{at}.when", _WHEN_KEYS)
        found.append(
            ManualCheckSpec(
                id=ident,
                text=check.string(raw["text"], f"{at}.text"),
                source=source,
                when_from=tuple(
                    check.platform_version(v, f"{at}.when.from[{j}]")
                    for j, v in enumerate(check.items(when.get("from", []), f"{at}.when.from"))
                ),
                when_modules=tuple(
                    check.string(m, f"{at}.when.modules[{j}]").lower()
                    for j, m in enumerate(
                        check.items(when.get("modules", []), f"{at}.when.modules")
                    )
                ),
            )
        )
    check.unique([spec.id for spec in found], where, what="id")
    return tuple(found)
