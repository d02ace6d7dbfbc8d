"""Where each finding's evidence came from (SPEC 4): ``live`` (the cluster's own answer),
``record`` (the platform's record of it), ``flag`` (``--from``), ``platform`` (the
platform's own checks and objects) or ``config`` (kubeconfig, inventory, policy). A finding
whose evidence is not a live answer says so in its message too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner.model import Finding

# Rules whose evidence never is the cluster's live answer.
RULE_EVIDENCE = {
    "not-scanned": "record",
    "not-registered": "record",
    "record-mismatch": "record",
    "tcp-not-ready": "platform",
    "preflight": "platform",
    "upgrade-stalled": "platform",
    "upgrade-in-progress": "platform",
    "extension": "platform",
    "cluster-module": "platform",
    "cluster-phase": "platform",
    "admin-gate": "platform",
    "resource-patch": "platform",
    "insecure-tls": "config",
    "kind-unknown": "config",
    "hcp-preview": "config",
    "waiver-expired": "config",
    "waiver-stale": "config",
}
FROM_FLAG = "flag"  # the report's current_version_source values
_CURRENT = {
    "flag": ("flag", "the current version given with --from"),
    "global-cluster": ("platform", "the current version the global cluster reports"),
    "productbase": ("platform", "the current version of the global cluster's ProductBase"),
}


def with_evidence(
    findings: Sequence[Finding], *, record_only: bool, current_source: str | None
) -> list[Finding]:
    """``findings`` with ``evidence`` set. A cluster known only from its record has every
    cluster rule judged on the recorded version: those say so."""
    marked = []
    for finding in findings:
        if finding.evidence != "live":  # set by the rule itself (a gate on the record)
            marked.append(finding)
        elif finding.rule == "upgrade-path":
            evidence, said = _CURRENT.get(current_source or FROM_FLAG, _CURRENT[FROM_FLAG])
            message = finding.message
            if current_source is not None:
                message += f" ({said})"
            marked.append(replace(finding, evidence=evidence, message=message))
        elif finding.rule in RULE_EVIDENCE:
            marked.append(replace(finding, evidence=RULE_EVIDENCE[finding.rule]))
        elif record_only:
            message = f"{finding.message} (the platform's record: not scanned live)"
            marked.append(replace(finding, evidence="record", message=message))
        else:
            marked.append(finding)
    return marked
