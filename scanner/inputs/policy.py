"""The platform upgrade policy (SPEC sections 2 and 5): data in the package, validated on load.

Every problem in a policy file is a :class:`PolicyError` of one line that names the file, the
key and the problem, and for a typo the near match::

    policy FILE: releases.4.3.rule: unknown rule 'windw' (expected window or latest; did you
    mean 'window'?)

Decisions:
- Release keys and Kubernetes minors must be quoted strings: YAML reads ``4.10`` as 4.1 and
  ``1.30`` as 1.3, so a number is refused rather than guessed at.
- ``upgrade_from`` may only name releases in the same file: the ``latest`` rule needs the
  source's compatible minors, and the hop suggestion walks the file's upgrade graph.
- Duplicate YAML keys are an error (PyYAML would silently keep the last one).
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from scanner.errors import PolicyError, VersionError
from scanner.inputs.checklist import parse_manual_checks
from scanner.inputs.fields import Checker, Minor, Patch, read_yaml
from scanner.inputs.releases import (
    OnboardingRange,
    Release,
    ReleaseNote,
    Rule,
    SkewLimits,
    format_minor,
    format_patch,
    latest_minor,
    notes_for,
    version_key,
)
from scanner.model import CLUSTER_KINDS, PolicyRef, Severity
from scanner.versions import normalize_platform_version

__all__ = [
    "NOTE_KINDS",
    "Minor",
    "OnboardingRange",
    "Patch",
    "Policy",
    "Release",
    "ReleaseNote",
    "SkewLimits",
    "format_minor",
    "format_patch",
    "latest_minor",
    "load_policy",
    "notes_for",
    "parse_policy",
    "version_key",
]


@dataclass(frozen=True)
class Policy:
    id: str
    source: str
    sha256: str
    path: str
    releases: Mapping[str, Release]
    skew: SkewLimits

    @property
    def ref(self) -> PolicyRef:
        return PolicyRef(self.id, self.source, self.sha256)

    @property
    def known_versions(self) -> tuple[str, ...]:
        return tuple(sorted(self.releases, key=version_key))

    def release(self, version_text: str) -> Release:
        """The release a ``--target``/``--from`` value names (``v4.3`` and ``4.3.1`` are 4.3)."""
        try:
            version = normalize_platform_version(version_text)
        except VersionError as exc:
            raise PolicyError(str(exc)) from exc
        try:
            return self.releases[version]
        except KeyError:
            known = ", ".join(self.known_versions)
            raise PolicyError(
                f"unknown platform version {version!r}; this policy knows {known} "
                "(pass a newer policy with --policy)"
            ) from None

    def first_rejecting(self, runtime: str, after: Release) -> Release | None:
        """The first release newer than ``after`` whose preflight rejects ``runtime``."""
        later = [r for r in self.releases.values() if r.key > after.key]
        return min(
            (r for r in later if runtime in r.rejected_runtimes),
            key=lambda r: r.key,
            default=None,
        )

    def upgrade_route(self, source: str, target: str) -> tuple[str, ...] | None:
        """The shortest chain of supported upgrades from ``source`` to ``target``, both ends
        included (``("3.16", "4.0", "4.3")``), or None when the policy has no route.

        Breadth-first over ``upgrade_from``; among equally short routes the one through the
        newest intermediate release wins, so the suggestion is deterministic.
        """
        onward: dict[str, list[str]] = {}
        for release in self.releases.values():
            for origin in release.upgrade_from:
                onward.setdefault(origin, []).append(release.version)
        previous: dict[str, str] = {}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            if here == target:
                return _walk_back(previous, source, target)
            for step in sorted(onward.get(here, ()), key=version_key, reverse=True):
                if step != source and step not in previous:
                    previous[step] = here
                    queue.append(step)
        return None

    def upgrade_routes(self, source: str, target: str, max_hops: int = 4) -> list[tuple[str, ...]]:
        """Every chain of supported upgrades from ``source`` to ``target`` (both ends
        included) of at most ``max_hops`` hops, each hop to a newer release: the roadmap
        weighs them by maintenance windows."""
        onward: dict[str, list[str]] = {}
        for release in self.releases.values():
            for origin in release.upgrade_from:
                onward.setdefault(origin, []).append(release.version)
        found: list[tuple[str, ...]] = []

        def walk(route: tuple[str, ...]) -> None:
            here = route[-1]
            if here == target:
                found.append(route)
                return
            if len(route) > max_hops:
                return
            for step in onward.get(here, ()):
                if version_key(step) > version_key(here) and step not in route:
                    walk((*route, step))

        walk((source,))
        return sorted(found, key=lambda r: (len(r), [version_key(v) for v in reversed(r)]))


def _walk_back(previous: Mapping[str, str], source: str, target: str) -> tuple[str, ...]:
    route = [target]
    while route[-1] != source:
        route.append(previous[route[-1]])
    return tuple(reversed(route))


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy file; ``None`` is the policy bundled with the package."""
    if path is None:
        resource = files("scanner.data") / "policy.yaml"
        return parse_policy(resource.read_bytes(), str(resource))
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(
            f"policy {path}: cannot read the file ({exc.strerror or exc}); "
            "pass a readable policy YAML file with --policy"
        ) from None
    return parse_policy(data, str(path))


def parse_policy(data: bytes, path: str) -> Policy:
    """Validate policy file bytes; ``path`` is only used to name the file in errors."""
    check = Checker(path)
    top = check.mapping(read_yaml(data, path), "", _TOP_KEYS, _TOP_REQUIRED)
    policy_id = check.string(top["id"], "id")
    source = check.string(top["source"], "source")
    skew = _parse_skew(check, top["skew"])
    # Older policies list rejected runtimes once for every release: still read, as the
    # default of a release that lists none of its own.
    every = _parse_runtimes(check, top.get("blocked_runtimes", []), "blocked_runtimes")
    raw_releases = check.mapping(top["releases"], "releases", None)
    if not raw_releases:
        check.fail("releases", "expected at least one release")
    releases: dict[str, Release] = {}
    for key, value in raw_releases.items():
        version = check.platform_version(key, f"releases.{key}")
        releases[version] = _parse_release(check, version, value, every)
    _check_sources(check, releases)
    return Policy(
        id=policy_id,
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
        releases=MappingProxyType(releases),
        skew=skew,
    )


_TOP_KEYS = ("id", "source", "skew", "blocked_runtimes", "releases")
_TOP_REQUIRED = ("id", "source", "skew", "releases")
_SKEW_KEYS = ("max_minors_behind", "max_minors_behind_old", "old_kubelet_before")
_RELEASE_KEYS = (
    "compatible_minors",
    "new_cluster_kubernetes",
    "rule",
    "upgrade_from",
    "onboarding",
    "notes",
    "rejected_runtimes",
    "manual_checks",
)
_ONBOARDING_KEYS = ("min", "max")
_NOTE_KEYS = ("rule", "kind", "severity", "message")
_RULES: tuple[Rule, ...] = ("window", "latest")
NOTE_KINDS = (*CLUSTER_KINDS, "all")
_SEVERITIES = tuple(severity.value for severity in Severity)
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


def _parse_release(
    check: Checker, version: str, value: Any, every_runtime: tuple[str, ...]
) -> Release:
    where = f"releases.{version}"
    raw = check.mapping(value, where, _RELEASE_KEYS)
    # An absent or empty rule: the release is only an upgrade source, never a target.
    rule = raw.get("rule")
    if rule is not None:
        rule = cast(Rule, check.choice(rule, f"{where}.rule", _RULES, "rule"))
    compatible = check.minors(raw.get("compatible_minors", []), f"{where}.compatible_minors")
    if rule and not compatible:
        check.fail(f"{where}.compatible_minors", f"rule {rule!r} needs at least one minor")
    onboarding = raw.get("onboarding")
    return Release(
        version=version,
        compatible_minors=compatible,
        rule=rule,
        upgrade_from=_parse_sources(check, raw.get("upgrade_from", []), f"{where}.upgrade_from"),
        new_cluster_kubernetes=check.minors(
            raw.get("new_cluster_kubernetes", []), f"{where}.new_cluster_kubernetes"
        ),
        onboarding=None if onboarding is None else _parse_onboarding(check, onboarding, where),
        notes=_parse_notes(check, raw.get("notes", []), f"{where}.notes"),
        rejected_runtimes=(
            _parse_runtimes(check, raw["rejected_runtimes"], f"{where}.rejected_runtimes")
            if "rejected_runtimes" in raw
            else every_runtime
        ),
        manual_checks=parse_manual_checks(
            check, raw.get("manual_checks", []), f"{where}.manual_checks"
        ),
    )


def _parse_sources(check: Checker, value: Any, where: str) -> tuple[str, ...]:
    items = check.items(value, where)
    versions = [check.platform_version(item, f"{where}[{i}]") for i, item in enumerate(items)]
    return check.unique(versions, where)


def _parse_onboarding(check: Checker, value: Any, release_where: str) -> OnboardingRange:
    where = f"{release_where}.onboarding"
    raw = check.mapping(value, where, _ONBOARDING_KEYS, _ONBOARDING_KEYS)
    low, high = (check.patch(raw[key], f"{where}.{key}") for key in ("min", "max"))
    if low >= high:
        check.fail(
            where,
            f"min {format_patch(low)} is not below max {format_patch(high)} "
            "(min is inclusive, max exclusive)",
        )
    return OnboardingRange(low, high)


def _parse_notes(check: Checker, value: Any, where: str) -> tuple[ReleaseNote, ...]:
    notes = []
    for i, item in enumerate(check.items(value, where)):
        at = f"{where}[{i}]"
        raw = check.mapping(item, at, _NOTE_KEYS, _NOTE_KEYS)
        rule = check.string(raw["rule"], f"{at}.rule")
        if not _SLUG.fullmatch(rule):
            check.fail(f"{at}.rule", f"{rule!r} is not a rule name like hcp-preview")
        notes.append(
            ReleaseNote(
                rule=rule,
                kind=check.choice(raw["kind"], f"{at}.kind", NOTE_KINDS, "kind"),
                severity=Severity(
                    check.choice(raw["severity"], f"{at}.severity", _SEVERITIES, "severity")
                ),
                message=check.string(raw["message"], f"{at}.message"),
            )
        )
    check.unique([note.rule for note in notes], where, what="rule")
    return tuple(notes)


def _parse_skew(check: Checker, value: Any) -> SkewLimits:
    raw = check.mapping(value, "skew", _SKEW_KEYS, _SKEW_KEYS)
    return SkewLimits(
        max_minors_behind=check.count(raw["max_minors_behind"], "skew.max_minors_behind"),
        max_minors_behind_old=check.count(
            raw["max_minors_behind_old"], "skew.max_minors_behind_old"
        ),
        old_kubelet_before=check.minor(raw["old_kubelet_before"], "skew.old_kubelet_before"),
    )


def _parse_runtimes(check: Checker, value: Any, where: str) -> tuple[str, ...]:
    names = []
    for i, item in enumerate(check.items(value, where)):
        name = check.string(item, f"{where}[{i}]").lower()
        if "://" in name or not _SLUG.fullmatch(name):
            check.fail(f"{where}[{i}]", f"{name!r} is not a runtime name like docker")
        names.append(name)
    return check.unique(names, where)


def _check_sources(check: Checker, releases: Mapping[str, Release]) -> None:
    """Every upgrade source is a release of this file, and a ``latest`` target's sources say
    which minor is their latest."""
    known = ", ".join(sorted(releases, key=version_key))
    for release in releases.values():
        for i, origin in enumerate(release.upgrade_from):
            where = f"releases.{release.version}.upgrade_from[{i}]"
            if origin == release.version:
                check.fail(where, f"{origin} cannot be an upgrade source of itself")
            if origin not in releases:
                check.fail(where, f"release {origin!r} is not in this policy (it has {known})")
            if release.rule == "latest" and not releases[origin].compatible_minors:
                check.fail(
                    where,
                    f"release {origin!r} has no compatible_minors, "
                    f"which the latest rule of {release.version} needs",
                )
