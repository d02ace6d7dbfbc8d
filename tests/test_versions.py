"""Version parsing (SPEC 4) over gitVersion strings seen on real clusters."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import VersionError
from scanner.versions import (
    KubeVersion,
    normalize_platform_version,
    parse_git_version,
    parse_minor,
    parse_release,
    parse_version_info,
)

# gitVersion, major, minor, patch, pre_release, suffix, provider
GIT_VERSIONS = [
    ("v1.30.14-eks-931bdca", 1, 30, 14, False, "-eks-931bdca", "eks"),
    ("v1.31.6-gke.1020000", 1, 31, 6, False, "-gke.1020000", "gke"),
    ("v1.34.1+k3s1", 1, 34, 1, False, "+k3s1", "k3s"),
    ("v1.32.4+rke2r1", 1, 32, 4, False, "+rke2r1", "rke2"),
    ("v1.29.10+4abdc8e", 1, 29, 10, False, "+4abdc8e", "openshift"),
    ("v1.32.3+vmware.1", 1, 32, 3, False, "+vmware.1", "tanzu"),
    ("v1.33.1-aliyun.1", 1, 33, 1, False, "-aliyun.1", "ack"),
    ("v1.32.2-tke.3", 1, 32, 2, False, "-tke.3", "tke"),
    # A build number before the commit: OpenShift and OKD stamp it, but so do MicroK8s and
    # IBM IKS, so it names no vendor ("unknown" is honest; a wrong vendor is not).
    ("v1.33.3-34+40f5951bd9888a", 1, 33, 3, False, "-34+40f5951bd9888a", "unknown"),
    ("v1.19.0-34+1a52fbf0753680", 1, 19, 0, False, "-34+1a52fbf0753680", "unknown"),  # MicroK8s
    ("v1.7.4-2+eb9172c211dc41", 1, 7, 4, False, "-2+eb9172c211dc41", "unknown"),  # IBM IKS
    # Real gitVersions from public issue trackers that the detector once got wrong.
    ("v1.16.3-k3s.2", 1, 16, 3, False, "-k3s.2", "k3s"),
    ("v1.18.10-rke2r1", 1, 18, 10, False, "-rke2r1", "rke2"),
    (
        "v1.22.1-1820+4dd1b5a1afc832-dirty",
        1,
        22,
        1,
        False,
        "-1820+4dd1b5a1afc832-dirty",
        "unknown",
    ),
    ("v1.22.0-rc.0+894a78b", 1, 22, 0, True, "-rc.0+894a78b", "openshift"),
    ("v1.25.4+77bec7a", 1, 25, 4, False, "+77bec7a", "openshift"),
    ("v1.11.0+d4cacc0", 1, 11, 0, False, "+d4cacc0", "openshift"),
    ("v1.21.1+k3s1", 1, 21, 1, False, "+k3s1", "k3s"),
    ("v1.24.9-eks-49d8fe8", 1, 24, 9, False, "-eks-49d8fe8", "eks"),
    ("v1.27.3-gke.100", 1, 27, 3, False, "-gke.100", "gke"),
    ("v1.34.5-1", 1, 34, 5, False, "-1", "platform"),
    ("v1.33.7-4", 1, 33, 7, False, "-4", "platform"),
    ("v1.35.6-acp.1", 1, 35, 6, False, "-acp.1", "platform"),
    ("v1.34.1-dirty", 1, 34, 1, False, "-dirty", "unknown"),
    ("v1.35.0-alpha.1", 1, 35, 0, True, "-alpha.1", "unknown"),
    ("v1.19.0-rc.1", 1, 19, 0, True, "-rc.1", "unknown"),
    ("v1.32.0-beta.0", 1, 32, 0, True, "-beta.0", "unknown"),
    ("v1.32.0-RC.2", 1, 32, 0, True, "-RC.2", "unknown"),
    ("v1.31.2", 1, 31, 2, False, "", "upstream"),
    ("1.31", 1, 31, 0, False, "", "upstream"),
]


@pytest.mark.parametrize(
    ("git_version", "major", "minor", "patch", "pre_release", "suffix", "provider"), GIT_VERSIONS
)
def test_parse_git_version(
    git_version: str,
    major: int,
    minor: int,
    patch: int,
    pre_release: bool,
    suffix: str,
    provider: str,
) -> None:
    version = parse_git_version(git_version)
    assert (version.major, version.minor, version.patch) == (major, minor, patch)
    assert version.pre_release is pre_release
    assert version.suffix == suffix
    assert version.provider == provider
    assert version.git_version == git_version
    assert str(version) == git_version


# The /version documents the API server returns, with the fallback to major/minor.
VERSION_INFOS: list[tuple[dict[str, Any], tuple[int, int, int], str]] = [
    ({"gitVersion": "v1.31.6-gke.1020000", "major": "1", "minor": "31+"}, (1, 31, 6), "gke"),
    ({"gitVersion": "v1.32.4+rke2r1", "major": "", "minor": ""}, (1, 32, 4), "rke2"),
    # Read from major/minor: nothing says who built it, so never "upstream".
    ({"major": "1", "minor": "31+"}, (1, 31, 0), "unknown"),
    ({"gitVersion": "", "major": "1", "minor": "30"}, (1, 30, 0), "unknown"),
    (
        {"gitVersion": "v0.0.0-master+$Format:%H$", "major": "1", "minor": "33"},
        (1, 33, 0),
        "unknown",
    ),
    ({"gitVersion": "garbage", "major": 1, "minor": 29}, (1, 29, 0), "unknown"),
    (
        {"gitVersion": "cfc-1.6.1.17+f04cb2d1cde1c7-dirty", "major": "1", "minor": "13"},
        (1, 13, 0),
        "unknown",
    ),
]


@pytest.mark.parametrize(("info", "release", "provider"), VERSION_INFOS)
def test_parse_version_info(
    info: dict[str, Any], release: tuple[int, int, int], provider: str
) -> None:
    version = parse_version_info(info)
    assert version.release == release
    assert version.provider == provider
    assert not version.pre_release


def test_fallback_keeps_the_raw_git_version_for_display() -> None:
    info = {"gitVersion": "v0.0.0-master+$Format:%H$", "major": "1", "minor": "33"}
    version = parse_version_info(info)
    assert version.git_version == "v0.0.0-master+$Format:%H$"
    assert version.suffix == ""


@pytest.mark.parametrize(
    "info",
    [
        {"gitVersion": "v0.0.0-master+$Format:%H$", "major": "", "minor": ""},
        {"gitVersion": "v0.0.0-master+$Format:%H$"},
        {"gitVersion": "", "major": "", "minor": ""},
        {"major": "1"},
        {"major": "0", "minor": "0"},
        {"major": True, "minor": "31"},
        {"major": "1", "minor": "3" * 5000},
        {},
    ],
)
def test_parse_version_info_unusable(info: dict[str, Any]) -> None:
    with pytest.raises(VersionError):
        parse_version_info(info)


@pytest.mark.parametrize(
    "text", ["", "v", "latest", "v0.0.0-master+$Format:%H$", "1", "v1.", "v\u0661.\u0663\u0660"]
)
def test_parse_git_version_unusable(text: str) -> None:
    with pytest.raises(VersionError):
        parse_git_version(text)


def test_parse_version_info_refuses_a_non_mapping() -> None:
    with pytest.raises(VersionError):
        parse_version_info(["v1.31.0"])  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["4.3", "v4.3", "V4.3", "4.3.1", " 4.3 ", "04.03"])
def test_normalize_platform_version(text: str) -> None:
    assert normalize_platform_version(text) == "4.3"


@pytest.mark.parametrize("text", ["4", "4.x", "4.3rc1", "1!4.3", "4.3.post1", "4.3+local", ""])
def test_normalize_platform_version_refuses(text: str) -> None:
    with pytest.raises(VersionError, match=r"is not of the form MAJOR\.MINOR"):
        normalize_platform_version(text)


def test_parse_minor_and_release() -> None:
    assert parse_minor("1.31") == (1, 31)
    assert parse_release("1.19.0") == (1, 19, 0)
    assert parse_release("1.19") == (1, 19, 0)
    for bad in ("1.31.0", "1", "x.y"):
        with pytest.raises(VersionError):
            parse_minor(bad)


def test_to_dict_round_trips() -> None:
    version = parse_git_version("v1.35.0-alpha.1")
    assert version.to_dict() == {
        "git_version": "v1.35.0-alpha.1",
        "major": 1,
        "minor": 35,
        "patch": 0,
        "pre_release": True,
        "suffix": "-alpha.1",
    }
    assert KubeVersion.from_dict(version.to_dict()) == version


# --- properties --------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
version_infos = st.dictionaries(
    st.sampled_from(["gitVersion", "major", "minor", "platform"]) | st.text(max_size=5),
    json_scalars | st.lists(json_scalars, max_size=2),
    max_size=4,
)


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_parse_git_version_raises_only_version_error(text: str) -> None:
    try:
        version = parse_git_version(text)
    except VersionError:
        return
    assert version.major > 0


@settings(max_examples=200)
@given(version_infos)
def test_parse_version_info_raises_only_version_error(info: dict[str, Any]) -> None:
    try:
        version = parse_version_info(info)
    except VersionError:
        return
    assert version.major > 0 and version.minor >= 0


numbers = st.integers(min_value=0, max_value=40)
suffixes = st.sampled_from(["", "-eks-1a2b3c", "+k3s1", "-1", "-alpha.1", "-beta.2", "-rc.0"])
versions = st.builds(
    lambda major, minor, patch, suffix: parse_git_version(f"v{major}.{minor}.{patch}{suffix}"),
    st.integers(min_value=1, max_value=3),
    numbers,
    numbers,
    suffixes,
)


@settings(max_examples=200)
@given(versions, versions)
def test_ordering_follows_release_then_pre_release_first(a: KubeVersion, b: KubeVersion) -> None:
    if a.release != b.release:
        assert (a < b) == (a.release < b.release)
    elif a.pre_release != b.pre_release:
        assert (a < b) == a.pre_release
    assert (a <= b) == (a < b or a.sort_key() == b.sort_key())


@settings(max_examples=200)
@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.sampled_from(["", "v"]))
def test_normalize_platform_version_drops_the_patch(
    major: int, minor: int, patch: int, prefix: str
) -> None:
    expected = f"{major}.{minor}"
    assert normalize_platform_version(f"{prefix}{major}.{minor}") == expected
    assert normalize_platform_version(f"{prefix}{major}.{minor}.{patch}") == expected
