"""What every rule shares: common wording, and how a finding judged on a version that is not
the cluster's live answer says so."""

from __future__ import annotations

from scanner.model import Evidence, Observation

BEFORE_GLOBAL = "before upgrading the global cluster"


def nodes_run(count: int) -> str:
    return "1 node runs" if count == 1 else f"{count} nodes run"


def said(obs: Observation) -> str:
    """`` (the platform's record: ...)`` for a message judged on a recorded version; ""
    for the cluster's live answer."""
    if obs.evidence is Evidence.LIVE or not obs.provenance:
        return ""
    return f" ({obs.provenance})"
