"""Evaluation (SPEC 4) with plain data: targets and observations built here, no network."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import PolicyError, UsageError
from scanner.evaluate import status_of, verdict_of
from scanner.evaluate.modes import STANDARD_EXIT, OnboardingMode
from scanner.exitcodes import ExitCode
from scanner.inputs.policy import load_policy
from scanner.inputs.targets import Target
from scanner.model import (
    ErrorCategory,
    Evidence,
    Finding,
    Observation,
    Role,
    ScanError,
    Severity,
    Status,
    Verdict,
)
from scanner.report import ClusterResult, Report
from scanner.rules.context import EvaluationContext
from scanner.rules.path import upgrade_path
from tests.builders import GLOBAL, POLICY, ctx, judge, onboarding, run, seen, upgrade, workload

WINDOW = "the 4.3 window 1.31\u20131.34"
AUTH_ERROR = ScanError(ErrorCategory.AUTH, "401 Unauthorized")


def evaluate(
    git_version: str, *, kind: str = "ipi", context: EvaluationContext | None = None
) -> ClusterResult:
    return judge(workload(kind=kind), seen("wl", git_version), context or ctx())


def only(result: ClusterResult, rule: str) -> Finding:
    matching = [finding for finding in result.findings if finding.rule == rule]
    assert len(matching) == 1, result.findings
    return matching[0]


def rules(result: ClusterResult) -> list[str]:
    return [finding.rule for finding in result.findings]


# --- upgrade paths between Kubernetes minors -----------------------------------------------


@pytest.mark.parametrize(
    ("current", "goal", "path"),
    [
        ((1, 29), (1, 31), ("1.30", "1.31")),
        ((1, 30), (1, 31), ("1.31",)),
        ((1, 31), (1, 31), ()),
        ((1, 34), (1, 31), ()),
        ((1, 28), (2, 0), ("2.0",)),
    ],
)
def test_upgrade_path(
    current: tuple[int, int], goal: tuple[int, int], path: tuple[str, ...]
) -> None:
    assert upgrade_path(current, goal) == path


# --- window (4.3) ------------------------------------------------------------------------

BEFORE = "before upgrading the global cluster"
DOWNGRADE = (
    "Kubernetes cannot be downgraded: replace the cluster with one on 1.34 "
    f"or remove it from the platform {BEFORE}"
)


@pytest.mark.parametrize(
    "git_version",
    ["v1.31.0", "v1.32.3+vmware.1", "v1.33.3-34+40f5951bd9888a", "v1.34.5-1", "v1.33.7-4"],
)
def test_window_passes_inside(git_version: str) -> None:
    result = evaluate(git_version)
    assert result.status is Status.PASS
    assert result.findings == ()
    assert result.upgrade_path == ()


WINDOW_BLOCKED = [
    (
        "v1.30.14-eks-931bdca",
        f"Kubernetes 1.30 is outside {WINDOW}",
        f"upgrade 1.30 -> 1.31 {BEFORE}",
        ("1.31",),
    ),
    (
        "v1.29.10+4abdc8e",
        f"Kubernetes 1.29 is outside {WINDOW}",
        f"upgrade 1.29 -> 1.30 -> 1.31 {BEFORE} (Kubernetes upgrades one minor at a time)",
        ("1.30", "1.31"),
    ),
    ("v1.35.6-acp.1", f"Kubernetes 1.35 is newer than {WINDOW}", DOWNGRADE, ()),
    (
        "v1.33.0-rc.1",
        f"Kubernetes v1.33.0-rc.1 is a pre-release, which never satisfies {WINDOW}",
        f"move to a released 1.33 build (no -alpha, -beta or -rc suffix) {BEFORE}",
        ("1.33",),
    ),
    (
        "v1.35.0-alpha.1",
        f"Kubernetes v1.35.0-alpha.1 is a pre-release, which never satisfies {WINDOW}",
        DOWNGRADE,
        (),
    ),
    (
        "v1.30.0-beta.0",
        f"Kubernetes v1.30.0-beta.0 is a pre-release, which never satisfies {WINDOW}",
        f"upgrade 1.30 -> 1.31 {BEFORE}",
        ("1.31",),
    ),
]


@pytest.mark.parametrize(("git_version", "message", "remediation", "path"), WINDOW_BLOCKED)
def test_window_blocks_outside(
    git_version: str, message: str, remediation: str, path: tuple[str, ...]
) -> None:
    result = evaluate(git_version)
    assert result.status is Status.BLOCKED
    assert result.findings == (
        Finding("window/wl", "window", Severity.BLOCKER, message, remediation),
    )
    assert result.upgrade_path == path


@pytest.mark.parametrize("kind", ["ipi", "upi", "hosted", "third-party", "unknown"])
def test_window_applies_whatever_the_kind(kind: str) -> None:
    result = evaluate("v1.30.2", kind=kind)
    assert result.status is Status.BLOCKED
    assert only(result, "window").severity is Severity.BLOCKER


def test_global_is_not_held_to_the_window() -> None:
    result = judge(GLOBAL, seen("global", "v1.28.3"), ctx())
    assert result.status is Status.PASS
    assert result.upgrade_path == ()
    assert result.findings == (
        Finding(
            "upgrade-path/global",
            "upgrade-path",
            Severity.INFO,
            "4.2 -> 4.3 is a supported upgrade path (the current version given with --from)",
            evidence=Evidence.FLAG,
        ),
    )


@settings(max_examples=200)
@given(st.integers(20, 40), st.integers(0, 20), st.sampled_from(["", "-eks-1", "-rc.1", "-1"]))
def test_window_property(minor: int, patch: int, suffix: str) -> None:
    result = evaluate(f"v1.{minor}.{patch}{suffix}")
    inside = 31 <= minor <= 34 and suffix != "-rc.1"
    assert (result.status is Status.PASS) is inside
    if minor < 31:
        assert result.upgrade_path == tuple(f"1.{m}" for m in range(minor + 1, 32))


# --- latest (4.2 and earlier) --------------------------------------------------------------

LATEST = "1.32, the latest minor of 4.1 (the 4.2 upgrade rule 'latest')"


def test_latest_from_4_1_needs_1_32() -> None:
    latest = ctx("4.2", "4.1")
    assert evaluate("v1.32.9", context=latest).status is Status.PASS
    blocked = evaluate("v1.31.4", context=latest)
    assert blocked.status is Status.BLOCKED
    assert blocked.upgrade_path == ("1.32",)
    assert only(blocked, "latest") == Finding(
        "latest/wl",
        "latest",
        Severity.BLOCKER,
        f"Kubernetes 1.31 is not on {LATEST}",
        f"upgrade 1.31 -> 1.32 {BEFORE}",
    )


def test_latest_is_not_a_window() -> None:
    # 1.30 is compatible with 4.1, but not its latest minor.
    result = evaluate("v1.30.1", context=ctx("4.2", "4.1"))
    assert result.upgrade_path == ("1.31", "1.32")
    newer = evaluate("v1.33.0", context=ctx("4.2", "4.1"))
    assert only(newer, "latest").message == f"Kubernetes 1.33 is newer than {LATEST}"
    assert only(newer, "latest").remediation.startswith("Kubernetes cannot be downgraded")


def test_latest_from_3_18_needs_1_30() -> None:
    assert evaluate("v1.30.5", context=ctx("4.1", "3.18")).status is Status.PASS
    assert evaluate("v1.29.5", context=ctx("4.1", "3.18")).upgrade_path == ("1.30",)


def test_latest_requires_from() -> None:
    with pytest.raises(UsageError) as caught:
        ctx("4.2", None)
    assert str(caught.value) == (
        "--from is required for --target 4.2: its upgrade rule 'latest' checks workload "
        "clusters against the current platform version (e.g. --from 4.1)"
    )
    bare = EvaluationContext(POLICY, POLICY.release("4.2"))
    with pytest.raises(UsageError):
        judge(workload(), seen("wl", "v1.32.0"), bare)


def test_scan_context_refusals() -> None:
    with pytest.raises(UsageError, match=r"^--target 3\.18: this policy gives 3\.18 no upgrade"):
        ctx("3.18", None)
    with pytest.raises(UsageError, match=r"^--from 4\.3 is the same as --target 4\.3;"):
        ctx("v4.3", "4.3")
    with pytest.raises(UsageError, match=r"^--from 4\.3\.2 and --target 4\.3 are the same release"):
        ctx("v4.3", "4.3.2")
    with pytest.raises(UsageError, match=r"^--from 4\.3 is newer than --target 4\.2: a platform"):
        ctx("4.2", "4.3")
    with pytest.raises(UsageError, match=r"^--from 4\.2\.2 is newer than --target 4\.2\.1"):
        ctx("4.2.1", "4.2.2")
    with pytest.raises(PolicyError, match=r"^unknown platform version '5\.0'"):
        ctx("4.3", "5.0")
    window = ctx("v4.3.1", None)
    assert (window.target.version, window.target_text, window.from_release) == (
        "4.3",
        "4.3.1",
        None,
    )


@pytest.mark.parametrize(
    ("target", "current", "goal"),
    [("4.2.1", "4.2.0", "1.33"), ("4.1.3", "4.1.0", "1.32"), ("4.0.2", "4.0.1", "1.31")],
)
def test_a_patch_upgrade_is_judged_by_its_own_release(target: str, current: str, goal: str) -> None:
    """A release is an upgrade source of itself: the vendor's "Upgrading from 4.0" (every
    workload cluster on 1.31), "Upgrading from 4.1" (1.32) and 4.2.0 -> 4.2.1 (1.33)."""
    context = ctx(target, current)
    assert (context.target_text, context.from_text, context.patch_upgrade) == (
        target,
        current,
        True,
    )
    path = only(judge(GLOBAL, seen("global", "v1.33.7-4"), context), "upgrade-path")
    assert path.severity is Severity.INFO
    assert path.message.startswith(f"{current} -> {target} is a patch upgrade within ")
    assert evaluate(f"v{goal}.4", context=context).status is Status.PASS
    behind = evaluate("v1.29.9", context=context)
    assert only(behind, "latest").message.startswith(f"Kubernetes 1.29 is not on {goal}")


def test_a_patch_upgrade_of_a_window_release_keeps_the_window() -> None:
    context = ctx("4.3.2", "4.3.1")
    assert evaluate("v1.31.2", context=context).status is Status.PASS
    assert rules(evaluate("v1.30.2", context=context)) == ["window"]


# --- upgrade path of the global cluster ----------------------------------------------------


def test_upgrade_path_unsupported_suggests_a_hop() -> None:
    result = judge(GLOBAL, seen("global", "v1.28.3"), ctx("4.3", "3.16"))
    assert result.status is Status.BLOCKED
    assert result.findings == (
        Finding(
            "upgrade-path/global",
            "upgrade-path",
            Severity.BLOCKER,
            "3.16 -> 4.3 is not supported; supported sources 4.0, 4.1, 4.2 (the current "
            "version given with --from)",
            "upgrade the global cluster 3.16 -> 4.0 -> 4.3, one supported hop at a time; "
            "scan the first hop with --from 3.16 --target 4.0",
            evidence=Evidence.FLAG,
        ),
    )


def test_upgrade_path_without_route() -> None:
    policy = load_policy(str(Path(__file__).parent.parent / "fixtures" / "policy" / "minimal.yaml"))
    with_5 = replace(POLICY, releases={**POLICY.releases, "5.0": policy.releases["5.0"]})
    result = judge(GLOBAL, seen("global", "v1.28.3"), ctx("5.0", "4.2", with_5))
    finding = only(result, "upgrade-path")
    assert finding.message == (
        "4.2 -> 5.0 is not supported; supported sources 4.3 (the current version given with --from)"
    )
    assert finding.remediation == (
        "upgrade the global cluster 4.2 -> 4.3 -> 5.0, one supported hop at a time; scan the "
        "first hop with --from 4.2 --target 4.3"
    )
    alone = replace(with_5, releases={k: v for k, v in with_5.releases.items() if k != "4.3"})
    lonely = only(
        judge(GLOBAL, seen("global", "v1.28.3"), ctx("5.0", "4.2", alone)), "upgrade-path"
    )
    assert lonely.remediation == "this policy has no supported route from 4.2 to 5.0"


def test_upgrade_path_not_verified_without_from() -> None:
    result = judge(GLOBAL, seen("global", "v1.33.7-4"), ctx("4.3", None))
    assert result.status is Status.WARN
    assert only(result, "upgrade-path") == Finding(
        "upgrade-path/global",
        "upgrade-path",
        Severity.WARNING,
        "upgrade path not verified; pass --from (supported sources of 4.3: 4.0, 4.1, 4.2)",
        "pass --from with the global cluster's current platform version",
        evidence="flag",
    )


def test_an_unreachable_global_with_a_known_blocker_is_blocked() -> None:
    # SPEC 4: 3.16 is not a source of 4.3 whatever the cluster answers: a known blocker
    # outranks the unknown, and the error is kept beside it.
    result = judge(GLOBAL, Observation("global", error=AUTH_ERROR), ctx("4.3", "3.16"))
    assert result.status is Status.BLOCKED
    assert result.error == AUTH_ERROR
    assert rules(result) == ["upgrade-path"]
    assert result.provider == ""
    supported = judge(GLOBAL, Observation("global", error=AUTH_ERROR), ctx("4.3", "4.2"))
    assert supported.status is Status.UNKNOWN  # nothing known blocks it: unknown stays


# --- onboarding --------------------------------------------------------------------------

ONBOARDING = "the 4.3 onboarding range >=1.19.0 <1.35.0"


@pytest.mark.parametrize(
    ("git_version", "message", "remediation"),
    [
        (
            "v1.35.1-eks-1",
            f"Kubernetes 1.35.1 is above {ONBOARDING}",
            "the platform 4.3 does not accept third-party clusters on 1.35.0 or later; "
            "keep the cluster below it or detach it",
        ),
        (
            "v1.18.20",
            f"Kubernetes 1.18.20 is below {ONBOARDING}",
            "upgrade the cluster to 1.19.0 or later",
        ),
        (
            "v1.19.0-rc.1",
            f"Kubernetes v1.19.0-rc.1 is a pre-release, which is never inside {ONBOARDING}",
            "move the cluster to a released build inside the range",
        ),
    ],
)
def test_onboarding_blocks_third_party_outside(
    git_version: str, message: str, remediation: str
) -> None:
    result = evaluate(git_version, kind="third-party")
    assert rules(result) == ["window", "onboarding"]
    assert only(result, "onboarding") == Finding(
        "onboarding/wl", "onboarding", Severity.BLOCKER, message, remediation
    )


def test_onboarding_only_for_third_party_and_when_asked() -> None:
    assert rules(evaluate("v1.35.1", kind="ipi")) == ["window"]
    quiet = replace(ctx("4.3", "4.2"), check_onboarding=False)
    assert rules(evaluate("v1.35.1", kind="third-party", context=quiet)) == ["window"]
    assert rules(evaluate("v1.35.1", kind="third-party", context=ctx("4.2", "4.1"))) == ["latest"]


@pytest.mark.parametrize(
    ("kind", "git_version", "status"),
    [
        ("ipi", "v1.35.0", Status.BLOCKED),
        ("third-party", "v1.19.0", Status.PASS),
        ("hosted", "v1.25.3-eks-1", Status.PASS),  # outside the window: not this command's job
        ("unknown", "v1.34.99", Status.PASS),
        ("upi", "v1.34.0-beta.1", Status.BLOCKED),
    ],
)
def test_evaluate_onboarding_any_kind(kind: str, git_version: str, status: Status) -> None:
    result = judge(workload(kind=kind), seen("wl", git_version), onboarding("4.3"), onboard=True)
    assert result.status is status
    assert set(rules(result)) <= {"onboarding"}


def test_onboarding_context_needs_a_range() -> None:
    with pytest.raises(UsageError) as caught:
        onboarding("4.2")
    assert (
        str(caught.value)
        == "--target 4.2: this policy has no onboarding range for 4.2 (ranges: 4.3)"
    )


# --- nodes: skew and runtime -------------------------------------------------------------


def test_skew() -> None:
    kubelets = {
        "v1.31.2": 2,
        "v1.28.1": 1,
        "v1.28.4": 2,
        "v1.27.0": 1,
        "v1.32.0": 1,
        "not-a-version": 1,
    }
    result = judge(workload(), seen("wl", "v1.31.6", kubelets), ctx())
    assert result.status is Status.BLOCKED
    skew = {finding.id: finding for finding in result.findings if finding.rule == "skew"}
    assert list(skew) == ["skew/wl/1.27", "skew/wl/1.28", "skew/wl/1.32", "skew/wl/unparsed"]
    assert skew["skew/wl/1.27"] == Finding(
        "skew/wl/1.27",
        "skew",
        Severity.BLOCKER,
        "1 node runs kubelet v1.27.0, 4 minors older than the API server 1.31; "
        "the skew policy allows at most 3",
        "upgrade those nodes to kubelet 1.28 or newer",
    )
    assert skew["skew/wl/1.28"] == Finding(
        "skew/wl/1.28",
        "skew",
        Severity.INFO,
        "3 nodes run kubelet v1.28.1, v1.28.4, 3 minors behind the API server 1.31 (allowed: 3)",
        "upgrade those nodes before the next control-plane upgrade",
    )
    assert skew["skew/wl/1.32"].severity is Severity.BLOCKER
    assert skew["skew/wl/1.32"].message == (
        "1 node runs kubelet v1.32.0, newer than the API server 1.31; "
        "a kubelet must never be newer than its API server"
    )
    assert skew["skew/wl/unparsed"].severity is Severity.WARNING
    assert "'not-a-version'" in skew["skew/wl/unparsed"].message


def test_skew_is_stricter_for_old_kubelets() -> None:
    result = judge(GLOBAL, seen("global", "v1.26.3", {"v1.23.17": 4}), ctx())
    assert only(result, "skew").message == (
        "4 nodes run kubelet v1.23.17, 3 minors older than the API server 1.26; "
        "the skew policy allows at most 2 for kubelets older than 1.25"
    )
    within = judge(GLOBAL, seen("global", "v1.27.3", {"v1.25.0": 1}), ctx())
    assert only(within, "skew").severity is Severity.INFO
    assert only(within, "skew").remediation == ""


def test_kubelets_on_the_server_minor_say_nothing() -> None:
    result = judge(workload(), seen("wl", "v1.33.7-4", {"v1.33.7-4": 5}), ctx())
    assert result.findings == ()


def test_docker_runtime_blocks_any_role() -> None:
    runtimes = {"docker://20.10.24": 3, "containerd://1.7.22": 2}
    for target in (workload(), GLOBAL):
        observation = seen(target.context, "v1.33.7-4", runtimes=runtimes)
        result = judge(target, observation, ctx())
        assert result.status is Status.BLOCKED
        assert only(result, "runtime") == Finding(
            f"runtime/{target.context}/docker",
            "runtime",
            Severity.BLOCKER,
            "3 nodes run docker://20.10.24; the platform's 4.3 upgrade preflight rejects the "
            "Docker runtime",
            "migrate those nodes to containerd",
        )


@pytest.mark.parametrize(("target", "current"), [("4.2", "4.1"), ("4.1", "4.0"), ("4.0", "3.18")])
def test_docker_before_43_is_an_info_naming_43(target: str, current: str) -> None:
    """DockerRuntimeUnsupported is a 4.3 check; 4.0 and 4.1 create Docker clusters through
    cri-dockerd: before 4.3 a Docker node is worth knowing, not a blocker."""
    runtimes = {"docker://20.10.24": 1, "containerd://1.7.22": 2}
    latest = {"4.1": "v1.32.2", "4.0": "v1.31.2", "3.18": "v1.30.2"}[current]
    result = judge(workload(), seen("wl", latest, runtimes=runtimes), ctx(target, current))
    assert result.status is Status.PASS
    info = only(result, "runtime")
    assert info.id == "runtime/wl/docker" and info.severity is Severity.INFO
    assert info.message == (
        f"1 node runs docker://20.10.24; fine for {target}, but the platform's 4.3 upgrade "
        "preflight rejects the Docker runtime"
    )
    assert info.remediation == "migrate those nodes to containerd before the upgrade to 4.3"


def test_nodes_unavailable_is_a_warning_not_unknown() -> None:
    forbidden = ScanError(ErrorCategory.AUTH, "403 Forbidden: nodes is forbidden")
    observation = seen("wl", "v1.33.7-4", nodes_error=forbidden)
    result = judge(workload(), observation, ctx())
    assert result.status is Status.WARN
    assert result.error is None
    assert only(result, "nodes-unavailable").message == (
        "node list unavailable (auth: 403 Forbidden: nodes is forbidden); "
        "kubelet skew and container runtimes not checked"
    )


def test_no_nodes_requested_says_nothing() -> None:
    assert evaluate("v1.33.7-4").findings == ()


# --- configuration findings ----------------------------------------------------------------


def test_insecure_tls_warns() -> None:
    target = workload(insecure=True)
    result = judge(target, seen("wl", "v1.33.7-4"), ctx())
    assert result.status is Status.WARN
    assert only(result, "insecure-tls").id == "insecure-tls/wl"


def test_kind_unknown_is_info() -> None:
    result = evaluate("v1.33.7-4", kind="unknown")
    assert result.status is Status.PASS
    assert result.findings == (
        Finding(
            "kind-unknown/wl",
            "kind-unknown",
            Severity.INFO,
            "kind not known (pass --inventory); "
            "the window applies to every workload cluster whatever its kind",
            evidence="config",
        ),
    )


def test_hcp_preview_note_for_hosted_on_4_3_only() -> None:
    hosted = evaluate("v1.33.7-4", kind="hosted")
    assert hosted.status is Status.PASS
    note = only(hosted, "hcp-preview")
    assert (note.id, note.severity) == ("hcp-preview/wl", Severity.INFO)
    assert "Technology Preview" in note.message
    assert "hcp-preview" not in rules(evaluate("v1.33.7-4", kind="ipi"))
    assert "hcp-preview" not in rules(evaluate("v1.32.0", kind="hosted", context=ctx("4.2", "4.1")))


# --- status, verdict, exit code ------------------------------------------------------------


def finding(severity: Severity) -> Finding:
    return Finding(f"r/{severity.value}", "r", severity, "m")


@pytest.mark.parametrize(
    ("severities", "error", "status"),
    [
        ([], None, Status.PASS),
        ([Severity.INFO], None, Status.PASS),
        ([Severity.INFO, Severity.WARNING], None, Status.WARN),
        ([Severity.WARNING, Severity.BLOCKER], None, Status.BLOCKED),
        ([Severity.BLOCKER], AUTH_ERROR, Status.BLOCKED),  # a known blocker outranks it
        ([Severity.WARNING], AUTH_ERROR, Status.UNKNOWN),
    ],
)
def test_status_of(severities: list[Severity], error: ScanError | None, status: Status) -> None:
    assert status_of([finding(s) for s in severities], error) is status


def with_status(status: Status) -> ClusterResult:
    return ClusterResult("c", "c", Role.WORKLOAD, "ipi", "", "", status)


@pytest.mark.parametrize(
    ("statuses", "verdict", "code"),
    [
        ([Status.PASS, Status.WARN], Verdict.READY, ExitCode.READY),
        ([Status.PASS], Verdict.READY, ExitCode.READY),
        ([Status.PASS, Status.UNKNOWN], Verdict.INCOMPLETE, ExitCode.INCOMPLETE),
        ([Status.UNKNOWN, Status.BLOCKED], Verdict.NOT_READY, ExitCode.NOT_READY),
        ([Status.WARN, Status.BLOCKED], Verdict.NOT_READY, ExitCode.NOT_READY),
        ([], Verdict.INCOMPLETE, ExitCode.INCOMPLETE),
    ],
)
def test_verdict_table(statuses: list[Status], verdict: Verdict, code: ExitCode) -> None:
    assert verdict_of([with_status(s) for s in statuses]) is verdict
    assert STANDARD_EXIT[verdict] is code


def test_observation_without_version_or_error_is_unknown() -> None:
    result = judge(workload(), Observation("wl"), ctx())
    assert result.status is Status.UNKNOWN
    assert result.error is not None
    assert result.error.category is ErrorCategory.INVALID_RESPONSE


# --- the whole report ----------------------------------------------------------------------


def report(
    targets: list[Target],
    observations: list[Observation],
    context: EvaluationContext | None = None,
    onboard: bool = False,
) -> Report:
    if onboard:
        return run(OnboardingMode(context or onboarding()), targets, observations)
    return upgrade(targets, observations, context)


def test_build_report_never_drops_a_target() -> None:
    broken = workload("broken", problem="user 'x' is not defined in any kubeconfig")
    targets = [GLOBAL, workload("ok"), workload("lost"), broken]
    observations = [
        seen("ok", "v1.33.7-4"),
        seen("global", "v1.33.7-4"),
        seen("stray", "v1.20.0"),  # no target: ignored
    ]
    built = report(targets, observations)
    assert [c.context for c in built.clusters] == ["global", "ok", "lost", "broken"]
    statuses = {c.context: c.status for c in built.clusters}
    assert statuses == {
        "global": Status.PASS,
        "ok": Status.PASS,
        "lost": Status.UNKNOWN,
        "broken": Status.UNKNOWN,
    }
    errors = {c.context: c.error for c in built.clusters if c.error}
    assert errors["broken"] == ScanError(
        ErrorCategory.CONFIG, "user 'x' is not defined in any kubeconfig"
    )
    assert errors["lost"] is not None and errors["lost"].category is ErrorCategory.TIMEOUT
    assert built.verdict is Verdict.INCOMPLETE
    assert built.exit_code == 3


def test_build_report_fields_and_notes() -> None:
    built = report([GLOBAL, workload()], [seen("global", "v1.33.7-4"), seen("wl", "v1.29.1")])
    assert (built.target, built.from_version, built.verdict, built.exit_code) == (
        "4.3",
        "4.2",
        Verdict.NOT_READY,
        1,
    )
    assert built.policy == POLICY.ref
    assert built.notes == ("The 4.3 window applies to every workload cluster whatever its kind.",)
    assert built.metadata == {"host": "ci"}
    assert built.summary.to_dict() == {
        "total": 2, "pass": 1, "warn": 0, "blocked": 1, "unknown": 0, "waived": 0,
        "plan_blockers": 0, "must_move": 0, "plan_steps": 0, "removed_apis_in_use": 0,
    }  # fmt: skip
    assert (
        only(built.clusters[1], "window").remediation
        == f"upgrade 1.29 -> 1.30 -> 1.31 {BEFORE} (Kubernetes upgrades one minor at a time)"
    )
    assert Report.from_json(built.to_json()) == built


def test_report_notes_for_latest_and_unverified_paths() -> None:
    latest = report([GLOBAL], [seen("global", "v1.32.0")], context=ctx("4.2", "4.1"))
    assert latest.notes == (
        "The 4.2 upgrade rule is 'latest': every workload cluster must be on 1.32, "
        "the latest minor of 4.1.",
    )
    unverified = report([GLOBAL], [seen("global", "v1.33.0")], context=ctx("4.3", None))
    assert unverified.notes[1] == (
        "The upgrade path was not verified: pass --from with the current version."
    )
    no_global = report([workload()], [seen("wl", "v1.33.0")])
    assert no_global.notes[1] == (
        "No global cluster was selected, so the upgrade path was not checked."
    )


def test_onboarding_report() -> None:
    built = report(
        [workload("a", kind="third-party"), workload("b", kind="third-party")],
        [seen("a", "v1.25.0"), seen("b", "v1.36.0")],
        context=onboarding("4.3"),
        onboard=True,
    )
    assert [c.status for c in built.clusters] == [Status.PASS, Status.BLOCKED]
    assert built.verdict is Verdict.NOT_READY
    assert "not a promise of full product validation" in built.notes[0]


def test_finding_ids_are_stable_and_unique() -> None:
    kubelets = {"v1.27.0": 1, "v1.30.1": 1, "junk": 1}
    runtimes = {"docker://20.10.24": 2}
    targets = [
        GLOBAL,
        workload("eks-prod", kind="third-party", insecure=True),
        workload("hcp", kind="hosted"),
    ]
    observations = [
        seen("global", "v1.33.7-4", kubelets, runtimes),
        seen("eks-prod", "v1.35.2-eks-1", kubelets, runtimes),
        seen("hcp", "v1.30.1", nodes_error=AUTH_ERROR),
    ]
    first = report(targets, observations, context=ctx("4.3", "3.18"))
    second = report(list(targets), list(reversed(observations)), context=ctx("4.3", "3.18"))
    ids = [f.id for c in first.clusters for f in c.findings]
    assert ids == [f.id for c in second.clusters for f in c.findings]
    assert len(ids) == len(set(ids))
    for cluster in first.clusters:
        for item in cluster.findings:
            assert re.fullmatch(
                rf"{re.escape(item.rule)}/{re.escape(cluster.context)}(/.+)?", item.id
            )
    assert ids == [
        "upgrade-path/global",
        "skew/global/1.27",
        "skew/global/1.30",
        "skew/global/unparsed",
        "runtime/global/docker",
        "window/eks-prod",
        "onboarding/eks-prod",
        "skew/eks-prod/1.27",
        "skew/eks-prod/1.30",
        "skew/eks-prod/unparsed",
        "runtime/eks-prod/docker",
        "insecure-tls/eks-prod",
        "window/hcp",
        "nodes-unavailable/hcp",
        "hcp-preview/hcp",
    ]
