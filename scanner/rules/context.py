"""What every cluster is judged against: the policy, the target release and the current one.

The current platform version is resolved once per run (:func:`resolve_current`): ``--from``,
else what the global cluster reports. :func:`scan_context` and :func:`onboarding_context`
refuse impossible combinations before any cluster is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import PolicyError, UsageError
from scanner.inputs.policy import Policy, Release, version_key
from scanner.model import CurrentSource
from scanner.platform.discovery import Discovery
from scanner.versions import VersionError, normalize_platform_version


@dataclass(frozen=True)
class EvaluationContext:
    """What every cluster is judged against. Build it with :func:`scan_context` or
    :func:`onboarding_context`, which refuse impossible combinations up front."""

    policy: Policy
    target: Release
    from_release: Release | None = None
    current_source: CurrentSource | None = None  # where from_release came from
    check_onboarding: bool = True


@dataclass(frozen=True)
class Current:
    """The current platform version of a run: the release, where it came from, and why
    there is none when there is none (for the one usage error that needs it)."""

    release: Release | None = None
    source: CurrentSource | None = None
    missing: str = ""  # why it is not known


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
    policy: Policy, target: Release, from_flag: str | None, discovery: Discovery | None
) -> Current:
    """``--from`` (PolicyError when the policy does not know it), else the version the
    global cluster reports when the policy knows it, else nothing and why."""
    if from_flag is not None:
        return Current(policy.release(from_flag), CurrentSource.FLAG)
    if discovery is None:
        return Current(missing="platform discovery is off")
    found = discovery.current_version
    if not found:
        return Current(missing=_why_not_reported(discovery))
    if platform_release(found) == target.version:
        return Current(missing=f"the global cluster already runs platform {found}")
    try:
        release = policy.release(found)
    except PolicyError as exc:
        why = f"the global cluster reports platform version {found}, which is not usable: {exc}"
        return Current(missing=why)
    return Current(release, discovery.current_version_source or CurrentSource.GLOBAL_CLUSTER)


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
    policy: Policy, target: Release, current: Current, *, check_onboarding: bool = True
) -> EvaluationContext:
    """The context of an upgrade scan; UsageError when the target's rule is ``latest`` and the
    current version is not known, or when ``--from`` is the target itself."""
    release = current.release
    if target.rule == "latest" and release is None:
        example = max(target.upgrade_from, key=version_key, default="4.1")
        message = (
            f"--from is required for --target {target.version}: its upgrade rule 'latest' "
            f"checks workload clusters against the current platform version (e.g. --from {example})"
        )
        raise UsageError(f"{message}; {current.missing}" if current.missing else message)
    if release is not None and release.version == target.version:
        raise UsageError(
            f"--from {release.version} is the same as --target {target.version}; "
            "--from is the platform version the global cluster runs now"
        )
    return EvaluationContext(policy, target, release, current.source, check_onboarding)


def onboarding_context(policy: Policy, target: str) -> EvaluationContext:
    """Resolve ``--target`` for ``onboarding``: the release must have an onboarding range."""
    release = policy.release(target)
    if release.onboarding is None:
        with_range = ", ".join(v for v in policy.known_versions if policy.releases[v].onboarding)
        raise UsageError(
            f"--target {release.version}: this policy has no onboarding range for "
            f"{release.version} (ranges: {with_range or 'none'})"
        )
    return EvaluationContext(policy, release)
