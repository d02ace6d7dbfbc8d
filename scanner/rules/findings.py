"""What every rule shares: how a finding id is made, and common wording."""

from __future__ import annotations

from scanner.model import Finding, Severity

BEFORE_GLOBAL = "before upgrading the global cluster"


def finding(rule: str, context: str, severity: Severity, message: str, fix: str = "") -> Finding:
    """A finding with the stable id ``<rule>/<context>``."""
    return Finding(f"{rule}/{context}", rule, severity, message, fix)


def nodes_run(count: int) -> str:
    return "1 node runs" if count == 1 else f"{count} nodes run"
