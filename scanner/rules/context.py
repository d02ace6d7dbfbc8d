"""What every cluster is judged against: the policy, the target release and the current one.

The current platform version is resolved once per run (:func:`resolve_current`): ``--from``,
else what the global cluster reports. :func:`scan_context` and :func:`onboarding_context`
refuse impossible combinations before any cluster is judged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scanner import defaults
from scanner.durations import parse_duration
from scanner.errors import PolicyError, UsageError
from scanner.inputs.policy import Policy, Release, version_key
from scanner.model import CurrentSource
from scanner.platform.discovery import Discovery
from scanner.versions import (
    PlatformVersion,
    VersionError,
    normalize_platform_version,
    parse_platform_version,
)

MAX_PREFLIGHT_AGE = parse_duration(defaults.MAX_PREFLIGHT_AGE)  # --max-preflight-age
MAX_BACKUP_AGE = parse_duration(defaults.MAX_BACKUP_AGE)  # --max-backup-age


@dataclass(frozen=True)
class EvaluationContext:
    """What every cluster is judged against. Build it with :func:`scan_context` or
    :func:`onboarding_context`, which refuse impossible combinations up front.

    ``target``/``from_release`` are the policy's releases (``4.2``); ``target_version``/
    ``from_version`` the versions as given or reported (``4.2.1``), which reports show."""

    policy: Policy
    target: Release
    from_release: Release | None = None
    current_source: CurrentSource | None = None  # where from_release came from
    check_onboarding: bool = True
    target_version: PlatformVersion | None = None  # None: the release itself
    from_version: PlatformVersion | None = None
    # When the run judges (how old evidence is), and how old it may be.
    now: dt.datetime | None = None
    max_preflight_age: dt.timedelta = MAX_PREFLIGHT_AGE
    max_backup_age: dt.timedelta = MAX_BACKUP_AGE

    @property
    def target_text(self) -> str:
        return str(self.target_version) if self.target_version else self.target.version

    @property
    def from_text(self) -> str | None:
        if self.from_version is not None:
            return str(self.from_version)
        return self.from_release.version if self.from_release else None

    @property
    def patch_upgrade(self) -> bool:
        """A patch upgrade within one release (4.2.0 -> 4.2.1)."""
        return self.from_release is not None and self.from_release.version == self.target.version


@dataclass(frozen=True)
class Current:
    """The current platform version of a run: the release, the version as given or
    reported, where it came from, and why there is none when there is none (for the one
    usage error that needs it)."""

    release: Release | None = None
    source: CurrentSource | None = None
    missing: str = ""  # why it is not known
    version: PlatformVersion | None = None


def target_release(policy: Policy, target: str) -> Release:
    """The release ``--target`` names; PolicyError when unknown, UsageError without a rule."""
    release = policy.release(target)
    if release.rule is None:
        targets = ", ".join(v for v in policy.known_versions if policy.releases[v].rule)
        raise UsageError(
            f"--target {release.version}: this policy gives {release.version} no upgrade rule, "
            f"so it cannot be a target (targets: {targets})"
        )
    return release


def resolve_current(
    policy: Policy,
    target: Release,
    from_flag: str | None,
    discovery: Discovery | None,
    target_version: PlatformVersion | None = None,
) -> Current:
    """``--from`` (PolicyError when the policy does not know it), else the version the
    global cluster reports when the policy knows it and it is older than the target, else
    nothing and why."""
    if from_flag is not None:
        return Current(policy.release(from_flag), CurrentSource.FLAG, "", _parsed(from_flag))
    if discovery is None:
        return Current(missing="platform discovery is off")
    found = discovery.current_version
    if not found:
        return Current(missing=_why_not_reported(discovery))
    reported = _parsed(found)
    wanted = target_version or PlatformVersion(*target.key)
    if reported is not None and reported.release == target.version and not _older(reported, wanted):
        return Current(missing=f"the global cluster already runs platform {found}")
    try:
        release = policy.release(found)
    except PolicyError as exc:
        why = f"the global cluster reports platform version {found}, which is not usable: {exc}"
        return Current(missing=why)
    source = discovery.current_version_source or CurrentSource.GLOBAL_CLUSTER
    return Current(release, source, "", reported)


def _parsed(text: str) -> PlatformVersion | None:
    try:
        return parse_platform_version(text)
    except VersionError:
        return None


def _older(current: PlatformVersion, target: PlatformVersion) -> bool:
    """Within one release: both patches known and the current one lower."""
    return current.patch is not None and target.patch is not None and current.patch < target.patch


def _why_not_reported(discovery: Discovery) -> str:
    detail = discovery.why_no_current()
    return "the global cluster did not report its current version" + (
        f" ({detail})" if detail else ""
    )


def platform_release(text: str) -> str | None:
    """``v4.2.3`` -> ``4.2``; None when it is not a platform version."""
    try:
        return normalize_platform_version(text)
    except VersionError:
        return None


def scan_context(
    policy: Policy,
    target: Release,
    current: Current,
    *,
    version: PlatformVersion | None = None,
    check_onboarding: bool = True,
) -> EvaluationContext:
    """The context of an upgrade scan; UsageError when the target's rule is ``latest`` and the
    current version is not known, or when ``--from`` is the target itself or newer. A
    release is an upgrade source of itself: ``--from 4.2.0 --target 4.2.1`` is a patch
    upgrade, judged by 4.2's own rule."""
    release = current.release
    if target.rule == "latest" and release is None:
        example = max(target.upgrade_from, key=version_key, default="4.1")
        message = (
            f"--from is required for --target {target.version}: its upgrade rule 'latest' "
            f"checks workload clusters against the current platform version (e.g. --from {example})"
        )
        raise UsageError(f"{message}; {current.missing}" if current.missing else message)
    wanted = version or PlatformVersion(*target.key)
    if release is not None:
        _check_order(current.version or PlatformVersion(*release.key), wanted)
    return EvaluationContext(
        policy,
        target,
        release,
        current.source,
        check_onboarding,
        target_version=version,
        from_version=current.version,
    )


def _check_order(current: PlatformVersion, target: PlatformVersion) -> None:
    """``--from`` must be older than ``--target``: a platform is never downgraded, and a
    patch upgrade names both patches."""
    now = "--from is the platform version the global cluster runs now"
    if current.release_key > target.release_key or (
        current.release_key == target.release_key
        and current.patch is not None
        and target.patch is not None
        and current.patch > target.patch
    ):
        raise UsageError(
            f"--from {current} is newer than --target {target}: a platform is never "
            f"downgraded; {now}"
        )
    if current.release_key == target.release_key and not _older(current, target):
        if str(current) == str(target):
            raise UsageError(f"--from {current} is the same as --target {target}; {now}")
        raise UsageError(
            f"--from {current} and --target {target} are the same release; for a patch "
            f"upgrade give both patch versions (e.g. --from {target.release}.0 --target "
            f"{target.release}.1)"
        )


def onboarding_context(policy: Policy, target: str) -> EvaluationContext:
    """Resolve ``--target`` for ``onboarding``: the release must have an onboarding range."""
    release = policy.release(target)
    version = parse_platform_version(target)
    if release.onboarding is None:
        with_range = ", ".join(v for v in policy.known_versions if policy.releases[v].onboarding)
        raise UsageError(
            f"--target {release.version}: this policy has no onboarding range for "
            f"{release.version} (ranges: {with_range or 'none'})"
        )
    return EvaluationContext(policy, release, target_version=version)
