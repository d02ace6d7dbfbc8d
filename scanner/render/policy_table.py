"""``upgrade-scanner policy``: the support matrix as a terminal table."""

from __future__ import annotations

from tabulate import tabulate

from scanner.inputs.policy import Policy, Release, format_minor, version_key


def render_policy(policy: Policy, only: Release | None = None) -> str:
    releases = (
        [only]
        if only
        else sorted(policy.releases.values(), key=lambda r: version_key(r.version), reverse=True)
    )
    rows = [
        [
            release.version,
            ", ".join(format_minor(m) for m in release.new_cluster_kubernetes) or "-",
            ", ".join(format_minor(m) for m in release.compatible_minors) or "-",
            release.rule or "-",
            ", ".join(release.upgrade_from) or "-",
            str(release.onboarding) if release.onboarding else "-",
        ]
        for release in releases
    ]
    headers = [
        "PLATFORM",
        "NEW CLUSTERS",
        "COMPATIBLE MINORS",
        "RULE",
        "UPGRADE FROM",
        "ONBOARDING",
    ]
    lines = [
        f"policy {policy.id} (sha256 {policy.sha256[:12]}…)",
        f"source: {policy.source}",
        "",
        tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True),
        "",
        f"kubelet skew: at most {policy.skew.max_minors_behind} minors behind the API server "
        f"({policy.skew.max_minors_behind_old} when the kubelet is older than "
        f"{format_minor(policy.skew.old_kubelet_before)}); never newer",
    ]
    if policy.blocked_runtimes:
        lines.append("rejected container runtimes: " + ", ".join(policy.blocked_runtimes))
    if only is not None:
        lines.extend(f"note ({note.kind}): {note.message}" for note in only.notes)
    return "\n".join(lines) + "\n"
