"""The vocabulary of the policy: a platform release, its onboarding range and notes, the
skew limits, and the small helpers every stage uses to show minors and compare releases.
The policy file itself is read and validated by :mod:`scanner.inputs.policy`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from scanner.inputs.checklist import ManualCheckSpec
from scanner.inputs.fields import Minor, Patch
from scanner.model import Severity
from scanner.versions import KubeVersion

Rule = Literal["window", "latest"]


def format_minor(minor: Minor) -> str:
    return f"{minor[0]}.{minor[1]}"


def format_patch(release: Patch) -> str:
    return ".".join(str(part) for part in release)


def version_key(text: str) -> Version:
    """Sort key of a platform version such as ``4.3`` (``4.10`` after ``4.9``)."""
    return Version(text)


@dataclass(frozen=True)
class SkewLimits:
    max_minors_behind: int
    max_minors_behind_old: int
    old_kubelet_before: Minor

    def allowed_behind(self, kubelet: Minor) -> int:
        """How many minors a kubelet of this minor may trail its API server."""
        if kubelet < self.old_kubelet_before:
            return self.max_minors_behind_old
        return self.max_minors_behind


@dataclass(frozen=True)
class OnboardingRange:
    """``min`` inclusive, ``max`` exclusive, compared as major.minor.patch."""

    min: Patch
    max: Patch

    @property
    def specifier(self) -> SpecifierSet:
        return SpecifierSet(f">={format_patch(self.min)},<{format_patch(self.max)}")

    def contains(self, version: KubeVersion) -> bool:
        # A pre-release is never inside a range, even when its numbers are (SPEC 4). Only
        # -alpha/-beta/-rc suffixes make one; a vendor suffix is the same release, so the
        # specifier is given the bare major.minor.patch.
        if version.pre_release:
            return False
        return self.specifier.contains(Version(format_patch(version.release)))

    def __str__(self) -> str:
        return f">={format_patch(self.min)} <{format_patch(self.max)}"


@dataclass(frozen=True)
class ReleaseNote:
    """A finding the release adds for clusters of one ``kind`` (or ``all``)."""

    rule: str
    kind: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class Release:
    version: str
    compatible_minors: tuple[Minor, ...] = ()
    rule: Rule | None = None
    upgrade_from: tuple[str, ...] = ()
    new_cluster_kubernetes: tuple[Minor, ...] = ()
    onboarding: OnboardingRange | None = None
    notes: tuple[ReleaseNote, ...] = ()
    # Container runtimes this release's upgrade preflight rejects (prefix before "://").
    rejected_runtimes: tuple[str, ...] = ()
    manual_checks: tuple[ManualCheckSpec, ...] = ()

    @property
    def key(self) -> tuple[int, int]:
        """``(4, 3)``: the release as numbers, for order."""
        major, minor = self.version.split(".")
        return (int(major), int(minor))

    def window_text(self) -> str:
        """``1.31-1.34`` (with an en dash) for a contiguous window, else the minors listed."""
        minors = sorted(self.compatible_minors)
        if not minors:
            return "(none)"
        first, last = minors[0], minors[-1]
        contiguous = first[0] == last[0] and len(minors) == last[1] - first[1] + 1
        if contiguous and len(minors) > 1:
            return f"{format_minor(first)}\u2013{format_minor(last)}"
        return ", ".join(format_minor(m) for m in minors)


def latest_minor(release: Release) -> Minor | None:
    """The newest compatible minor of a release: what the ``latest`` rule requires."""
    return max(release.compatible_minors, default=None)


def notes_for(release: Release, kind: str) -> Iterator[ReleaseNote]:
    """The release notes that apply to clusters of ``kind``."""
    return (note for note in release.notes if note.kind in (kind, "all"))
