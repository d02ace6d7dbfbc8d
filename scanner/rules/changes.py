"""What changed between two runs: new and resolved blockers, status and version changes.

Used by evaluation (a scan compared with the previous run of its ``--output-dir``) and by
``upgrade-scanner diff``.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import Roadmap, Severity, Status
from scanner.report import Change, Changes, ClusterResult, Report

REGRESSED = (Status.BLOCKED, Status.UNKNOWN)


def compare(old: Report, new: Report | Sequence[ClusterResult]) -> Changes:
    """Blockers that appeared or went away since ``old``, per-cluster status and version
    changes, and (for a new report) what changed in the roadmap."""
    roadmap_changes: tuple[Change, ...] = ()
    if isinstance(new, Report):
        roadmap_changes = _roadmap_changes(old.roadmap, new.roadmap)
        new = new.clusters
    before = {c.context: c for c in old.clusters}
    after = {c.context: c for c in new}
    old_blockers = _blockers(old.clusters)
    new_blockers = _blockers(new)
    status_changes = []
    version_changes = []
    for context in [*after, *(c for c in before if c not in after)]:
        was, now = before.get(context), after.get(context)
        was_status = was.status.value if was else None
        now_status = now.status.value if now else None
        if was_status != now_status:
            status_changes.append(Change(context, was_status, now_status))
        was_version = _version(was)
        now_version = _version(now)
        if was and now and was_version != now_version:
            version_changes.append(Change(context, was_version, now_version))
    return Changes(
        since=old.generated_at,
        previous_verdict=old.verdict.value,
        new_blockers=tuple(
            Change(context, None, finding_id, message)
            for (context, finding_id), message in new_blockers.items()
            if (context, finding_id) not in old_blockers
        ),
        resolved=tuple(
            Change(context, finding_id, None, message)
            for (context, finding_id), message in old_blockers.items()
            if (context, finding_id) not in new_blockers
        ),
        status_changes=tuple(status_changes),
        version_changes=tuple(version_changes),
        roadmap_changes=roadmap_changes,
    )


FLEET = "(fleet)"  # the context of a change of the fleet's roadmap as a whole


def _roadmap_changes(old: Roadmap | None, new: Roadmap | None) -> tuple[Change, ...]:
    """The route, the number of windows and blocked actions, and each cluster's minors still
    to climb, where they differ."""
    if old is None or new is None:
        return ()
    found = []
    if old.route != new.route:
        found.append(Change(FLEET, " -> ".join(old.route), " -> ".join(new.route), "route"))
    if old.total_windows != new.total_windows:
        found.append(
            Change(FLEET, f"{old.total_windows} windows", f"{new.total_windows} windows", "windows")
        )
    if old.blocked_actions != new.blocked_actions:
        found.append(
            Change(FLEET, str(old.blocked_actions), str(new.blocked_actions), "blocked actions")
        )
    for context in sorted({*old.remaining, *new.remaining}):
        was, now = old.remaining.get(context, 0), new.remaining.get(context, 0)
        if was != now:
            found.append(Change(context, f"{was} steps", f"{now} steps", "minors still to climb"))
    return tuple(found)


def regressed(changes: Changes) -> bool:
    """A cluster became BLOCKED or UNKNOWN (or appeared in one of those states)."""
    bad = {status.value for status in REGRESSED}
    return any(change.after in bad for change in changes.status_changes)


def _blockers(clusters: Sequence[ClusterResult]) -> dict[tuple[str, str], str]:
    return {
        (cluster.context, finding.id): finding.message
        for cluster in clusters
        for finding in cluster.findings
        if finding.severity is Severity.BLOCKER
    }


def _version(cluster: ClusterResult | None) -> str | None:
    return cluster.version.git_version if cluster and cluster.version else None
