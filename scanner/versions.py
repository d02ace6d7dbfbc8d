"""Kubernetes and platform versions, parsed once, by the rules of SPEC section 4.

A Kubernetes ``gitVersion`` is ``v?MAJOR.MINOR(.PATCH)?`` followed by a free-form suffix.
Only ``-alpha``, ``-beta`` and ``-rc`` suffixes are pre-releases; every other suffix is a
vendor build of the same release (``-eks-…``, ``-gke.N``, ``+k3s1``, ``-1``, ``-acp.1``, …).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

from scanner.errors import VersionError
from scanner.serial import SKIP, Serial

# ASCII only: ``\d`` would otherwise accept Arabic-Indic and other scripts' digits.
_GIT_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", re.ASCII)
_PRE_RELEASE = re.compile(r"^-(alpha|beta|rc)", re.IGNORECASE)
_DIGITS = re.compile(r"\D", re.ASCII)
_PLATFORM_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?", re.ASCII | re.IGNORECASE)
# Longer numbers are not versions, and int() refuses over 4300 digits with a bare ValueError.
_MAX_DIGITS = 9

# Provider hints from the build suffix: shown in reports, never used for gating. Data: one
# row per way a distribution stamps its builds, first match wins; tests/test_versions.py
# holds real gitVersions from public issue trackers for every row.
PROVIDER_SUFFIXES: tuple[tuple[str, str], ...] = (
    (r"^-eks-", "eks"),
    (r"^-gke\.", "gke"),
    (r"^-aliyun\.", "ack"),
    (r"^-tke\.", "tke"),
    (r"^[+-]k3s\.?\d*", "k3s"),  # +k3s1, and the older -k3s.2
    (r"^[+-]rke2", "rke2"),  # +rke2r1, and -rke2r1
    (r"^\+vmware\.", "tanzu"),
    (r"^-acp\.\d+$|^-\d+$", "platform"),
    # OpenShift/OKD: +<commit> (-dirty when built from a changed tree), or a release
    # candidate wrapping it (-rc.0+894a78b). A build number before the commit
    # (-1820+4dd1b5a1afc832) names no vendor: MicroK8s (v1.19.0-34+1a52fbf0753680) and IBM
    # IKS (v1.7.4-2+eb9172c211dc41) write it too, so it stays "unknown": a wrong vendor is
    # worse than none.
    (r"^(-rc\.\d+)?\+[0-9a-f]{7,40}(-dirty)?$", "openshift"),
)
_PROVIDERS = tuple(
    (re.compile(pattern, re.IGNORECASE), name) for pattern, name in PROVIDER_SUFFIXES
)


@dataclass(frozen=True, order=False)
class KubeVersion(Serial):
    """One Kubernetes version. ``git_version`` is the raw string, kept for display."""

    json_order = ("git_version", "major", "minor", "patch", "pre_release", "suffix")

    major: int
    minor: int
    patch: int = 0
    suffix: str = ""
    git_version: str = ""
    # True when gitVersion was unusable and the version was read from major/minor: nothing
    # then says which distribution built it (reports keep the provider they computed).
    from_parts: bool = field(default=False, compare=False, metadata=SKIP)

    @property
    def pre_release(self) -> bool:
        return bool(_PRE_RELEASE.match(self.suffix))

    @property
    def minor_key(self) -> tuple[int, int]:
        """What windows compare: major.minor."""
        return (self.major, self.minor)

    @property
    def release(self) -> tuple[int, int, int]:
        """What ranges compare: major.minor.patch."""
        return (self.major, self.minor, self.patch)

    @property
    def provider(self) -> str:
        return "unknown" if self.from_parts else detect_provider(self.suffix)

    def sort_key(self) -> tuple[int, int, int, int, str]:
        # A pre-release sorts before its release; vendor builds of a release sort with it.
        return (self.major, self.minor, self.patch, 0 if self.pre_release else 1, self.suffix)

    def __lt__(self, other: KubeVersion) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: KubeVersion) -> bool:
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: KubeVersion) -> bool:
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: KubeVersion) -> bool:
        return self.sort_key() >= other.sort_key()

    @property
    def minor_text(self) -> str:
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return self.git_version or f"v{self.major}.{self.minor}.{self.patch}{self.suffix}"

    def json_extra(self) -> dict[str, Any]:
        return {"pre_release": self.pre_release}


def parse_git_version(text: str) -> KubeVersion:
    """Parse a ``gitVersion`` string; raise :class:`VersionError` when it has no version.

    ``v0.0.0-…`` is what unstamped source builds report (``v0.0.0-master+$Format:%H$``):
    it carries no release, so it is treated as unusable like a non-matching string.
    """
    if not isinstance(text, str):
        raise VersionError(f"gitVersion is not a string: {text!r}")
    stripped = text.strip()
    match = _GIT_VERSION.match(stripped)
    if not match or any(len(g or "") > _MAX_DIGITS for g in match.groups()):
        raise VersionError(f"gitVersion {text!r} is not of the form vMAJOR.MINOR[.PATCH]")
    major, minor = int(match.group(1)), int(match.group(2))
    if major == 0:
        raise VersionError(f"gitVersion {text!r} is an unstamped development build")
    patch = int(match.group(3)) if match.group(3) is not None else 0
    return KubeVersion(major, minor, patch, stripped[match.end() :], stripped)


def parse_version_info(info: Mapping[str, Any]) -> KubeVersion:
    """Parse a ``/version`` document: ``gitVersion`` first, else ``major``/``minor``."""
    if not isinstance(info, Mapping):
        raise VersionError(f"version document is not a JSON object: {type(info).__name__}")
    git_version = info.get("gitVersion")
    if isinstance(git_version, str) and git_version.strip():
        try:
            return parse_git_version(git_version)
        except VersionError:
            pass
    major = _digits(info.get("major"))
    minor = _digits(info.get("minor"))
    if major is None or minor is None or major == 0:
        raise VersionError(
            f"no usable version: gitVersion={git_version!r}, "
            f"major={info.get('major')!r}, minor={info.get('minor')!r}"
        )
    raw = git_version if isinstance(git_version, str) else ""
    return KubeVersion(major, minor, 0, "", raw, from_parts=True)


def _digits(value: Any) -> int | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = _DIGITS.sub("", str(value))
    return int(text) if text and len(text) <= _MAX_DIGITS else None


def detect_provider(suffix: str) -> str:
    """The distribution a build suffix points at: ``upstream`` when there is none."""
    if not suffix:
        return "upstream"
    for pattern, provider in _PROVIDERS:
        if pattern.search(suffix):
            return provider
    return "unknown"


@dataclass(frozen=True)
class PlatformVersion:
    """A platform version as given: ``4.3`` (the release) or ``4.2.1`` (a patch of it).
    ``patch`` is None when only the release was named."""

    major: int
    minor: int
    patch: int | None = None

    @property
    def release(self) -> str:
        """``4.2``: what the policy's releases are keyed by."""
        return f"{self.major}.{self.minor}"

    @property
    def release_key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def __str__(self) -> str:
        return self.release if self.patch is None else f"{self.release}.{self.patch}"


def parse_platform_version(text: str) -> PlatformVersion:
    """``4.3``, ``v4.3`` and ``4.3.1``: platform release 4.3, the last a patch of it."""
    # The strict pattern comes first: packaging.Version alone also takes "1!4.3", "4.3.post1"
    # and "4.3+local" and would quietly read them as 4.3.
    match = _PLATFORM_VERSION.fullmatch(str(text).strip())
    if not match or any(len(g or "") > _MAX_DIGITS for g in match.groups()):
        raise VersionError(
            f"platform version {text!r} is not of the form MAJOR.MINOR[.PATCH] (e.g. 4.3, 4.2.1)"
        )
    major, minor = Version(f"{match.group(1)}.{match.group(2)}").release[:2]
    patch = int(match.group(3)) if match.group(3) is not None else None
    return PlatformVersion(major, minor, patch)


def normalize_platform_version(text: str) -> str:
    """``4.3``, ``v4.3`` and ``4.3.1`` all mean platform release ``4.3``."""
    return parse_platform_version(text).release


def parse_minor(text: str) -> tuple[int, int]:
    """``1.31`` -> ``(1, 31)``; used for policy data."""
    match = re.fullmatch(r"v?(\d{1,9})\.(\d{1,9})", str(text).strip(), re.ASCII)
    if not match:
        raise VersionError(f"{text!r} is not a Kubernetes minor of the form 1.31")
    return (int(match.group(1)), int(match.group(2)))


def parse_release(text: str) -> tuple[int, int, int]:
    """``1.19.0`` -> ``(1, 19, 0)``; used for policy ranges."""
    match = re.fullmatch(r"v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?", str(text).strip(), re.ASCII)
    if not match:
        raise VersionError(f"{text!r} is not a Kubernetes version of the form 1.19.0")
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
