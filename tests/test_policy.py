"""The policy file (SPEC 2 and 5): the bundled data, and one exact message per mistake."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.errors import PolicyError
from scanner.inputs.policy import (
    OnboardingRange,
    Policy,
    ReleaseNote,
    SkewLimits,
    latest_minor,
    load_policy,
    parse_policy,
)
from scanner.model import Severity
from scanner.versions import parse_git_version

FIXTURES = Path(__file__).parent.parent / "fixtures" / "policy"
BUNDLED = files("scanner.data") / "policy.yaml"
BUNDLED_TEXT = BUNDLED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


# --- the bundled policy is SPEC section 2 --------------------------------------------------

# platform: new-cluster minors, compatible minors, rule, upgrade sources
SPEC_TABLE = {
    "4.3": (("1.34",), ("1.34", "1.33", "1.32", "1.31"), "window", ("4.0", "4.1", "4.2")),
    "4.2": (("1.33",), ("1.33", "1.32", "1.31", "1.30"), "latest", ("4.0", "4.1")),
    "4.1": (("1.32",), ("1.32", "1.31", "1.30", "1.29"), "latest", ("4.0", "3.18")),
    "4.0": (
        ("1.31", "1.30", "1.29", "1.28"),
        ("1.31", "1.30", "1.29", "1.28"),
        "latest",
        ("3.16", "3.18"),
    ),
    "3.18": ((), ("1.30",), None, ()),
    "3.16": ((), ("1.28",), None, ()),
}


def minors(texts: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((int(t.split(".")[0]), int(t.split(".")[1])) for t in texts)


def test_bundled_policy_is_the_spec_table(policy: Policy) -> None:
    assert set(policy.releases) == set(SPEC_TABLE)
    for version, (new, compatible, rule, sources) in SPEC_TABLE.items():
        release = policy.releases[version]
        assert release.version == version
        assert release.new_cluster_kubernetes == minors(new)
        assert release.compatible_minors == minors(compatible)
        assert release.rule == rule
        assert release.upgrade_from == sources


def test_bundled_latest_minors(policy: Policy) -> None:
    # SPEC 2: from 4.1: 1.32; from 4.0: 1.31; from 3.18: 1.30; from 3.16: 1.28.
    expected = {"4.1": (1, 32), "4.0": (1, 31), "3.18": (1, 30), "3.16": (1, 28)}
    assert {v: latest_minor(policy.releases[v]) for v in expected} == expected


def test_bundled_onboarding_notes_skew_runtimes(policy: Policy) -> None:
    release = policy.releases["4.3"]
    assert release.onboarding == OnboardingRange((1, 19, 0), (1, 35, 0))
    assert str(release.onboarding) == ">=1.19.0 <1.35.0"
    assert [r.onboarding for v, r in policy.releases.items() if v != "4.3"] == [None] * 5
    assert release.notes == (
        ReleaseNote(
            rule="hcp-preview",
            kind="hosted",
            severity=Severity.INFO,
            message="Hosted Control Plane (Kamaji TenantControlPlane) is a Technology Preview "
            "in 4.3 and not supported for production workloads.",
        ),
    )
    assert policy.skew == SkewLimits(3, 2, (1, 25))
    # DockerRuntimeUnsupported is a 4.3 check: only 4.3 rejects Docker.
    assert {v: r.rejected_runtimes for v, r in policy.releases.items()} == {
        "4.3": ("docker",), "4.2": (), "4.1": (), "4.0": (), "3.18": (), "3.16": ()
    }  # fmt: skip
    assert policy.first_rejecting("docker", policy.release("4.1")) == policy.release("4.3")
    assert policy.first_rejecting("docker", policy.release("4.3")) is None
    assert policy.id == "platform-k8s-support-matrix"
    assert policy.source.startswith("Vendor documentation: Kubernetes Support Matrix")


def test_sha256_is_of_the_file_bytes(policy: Policy) -> None:
    assert policy.sha256 == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert policy.ref.to_dict() == {
        "id": policy.id,
        "source": policy.source,
        "sha256": policy.sha256,
    }


def test_load_from_a_path_hashes_that_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BUNDLED_TEXT + "\n# a comment changes the hash\n", encoding="utf-8")
    loaded = load_policy(str(path))
    assert loaded.path == str(path)
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.sha256 != load_policy().sha256


def test_onboarding_range_compares_patch_and_refuses_pre_releases(policy: Policy) -> None:
    onboarding = policy.releases["4.3"].onboarding
    assert onboarding is not None
    inside = ["v1.19.0", "v1.34.99-eks-1", "v1.30.1+k3s1"]
    outside = ["v1.18.20", "v1.35.0", "v1.35.6-acp.1", "v1.34.0-rc.1", "v1.19.0-alpha.1"]
    assert [onboarding.contains(parse_git_version(v)) for v in inside] == [True] * 3
    assert [onboarding.contains(parse_git_version(v)) for v in outside] == [False] * 5


# --- releases by name ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["4.3", "v4.3", "4.3.1"])
def test_release_normalizes(policy: Policy, text: str) -> None:
    assert policy.release(text).version == "4.3"


def test_release_unknown_lists_known(policy: Policy) -> None:
    with pytest.raises(PolicyError) as caught:
        policy.release("5.0")
    assert str(caught.value) == (
        "unknown platform version '5.0'; this policy knows 3.16, 3.18, 4.0, 4.1, 4.2, 4.3 "
        "(pass a newer policy with --policy)"
    )


def test_release_malformed(policy: Policy) -> None:
    with pytest.raises(PolicyError) as caught:
        policy.release("four")
    assert str(caught.value) == (
        "platform version 'four' is not of the form MAJOR.MINOR[.PATCH] (e.g. 4.3, 4.2.1)"
    )


def test_upgrade_route(policy: Policy) -> None:
    assert policy.upgrade_route("3.16", "4.3") == ("3.16", "4.0", "4.3")
    # Equally short routes: through the newest intermediate release.
    assert policy.upgrade_route("3.18", "4.3") == ("3.18", "4.1", "4.3")
    assert policy.upgrade_route("4.2", "4.3") == ("4.2", "4.3")
    assert policy.upgrade_route("4.3", "4.0") is None


def test_window_text(policy: Policy) -> None:
    assert policy.releases["4.3"].window_text() == "1.31\u20131.34"
    assert policy.releases["3.18"].window_text() == "1.30"


def test_a_new_release_is_a_data_change_only(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        BUNDLED_TEXT
        + '  "4.4":\n'
        + '    compatible_minors: ["1.35", "1.34", "1.33", "1.32"]\n'
        + "    rule: window\n"
        + '    upgrade_from: ["4.2", "4.3"]\n',
        encoding="utf-8",
    )
    loaded = load_policy(path)
    assert loaded.release("v4.4.0").compatible_minors == minors(("1.35", "1.34", "1.33", "1.32"))
    assert loaded.known_versions[-1] == "4.4"
    assert loaded.upgrade_route("4.0", "4.4") == ("4.0", "4.3", "4.4")


def test_minimal_fixture_loads() -> None:
    loaded = load_policy(FIXTURES / "minimal.yaml")
    assert loaded.known_versions == ("4.3", "5.0")
    assert loaded.release("5.0").rule == "window"
    assert all(r.rejected_runtimes == () for r in loaded.releases.values())


def test_typo_fixture_names_file_key_and_near_match() -> None:
    path = FIXTURES / "typo-rule.yaml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == (
        f"policy {path}: releases.5.0.rule: unknown rule 'windw' "
        "(expected window or latest; did you mean 'window'?)"
    )


# --- every validation error, exactly ---------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def release(version: str, **changes: Any) -> Edit:
    return lambda doc: doc["releases"][version].update(changes)


def drop(*keys: str | int) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = keys
        node: Any = doc
        for key in parents:
            node = node[key]
        del node[last]

    return edit


def top(**changes: Any) -> Edit:
    return lambda doc: doc.update(changes)


def note(**changes: Any) -> Edit:
    return lambda doc: doc["releases"]["4.3"]["notes"][0].update(changes)


def skew(**changes: Any) -> Edit:
    return lambda doc: doc["skew"].update(changes)


RELEASE_KEYS = (
    "compatible_minors, new_cluster_kubernetes, rule, upgrade_from, onboarding, notes, "
    "rejected_runtimes or manual_checks"
)
KNOWN = "3.16, 3.18, 4.0, 4.1, 4.2, 4.3"

EDIT_ERRORS: list[tuple[Edit, str]] = [
    (
        release("4.3", rule="windw"),
        "releases.4.3.rule: unknown rule 'windw' "
        "(expected window or latest; did you mean 'window'?)",
    ),
    (release("4.3", rule=3), "releases.4.3.rule: expected window or latest, got the number 3"),
    (
        release("4.3", compatible_minor=["1.31"]),
        f"releases.4.3: unknown key 'compatible_minor' (expected {RELEASE_KEYS}; "
        "did you mean 'compatible_minors'?)",
    ),
    (
        top(relases={}),
        "unknown key 'relases' (expected id, source, skew, blocked_runtimes or releases; "
        "did you mean 'releases'?)",
    ),
    (
        top(zzz=1),
        "unknown key 'zzz' (expected id, source, skew, blocked_runtimes or releases)",
    ),
    (drop("id"), "missing key 'id'"),
    (top(id=""), "id: expected a non-empty string, got the string ''"),
    (top(source=["a"]), "source: expected a non-empty string, got a list"),
    (top(releases={}), "releases: expected at least one release"),
    (top(releases=["4.3"]), "releases: expected a mapping, got a list"),
    (
        release("4.3", compatible_minors=["1.34", "1.3x"]),
        "releases.4.3.compatible_minors[1]: '1.3x' is not a Kubernetes minor of the form 1.31",
    ),
    (
        release("4.3", compatible_minors="1.31"),
        "releases.4.3.compatible_minors: expected a list, got the string '1.31'",
    ),
    (
        release("4.3", compatible_minors=["1.31", "1.31"]),
        "releases.4.3.compatible_minors: '1.31' is listed twice",
    ),
    (
        drop("releases", "4.3", "compatible_minors"),
        "releases.4.3.compatible_minors: rule 'window' needs at least one minor",
    ),
    (
        release("4.2", compatible_minors=[]),
        "releases.4.2.compatible_minors: rule 'latest' needs at least one minor",
    ),
    (
        release("4.3", new_cluster_kubernetes=["v1.34.1"]),
        "releases.4.3.new_cluster_kubernetes[0]: 'v1.34.1' is not a Kubernetes minor of the "
        "form 1.31",
    ),
    (
        release("4.3", upgrade_from=["3.0"]),
        f"releases.4.3.upgrade_from[0]: release '3.0' is not in this policy (it has {KNOWN})",
    ),
    (
        release("4.3", upgrade_from=["4.3"]),
        "releases.4.3.upgrade_from[0]: 4.3 cannot be an upgrade source of itself",
    ),
    (
        release("4.3", upgrade_from=["v4.0"]),
        "releases.4.3.upgrade_from[0]: write the platform version 'v4.0' as '4.0'",
    ),
    (
        release("4.3", upgrade_from=["4.0", "4.0"]),
        "releases.4.3.upgrade_from: '4.0' is listed twice",
    ),
    (
        drop("releases", "3.18", "compatible_minors"),
        "releases.4.1.upgrade_from[1]: release '3.18' has no compatible_minors, "
        "which the latest rule of 4.1 needs",
    ),
    (
        release("4.3", onboarding={"min": "1.35.0", "max": "1.19.0"}),
        "releases.4.3.onboarding: min 1.35.0 is not below max 1.19.0 "
        "(min is inclusive, max exclusive)",
    ),
    (
        release("4.3", onboarding={"min": "1.35", "max": "1.35.0"}),
        "releases.4.3.onboarding: min 1.35.0 is not below max 1.35.0 "
        "(min is inclusive, max exclusive)",
    ),
    (release("4.3", onboarding={"min": "1.19.0"}), "releases.4.3.onboarding: missing key 'max'"),
    (
        release("4.3", onboarding={"min": "1.19.x", "max": "1.35.0"}),
        "releases.4.3.onboarding.min: '1.19.x' is not a Kubernetes version of the form 1.19.0",
    ),
    (
        release("4.3", onboarding={"min": "1.19.0", "max": "1.35.0", "maximum": "1.36"}),
        "releases.4.3.onboarding: unknown key 'maximum' (expected min or max; did you mean 'max'?)",
    ),
    (
        lambda doc: doc["releases"].update({"4.x": {}}),
        "releases.4.x: '4.x' is not a platform version of the form MAJOR.MINOR (e.g. 4.3)",
    ),
    (
        lambda doc: doc["releases"].update({"4.4.0": {}}),
        "releases.4.4.0: write the platform version '4.4.0' as '4.4'",
    ),
    (
        lambda doc: doc["releases"].update({"4.4": None}),
        "releases.4.4: expected a mapping, got nothing (null)",
    ),
    (
        note(kind="hostd"),
        "releases.4.3.notes[0].kind: unknown kind 'hostd' (expected ipi, upi, hosted, "
        "third-party, unknown or all; did you mean 'hosted'?)",
    ),
    (
        note(severity="critical"),
        "releases.4.3.notes[0].severity: unknown severity 'critical' "
        "(expected blocker, warning or info)",
    ),
    (
        note(rule="HCP Preview"),
        "releases.4.3.notes[0].rule: 'HCP Preview' is not a rule name like hcp-preview",
    ),
    (
        drop("releases", "4.3", "notes", 0, "message"),
        "releases.4.3.notes[0]: missing key 'message'",
    ),
    (
        lambda doc: doc["releases"]["4.3"]["notes"].append(doc["releases"]["4.3"]["notes"][0]),
        "releases.4.3.notes: rule 'hcp-preview' is listed twice",
    ),
    (
        skew(max_minors_behind=-1),
        "skew.max_minors_behind: expected a whole number of 0 or more, got the number -1",
    ),
    (
        skew(max_minors_behind="3"),
        "skew.max_minors_behind: expected a whole number of 0 or more, got the string '3'",
    ),
    (
        skew(max_minors_behind_old=True),
        "skew.max_minors_behind_old: expected a whole number of 0 or more, got the boolean true",
    ),
    (
        skew(old_kubelet_before="1.25.0"),
        "skew.old_kubelet_before: '1.25.0' is not a Kubernetes minor of the form 1.31",
    ),
    (drop("skew", "old_kubelet_before"), "skew: missing key 'old_kubelet_before'"),
    (
        top(blocked_runtimes=["docker://"]),
        "blocked_runtimes[0]: 'docker://' is not a runtime name like docker",
    ),
    (top(blocked_runtimes=["docker", "Docker"]), "blocked_runtimes: 'docker' is listed twice"),
    (top(blocked_runtimes="docker"), "blocked_runtimes: expected a list, got the string 'docker'"),
    (
        release("4.3", rejected_runtimes=["cri-o", "Cri-O"]),
        "releases.4.3.rejected_runtimes: 'cri-o' is listed twice",
    ),
    (
        release("4.3", manual_checks=[{"id": "x", "text": "t"}]),
        "releases.4.3.manual_checks[0]: missing key 'source'",
    ),
    (
        release("4.3", manual_checks=[{"id": "Bad Id", "text": "t", "source": "https://x"}]),
        "releases.4.3.manual_checks[0].id: 'Bad Id' is not an id like minio-free-space",
    ),
    (
        release("4.3", manual_checks=[{"id": "x", "text": "t", "source": "http://x"}]),
        "releases.4.3.manual_checks[0].source: expected the https:// address the check is "
        "taken from",
    ),
    (
        release(
            "4.3",
            manual_checks=[
                {"id": "x", "text": "t", "source": "https://x", "when": {"form": ["4.0"]}}
            ],
        ),
        "releases.4.3.manual_checks[0].when: unknown key 'form' (expected from or modules; "
        "did you mean 'from'?)",
    ),
    (
        release(
            "4.3",
            manual_checks=[
                {"id": "x", "text": "t", "source": "https://x"},
                {"id": "x", "text": "u", "source": "https://y"},
            ],
        ),
        "releases.4.3.manual_checks: id 'x' is listed twice",
    ),
]


def test_an_older_policy_rejects_runtimes_for_every_release(tmp_path: Path) -> None:
    """A policy that lists blocked_runtimes once (before it was per release) still works: it
    is every release's default."""
    doc = yaml.safe_load(BUNDLED_TEXT)
    for release_doc in doc["releases"].values():
        release_doc.pop("rejected_runtimes", None)
    doc["blocked_runtimes"] = ["docker"]
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    loaded = load_policy(path)
    assert all(r.rejected_runtimes == ("docker",) for r in loaded.releases.values())


def write_edited(tmp_path: Path, edit: Edit) -> Path:
    doc = copy.deepcopy(yaml.safe_load(BUNDLED_TEXT))
    edit(doc)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def assert_error(path: Path, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"policy {path}: {expected}"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("edit", "expected"), EDIT_ERRORS)
def test_validation_error(tmp_path: Path, edit: Edit, expected: str) -> None:
    assert_error(write_edited(tmp_path, edit), expected)


def test_a_release_without_rule_is_only_a_source(tmp_path: Path) -> None:
    loaded = load_policy(write_edited(tmp_path, release("4.3", rule=None)))
    assert loaded.releases["4.3"].rule is None


LINE_3_16 = '  "3.16":'
# Mistakes only raw text can make: YAML syntax, numbers where strings belong, duplicates.
TEXT_ERRORS: list[tuple[str, str]] = [
    (
        BUNDLED_TEXT.replace(
            'compatible_minors: ["1.34", "1.33", "1.32", "1.31"]', "compatible_minors: [1.30]"
        ),
        'releases.4.3.compatible_minors[0]: expected a quoted string like "1.31", got the '
        "number 1.3 (unquoted, YAML reads 1.30 as 1.3 and 4.10 as 4.1)",
    ),
    (
        BUNDLED_TEXT.replace('  "4.2":', "  4.2:"),
        'releases.4.2: expected a quoted string like "4.3", got the number 4.2 '
        "(unquoted, YAML reads 1.30 as 1.3 and 4.10 as 4.1)",
    ),
    (
        BUNDLED_TEXT.replace(LINE_3_16, '  "3.18":'),
        f"invalid YAML at line {BUNDLED_TEXT.splitlines().index(LINE_3_16) + 1}, "
        "column 3: duplicate key '3.18'",
    ),
    (
        "id: x\nsource: [unclosed\n",
        "invalid YAML at line 3, column 1: expected ',' or ']', but got '<stream end>'",
    ),
    (
        "id: x\n  bad: indent\n",
        "invalid YAML at line 2, column 6: mapping values are not allowed here",
    ),
    ("- a\n- b\n", "expected a mapping, got a list"),
    ("", "the file is empty; expected a policy mapping"),
    ("# only a comment\n", "the file is empty; expected a policy mapping"),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_ERRORS)
def test_text_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    assert_error(path, expected)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"id: \xff\n")
    assert_error(path, "not UTF-8 text (byte 4)")


def test_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert_error(
        missing,
        "cannot read the file (No such file or directory); "
        "pass a readable policy YAML file with --policy",
    )
    assert_error(
        tmp_path,
        "cannot read the file (Is a directory); pass a readable policy YAML file with --policy",
    )


def test_parse_policy_names_the_given_path() -> None:
    with pytest.raises(PolicyError, match=r"^policy <memory>: expected a mapping"):
        parse_policy(b"[]", "<memory>")
