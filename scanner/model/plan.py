"""Upgrade plans (SPEC 9): a cluster's path one minor at a time, with what breaks at each
step. What the plan is built from is :class:`~scanner.model.observation.PlanInputs`."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model.core import Finding, Severity
from scanner.serial import Serial


@dataclass(frozen=True)
class PlanStep(Serial):
    """One minor of an upgrade path and what breaks when the control plane reaches it."""

    to: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class UpgradePlan(Serial):
    """A cluster's upgrade plan: its path one minor at a time, with what breaks at each step.
    Its findings never change the cluster's status (SPEC 9); they are counted apart."""

    to: str
    steps: tuple[PlanStep, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for step in self.steps for f in step.findings)

    @property
    def blockers(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.BLOCKER)
