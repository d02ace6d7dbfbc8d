"""The two listings that are not reports: ``upgrade-scanner contexts`` (the contexts a scan
would select, their roles and, with ``--discover``, the platform record each one is and the
records no context covers) and ``upgrade-scanner policy`` (the support matrix)."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from scanner.inputs.policy import Policy, Release, format_minor, version_key
from scanner.inputs.targets import Target
from scanner.platform.clusters import ClusterRecord
from scanner.platform.discovery import Discovery
from scanner.platform.match import Coverage
from scanner.render.base import terminal_text


def render_targets(
    targets: Sequence[Target],
    coverage: Coverage | None = None,
    discovery: Discovery | None = None,
) -> str:
    """``contexts``: the selected contexts and, with discovery, the platform record each one
    is, then the records no kubeconfig context covers."""
    shown = coverage.targets if coverage is not None else targets
    rows = [
        [
            terminal_text(t.context),
            t.role.value,
            t.kind,
            terminal_text(t.server) or "-",
            terminal_text(t.problem) if t.problem else "ok",
        ]
        for t in shown
    ]
    headers = ["CONTEXT", "ROLE", "KIND", "SERVER", "CONFIG"]
    lines = []
    if coverage is not None and discovery is not None:
        headers.append("PLATFORM RECORD")
        for row, target in zip(rows, shown, strict=True):
            record = coverage.matches.get(target.context)
            unknown = "not registered" if discovery.registry_read else "-"
            row.append(_record_text(record) if record else unknown)
        for missed in coverage.record_only:
            target = missed.target
            row = [
                terminal_text(target.context),
                "-",
                target.kind,
                terminal_text(target.server) or "-",
            ]
            rows.append([*row, "no kubeconfig context", _record_text(missed.record)])
        for target in coverage.proxied:
            record = coverage.proxied_records[target.context]
            row = [
                terminal_text(target.context),
                "workload",
                target.kind,
                terminal_text(target.server),
            ]
            rows.append([*row, "via platform proxy", _record_text(record)])
        lines = [f"platform: {terminal_text(note)}" for note in discovery.notes]
        if discovery.current_version:
            lines.append(f"platform: current version {terminal_text(discovery.current_version)}")
    table = tabulate(
        rows,
        headers=headers,
        tablefmt="plain",
        disable_numparse=True,  # a context named 1.10 is not the number 1.1
    )
    return "\n".join([table, *lines]) + "\n"


def _record_text(record: ClusterRecord) -> str:
    details = ", ".join(part for part in (record.kind, record.version) if part)
    return terminal_text(record.name + (f" ({details})" if details else ""))


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
    rejecting = [r for r in releases if r.rejected_runtimes]
    if rejecting:
        by_release = "; ".join(f"{r.version}: {', '.join(r.rejected_runtimes)}" for r in rejecting)
        lines.append(f"container runtimes the upgrade preflight rejects: {by_release}")
    if only is not None:
        lines.extend(f"note ({note.kind}): {note.message}" for note in only.notes)
        lines.extend(
            f"manual check {check.id}: {check.text} ({check.source})"
            for check in only.manual_checks
        )
    return "\n".join(lines) + "\n"
