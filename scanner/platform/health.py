"""The global cluster's own health before its upgrade, as the vendor's procedure asks for
it: an etcd backup taken and verified (``etcdbackupconfigurations`` ``etcd-backup-default``,
Cluster Enhancer plugin) and no node certificate request left pending. Plain data, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from scanner.kube.documents import dig, listed, name_of, text
from scanner.model import BackupRecord, EtcdBackup

SUCCESS = "success"  # the only result the vendor's docs show; compared without case


def read_etcd_backup(config: Mapping[str, Any] | None) -> EtcdBackup | None:
    """``spec.paused``, ``spec.schedule`` and the newest record, and the newest successful
    one, of ``status.records[] {backupTimestamp, fileName, result}``."""
    if config is None:
        return None
    spec = dig(config, "spec")
    records = [
        BackupRecord(
            timestamp=text(r.get("backupTimestamp")),
            file=text(r.get("fileName")),
            result=text(r.get("result")),
        )
        for r in listed(dig(config, "status").get("records"))
        if isinstance(r, dict)
    ]
    ordered = sorted(records, key=_when)
    successes = [r for r in ordered if r.result.lower() == SUCCESS]
    return EtcdBackup(
        name=name_of(config) or "etcd-backup-default",
        paused=spec.get("paused") is True,
        schedule=text(spec.get("schedule")),
        records=len(records),
        newest=ordered[-1] if ordered else None,
        newest_success=successes[-1] if successes else None,
    )


def backup_time(record: BackupRecord) -> dt.datetime | None:
    """A record's ``backupTimestamp`` (RFC 3339) as UTC; None when it is not one."""
    try:
        when = dt.datetime.fromisoformat(record.timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _when(record: BackupRecord) -> dt.datetime:
    return backup_time(record) or dt.datetime.min.replace(tzinfo=dt.UTC)


def pending_csrs(found: Sequence[Mapping[str, Any]]) -> int:
    """Certificate signing requests neither approved, denied nor failed, without a
    certificate: a node waiting to join or to renew its certificate."""
    decided = {"Approved", "Denied", "Failed"}
    pending = 0
    for item in found:
        status = dig(item, "status")
        types = {
            text(c.get("type")) for c in listed(status.get("conditions")) if isinstance(c, dict)
        }
        if not types & decided and not status.get("certificate"):
            pending += 1
    return pending
