"""Platform records and coverage with plain data: parsing, matching, kinds, findings, the
current version, and the report model's new keys."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scanner.errors import UsageError
from scanner.inputs.inventory import Inventory, InventoryEntry
from scanner.inputs.kubeconfig import ClusterEntry
from scanner.inputs.policy import load_policy
from scanner.inputs.targets import Target
from scanner.kube.errors import FetchError
from scanner.model import CurrentSource, ErrorCategory, Preflight, PreflightCheck, Role, Severity
from scanner.pipeline import Upgrade, current_notes
from scanner.platform.catalogue import CAPI, KAMAJI, SHADOW_LIST, TKESTACK
from scanner.platform.clusters import ClusterRecord, kind_of, merge_records, url_endpoint
from scanner.platform.discovery import Discovery, parse_discovery
from scanner.platform.match import match_coverage, match_records, with_discovered_kind
from scanner.render.platform_text import current_text, preflight_text
from scanner.report import ClusterResult, PlatformSection, Report
from scanner.rules.context import Current, resolve_current, scan_context, target_release
from scanner.rules.gate import preflight_rules
from scanner.rules.platform import record_mismatch_rule
from scanner.versions import parse_git_version
from tests.render.dataset import canonical_report


def obj(name: str, **sections: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "cpaas-system"}, **sections}


def capi(name: str, infrastructure: str = "", control_plane: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if infrastructure:
        spec["infrastructureRef"] = {"kind": infrastructure}
    if control_plane:
        spec["controlPlaneRef"] = {"kind": control_plane}
    return obj(name, spec=spec)


def target(context: str, server: str = "", role: Role = Role.WORKLOAD, **kw: Any) -> Target:
    cluster = ClusterEntry(name=kw.pop("cluster_name", context), server=server, file="kc")
    return Target(context, role, context, server=server, cluster=cluster, **kw)


@pytest.mark.parametrize(
    ("tke", "capi_doc", "tcp", "kind"),
    [
        (None, capi("a", "DCSCluster"), None, "ipi"),
        (None, capi("a", "VSphereCluster"), None, "ipi"),
        (None, capi("a", "HCSCluster"), None, "ipi"),
        (None, capi("a", "BaremetalCluster"), None, "ipi"),
        (None, capi("a", "UserProvisionedCluster"), None, "upi"),
        (None, capi("a", "DCSCluster", "KamajiControlPlane"), None, "hosted"),
        (None, capi("a"), None, "third-party"),
        (None, capi("a", "AWSCluster"), None, None),
        (None, None, obj("a"), "hosted"),
        (obj("a", spec={"type": "Imported"}), None, None, "third-party"),
        (obj("a", spec={"type": "imported"}), None, None, "third-party"),
        (obj("a", spec={"type": "Baremetal"}), None, None, None),
        (obj("a", spec={"type": "Imported"}), capi("a", "DCSCluster"), None, "ipi"),
    ],
)
def test_kind_of(tke: Any, capi_doc: Any, tcp: Any, kind: str | None) -> None:
    assert kind_of(tke, capi_doc, tcp) == kind


def test_records_merge_by_name_with_versions_and_endpoints() -> None:
    records = merge_records(
        [
            obj(
                "a",
                spec={"type": "Baremetal", "version": "1.33.1"},
                status={
                    "version": "v1.33.0",
                    "phase": "Running",
                    "addresses": [{"type": "Real", "host": "API.Example.com", "port": 6443}],
                    "conditions": [{"type": "HealthCheck", "status": "False", "reason": "Down"}],
                },
            )
        ],
        [capi("a", "DCSCluster") | {"spec": {"controlPlaneEndpoint": {"host": "10.0.0.1"}}}],
        [
            obj(
                "h",
                spec={"kubernetes": {"version": "v1.34.1"}},
                status={
                    "kubernetesResources": {"version": {"version": "v1.33.3", "status": "Ready"}},
                    "controlPlaneEndpoint": "10.0.0.9:6443",
                },
            )
        ],
    )
    a, h = records
    assert (a.name, a.version, a.phase) == ("a", "v1.33.0", "Running")  # status.version first
    assert a.endpoints == ("api.example.com:6443", "10.0.0.1:443")
    assert a.problems == ("HealthCheck False (Down)",)
    assert (h.kind, h.version, h.control_plane_status) == ("hosted", "v1.33.3", "Ready")
    assert h.control_plane == "cpaas-system/h" and h.endpoints == ("10.0.0.9:6443",)


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://API.example.com", "api.example.com:443"),
        ("https://api.example.com:6443/prefix", "api.example.com:6443"),
        ("http://api.example.com", "api.example.com:80"),
        ("10.0.0.1:6443", "10.0.0.1:6443"),
        ("https://[fd00::1]:6443", "fd00::1:6443"),
        ("https://", None),
    ],
)
def test_url_endpoint(url: str, endpoint: str | None) -> None:
    assert url_endpoint(url) == endpoint


@pytest.mark.parametrize(
    ("status", "version", "note"),
    [
        ({"current": "v4.2.3"}, "v4.2.3", False),
        ({"current": {"version": "4.2", "image": "x"}}, "4.2", False),
        ({"current": {"image": "x"}}, None, True),
        ({}, None, True),
    ],
)
def test_current_version_shapes(status: dict[str, Any], version: str | None, note: bool) -> None:
    shadow = {"metadata": {"name": "global", "namespace": "cpaas-system"}, "status": status}
    apis = (TKESTACK, CAPI, KAMAJI, SHADOW_LIST)
    found = parse_discovery(
        {TKESTACK.key: [], CAPI.key: [], KAMAJI.key: [], SHADOW_LIST.key: [shadow]}, reads=apis
    )
    assert found.current_version == version
    assert bool(found.notes) == note
    assert found.preflight is None  # no checks at all: no result, never a pass


def test_failed_reads_are_notes_and_an_unanswered_read_too() -> None:
    found = parse_discovery(
        {
            TKESTACK.key: FetchError(ErrorCategory.AUTH, "HTTP 403 Forbidden: no", status=403),
            CAPI.key: FetchError(ErrorCategory.HTTP, "HTTP 404 Not Found: gone", status=404),
            KAMAJI.key: FetchError(ErrorCategory.TIMEOUT, "no answer before the read timeout"),
        },
        reads=(TKESTACK, CAPI, KAMAJI, SHADOW_LIST),
    )
    assert found.notes == (
        "clusters.platform.tkestack.io: not readable (HTTP 403 Forbidden: no); grant the "
        "scanning user the read permissions in deploy/rbac.yaml",
        "clusters.cluster.x-k8s.io in cpaas-system: not found on the global cluster "
        "(HTTP 404, API not installed)",
        "tenantcontrolplanes.kamaji.clastix.io: not read (timeout: no answer before the read "
        "timeout)",
        "clusterversionshadows.config.alauda.io in cpaas-system: no answer before the "
        "scan's deadline",
    )
    assert found.read == frozenset() and not found.registry_read


def test_matching_order_inventory_then_name_then_url() -> None:
    records = (
        ClusterRecord("by-name", endpoints=("h1:443",)),
        ClusterRecord("by-url", endpoints=("h2:6443",)),
        ClusterRecord("named", endpoints=("h3:443",)),
        ClusterRecord("global"),
    )
    targets = [
        target("g", "https://unknown:443", Role.GLOBAL),
        target("by-name", "https://h2:6443"),  # name beats URL
        target("x", "https://H2:6443"),  # URL, case-insensitive host
        target("y", "https://h1", platform_name="named"),  # inventory beats name and URL
        target("z", "https://h1", platform_name="missing"),  # inventory, and nothing else
        target("w", "https://none", cluster_name="by-url"),  # the kubeconfig cluster's name
    ]
    matches = {context: record.name for context, record in match_records(targets, records).items()}
    assert matches == {
        "g": "global",  # the platform's own name for the global cluster
        "by-name": "by-name",
        "x": "by-url",
        "y": "named",
        "w": "by-url",
    }


def test_inventory_kind_wins_over_the_record() -> None:
    record = ClusterRecord("a", kind="ipi")
    assert with_discovered_kind(target("a", kind="upi"), record).kind_source == "inventory"
    found = with_discovered_kind(target("a"), record)
    assert (found.kind, found.kind_source) == ("ipi", "discovery")
    assert with_discovered_kind(target("a"), ClusterRecord("a")).kind_source == "unknown"


def test_coverage_reports_missed_records_and_leaves_out_unselected_ones() -> None:
    discovery = Discovery(
        records=(
            ClusterRecord("a", version="v1.33.1"),
            ClusterRecord("left-out", version="v1.30.1"),
            ClusterRecord("missed", kind="upi", version="v1.30.1", endpoints=("10.0.0.7:6443",)),
            ClusterRecord("g"),  # the name of a selected context, claimed by another record
        ),
        read=frozenset({TKESTACK.key}),
    )
    selected = [target("g", role=Role.GLOBAL, platform_name="a"), target("b")]
    inventory = Inventory("inv", (InventoryEntry("missed", owner="team-m"),))
    coverage = match_coverage(selected, [target("left-out")], discovery, inventory)
    assert coverage.unselected == ("left-out",)
    assert [m.target.context for m in coverage.record_only] == ["missed", "platform:g"]
    missed = coverage.record_only[0]
    assert (missed.target.kind, missed.target.kind_source, missed.target.owner) == (
        "upi",
        "discovery",
        "team-m",
    )
    assert missed.target.server == "https://10.0.0.7:6443"
    assert missed.observation.version == parse_git_version("v1.30.1")


def test_record_mismatch_compares_what_the_record_says() -> None:
    live = parse_git_version("v1.32.4-2")
    assert record_mismatch_rule("c", ClusterRecord("c", version="1.32"), live) == []
    assert record_mismatch_rule("c", ClusterRecord("c", version="v1.32.4"), live) == []
    assert record_mismatch_rule("c", ClusterRecord("c", version="garbage"), live) == []
    (finding,) = record_mismatch_rule("c", ClusterRecord("c", version="v1.32.3"), live)
    assert (finding.id, finding.severity) == ("record-mismatch/c", Severity.WARNING)


def test_preflight_rules() -> None:
    assert preflight_rules(None) == []
    checks = tuple(
        PreflightCheck(name, state=state, reason="R", message="M")
        for name, state in (("p", "Passed"), ("r", "Retry"), ("f", "Failed"), ("o", ""))
    )
    found = {f.id: f.severity for f in preflight_rules(Preflight("t", checks))}
    assert found == {
        "preflight/r": Severity.WARNING,
        "preflight/f": Severity.BLOCKER,
        "preflight/o": Severity.WARNING,
    }


def test_preflight_and_current_version_in_words() -> None:
    assert preflight_text(None) == "no result yet"
    assert preflight_text(Preflight("t", ())) == "no result yet"
    checks = (PreflightCheck("a", state="Failed"), PreflightCheck("b", state="Passed"))
    assert (
        preflight_text(Preflight(None, checks)) == "observed at an unknown time: 1 failed, 1 passed"
    )
    info = PlatformSection(
        current_version="4.2",
        current_version_source=CurrentSource.FLAG,
        discovered_version="v4.1.0",
    )
    assert current_text(info) == "4.2 (given with --from; the global cluster reports v4.1.0)"
    assert current_text(PlatformSection()) == "not known"


POLICY = load_policy(None)


def resolve(target: str, from_version: str | None, found: str | None) -> Current:
    release = target_release(POLICY, target)
    return resolve_current(POLICY, release, from_version, Discovery(current_version=found))


def judged(target: str, current: Current) -> None:
    scan_context(POLICY, target_release(POLICY, target), current)


def test_resolve_current_version() -> None:
    """Resolved once: ``--from``, else the global cluster's version the policy knows, else
    nothing and why; the report says why as a note when the global cluster said something."""
    current = resolve("4.3", None, "v4.2.3")
    assert current.release is not None
    assert (current.release.version, current.source) == ("4.2", CurrentSource.GLOBAL_CLUSTER)
    reported = Discovery(current_version="4.3.0")
    current = resolve("4.3", None, "4.3.0")
    assert current.release is None and current.source is None
    assert current_notes(Upgrade("4.3"), current, reported) == (
        "the global cluster already runs platform 4.3.0",
    )
    current = resolve("4.3", None, "9.9")
    assert current.release is None and "9.9" in current.missing
    flag = resolve("4.3", "4.1", "v4.2.3")
    assert flag.source is CurrentSource.FLAG
    assert current_notes(Upgrade("4.3", "4.1"), flag, Discovery(current_version="v4.2.3")) == (
        "the global cluster reports platform version v4.2.3; --from 4.1 was used",
    )
    with pytest.raises(UsageError, match=r"--from is required.*did not report its current"):
        judged("4.2", resolve("4.2", None, None))
    with pytest.raises(UsageError, match=r"already runs platform 4\.2"):
        judged("4.2", resolve("4.2", None, "4.2"))


def test_report_round_trips_and_old_reports_load() -> None:
    report = canonical_report()
    assert Report.from_dict(report.to_dict()) == report
    old = report.to_dict()
    del old["platform"]
    for cluster in old["clusters"]:
        for key in ("source", "kind_source", "recorded_version"):
            del cluster[key]
    loaded = Report.from_dict(old)
    assert loaded.platform is None
    assert {c.access for c in loaded.clusters} == {"kubeconfig"}
    assert {c.kind_source for c in loaded.clusters} == {"inventory"}
    unknown = ClusterResult.from_dict({**old["clusters"][0], "kind": "unknown"})
    assert unknown.kind_source == "unknown"
    assert replace(loaded, platform=report.platform).platform == report.platform
