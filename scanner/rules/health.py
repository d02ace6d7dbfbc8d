"""The health the vendor's procedure asks of the clusters before an upgrade: an etcd backup
of the global cluster taken and recent, nodes Ready, no certificate request left pending.
Plain data in, findings out, no I/O."""

from __future__ import annotations

import datetime as dt

from scanner.durations import duration_text
from scanner.model import EtcdBackup, Evidence, Finding, NodeSummary, Role, Severity, finding
from scanner.platform.health import SUCCESS, backup_time
from scanner.rules.context import EvaluationContext

SOURCE = "https://docs.alauda.io/container_platform/4.3/configure/backup/etcd.html"


def etcd_backup_rule(
    context: str, backup: EtcdBackup | None, ctx: EvaluationContext
) -> list[Finding]:
    """The global cluster's etcd backup (a prerequisite of the upgrade): no successful
    record, or the newest record failed, blocks; the newest success older than
    ``--max-backup-age``, or the schedule paused, warns. Not read: the manual checklist
    says so (never a pass)."""
    if backup is None:
        return []
    newest, success = backup.newest, backup.newest_success
    blockers, warnings = [], []
    if success is None:
        blockers.append(
            f"{backup.name} records no successful etcd backup ({backup.records} records)"
        )
    elif newest is not None and newest.result.lower() != SUCCESS:
        blockers.append(
            f"the newest etcd backup ({newest.file or 'no file'}, {newest.timestamp or 'no time'}) "
            f"did not succeed: result {newest.result or '(none)'}"
        )
    age = _age(success.timestamp if success else "", ctx)
    if success is not None and age is None and ctx.now is not None:
        # A success whose time cannot be read proves nothing about how recent it is.
        warnings.append(
            f"the newest successful etcd backup ({success.file or 'no file'}) has no readable "
            f"time ({success.timestamp or 'no backupTimestamp'!r}): its age is not known"
        )
    if success is not None and age is not None and age > ctx.max_backup_age:
        hours = int(age.total_seconds() // 3600)
        warnings.append(
            f"the newest successful etcd backup ({success.file or 'no file'}, "
            f"{success.timestamp}) is {hours} hours old, older than "
            f"{duration_text(ctx.max_backup_age)}"
        )
    if backup.paused:
        warnings.append(f"{backup.name} is paused: no new backup is taken")
    problems = blockers + warnings
    if not problems:
        return []
    severity = Severity.BLOCKER if blockers else Severity.WARNING
    fix = (
        "take an etcd backup of the global cluster now and check that it succeeded "
        f"(Cluster Enhancer, etcd-backup-default; see {SOURCE}), then re-run the scan"
    )
    message = "; ".join(problems)
    return [finding("etcd-backup", context, severity, message, fix, evidence=Evidence.PLATFORM)]


def _age(timestamp: str, ctx: EvaluationContext) -> dt.timedelta | None:
    from scanner.model import BackupRecord

    when = backup_time(BackupRecord(timestamp=timestamp)) if timestamp else None
    return ctx.now - when if when is not None and ctx.now is not None else None


def node_health_rule(context: str, role: Role, nodes: NodeSummary) -> list[Finding]:
    """Nodes that are not Ready: a blocker on the global cluster (the vendor asks for all
    nodes Ready before its upgrade), a warning on a workload cluster."""
    if nodes.not_ready <= 0:
        return []
    count = nodes.not_ready
    message = f"{count} of {nodes.count} node{'' if nodes.count == 1 else 's'} not Ready"
    if role is Role.GLOBAL:
        fix = "bring every node of the global cluster back to Ready before its upgrade"
        return [finding("node-health", context, Severity.BLOCKER, message, fix)]
    fix = "bring those nodes back to Ready (or remove them) before the cluster's upgrade"
    return [finding("node-health", context, Severity.WARNING, message, fix)]


def pending_csr_rule(context: str, pending: int | None) -> list[Finding]:
    """Certificate requests on the global cluster neither approved nor denied."""
    if not pending:
        return []
    message = (
        f"{pending} certificate signing request{'' if pending == 1 else 's'} pending on the "
        "global cluster (a node waiting to join or to renew its certificate)"
    )
    fix = "kubectl get csr; approve (kubectl certificate approve) or deny each, then re-run"
    return [
        finding("pending-csr", context, Severity.WARNING, message, fix, evidence=Evidence.PLATFORM)
    ]
