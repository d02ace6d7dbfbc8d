"""What every cluster is judged against: the policy, the target release and the current one.

:func:`scan_context` and :func:`onboarding_context` resolve ``--target``/``--from`` and refuse
impossible combinations before any cluster is contacted.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import UsageError
from scanner.inputs.policy import Policy, Release, version_key


@dataclass(frozen=True)
class EvaluationContext:
    """What every cluster is judged against. Build it with :func:`scan_context` or
    :func:`onboarding_context`, which refuse impossible combinations up front."""

    policy: Policy
    target: Release
    from_release: Release | None = None
    check_onboarding: bool = True


def scan_context(
    policy: Policy, target: str, from_version: str | None = None, *, check_onboarding: bool = True
) -> EvaluationContext:
    """Resolve ``--target``/``--from`` for ``scan``; raise before any cluster is contacted.

    PolicyError for a version the policy does not know; UsageError when the target cannot be
    a target (no rule), when ``latest`` lacks ``--from``, or when ``--from`` equals the target.
    """
    release = target_release(policy, target)
    current = policy.release(from_version) if from_version is not None else None
    if release.rule == "latest" and current is None:
        example = max(release.upgrade_from, key=version_key, default="4.1")
        raise UsageError(
            f"--from is required for --target {release.version}: its upgrade rule 'latest' "
            f"checks workload clusters against the current platform version (e.g. --from {example})"
        )
    if current is not None and current.version == release.version:
        raise UsageError(
            f"--from {current.version} is the same as --target {release.version}; "
            "--from is the platform version the global cluster runs now"
        )
    return EvaluationContext(policy, release, current, check_onboarding)


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
