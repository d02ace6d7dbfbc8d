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
from scanner.model import ErrorCategory, Preflight, PreflightCheck, Role, Severity
from scanner.platform.match import (
    match_records,
    plan_coverage,
    with_discovered_kind,
)
from scanner.platform.records import (
    CAPI,
    KAMAJI,
    SHADOWS,
    TKESTACK,
    Discovery,
    PlatformRecord,
    kind_of,
    merge_records,
    parse_discovery,
    url_endpoint,
)
from scanner.render.platform_text import current_text, preflight_text
from scanner.report import ClusterResult, PlatformInfo, Report
from scanner.rules.platform import preflight_rules, record_mismatch_rule
from scanner.scan import ScanRequest, resolve_current
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
    cluster = ClusterEntry(name=kw.pop("cluster_name", context), server=server, source="kc")
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
    assert kind_of(tke, capi_doc, tcp)[0] == kind


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
    apis = (TKESTACK, CAPI, KAMAJI, SHADOWS)
    found = parse_discovery(
        {TKESTACK.key: [], CAPI.key: [], KAMAJI.key: [], SHADOWS.key: [shadow]}, apis=apis
    )
    assert found.current_version == version
    assert bool(found.notes) == note
    assert found.preflight is None  # no checks at all: no result, never a pass


def test_failed_reads_are_notes_and_an_unanswered_read_too() -> None:
    found = parse_discovery(
        {
            TKESTACK.key: FetchError(ErrorCategory.AUTH, "HTTP 403 Forbidden: no"),
            CAPI.key: FetchError(ErrorCategory.HTTP, "HTTP 404 Not Found: gone"),
            KAMAJI.key: FetchError(ErrorCategory.TIMEOUT, "no answer before the read timeout"),
        },
        apis=(TKESTACK, CAPI, KAMAJI, SHADOWS),
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
        PlatformRecord("by-name", endpoints=("h1:443",)),
        PlatformRecord("by-url", endpoints=("h2:6443",)),
        PlatformRecord("named", endpoints=("h3:443",)),
        PlatformRecord("global"),
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
    record = PlatformRecord("a", kind="ipi")
    assert with_discovered_kind(target("a", kind="upi"), record).kind_origin == "inventory"
    found = with_discovered_kind(target("a"), record)
    assert (found.kind, found.kind_origin) == ("ipi", "discovery")
    assert with_discovered_kind(target("a"), PlatformRecord("a")).kind_origin == "unknown"


def test_coverage_reports_missed_records_and_leaves_out_unselected_ones() -> None:
    discovery = Discovery(
        records=(
            PlatformRecord("a", version="v1.33.1"),
            PlatformRecord("left-out", version="v1.30.1"),
            PlatformRecord("missed", kind="upi", version="v1.30.1", endpoints=("10.0.0.7:6443",)),
            PlatformRecord("g"),  # the name of a selected context, claimed by another record
        ),
        read=frozenset({TKESTACK.key}),
    )
    selected = [target("g", role=Role.GLOBAL, platform_name="a"), target("b")]
    inventory = Inventory("inv", (InventoryEntry("missed", owner="team-m"),))
    coverage = plan_coverage(selected, [target("left-out")], discovery, inventory)
    assert coverage.unselected == ("left-out",)
    assert [m.target.context for m in coverage.record_only] == ["missed", "platform:g"]
    missed = coverage.record_only[0]
    assert (missed.target.kind, missed.target.kind_origin, missed.target.owner) == (
        "upi",
        "discovery",
        "team-m",
    )
    assert missed.target.server == "https://10.0.0.7:6443"
    assert missed.observation.version == parse_git_version("v1.30.1")


def test_record_mismatch_compares_what_the_record_says() -> None:
    live = parse_git_version("v1.32.4-2")
    assert record_mismatch_rule("c", PlatformRecord("c", version="1.32"), live) == []
    assert record_mismatch_rule("c", PlatformRecord("c", version="v1.32.4"), live) == []
    assert record_mismatch_rule("c", PlatformRecord("c", version="garbage"), live) == []
    (finding,) = record_mismatch_rule("c", PlatformRecord("c", version="v1.32.3"), live)
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
    info = PlatformInfo(
        current_version="4.2", current_version_source="flag", discovered_version="v4.1.0"
    )
    assert current_text(info) == "4.2 (given with --from; the global cluster reports v4.1.0)"
    assert current_text(PlatformInfo()) == "not known"


def resolve(target: str, from_version: str | None, found: str | None) -> Any:
    request = ScanRequest(target=target, from_version=from_version)
    return resolve_current(load_policy(None), request, Discovery(current_version=found))


def test_resolve_current_version() -> None:
    context, source, notes = resolve("4.3", None, "v4.2.3")
    assert (context.from_release.version, source, notes) == ("4.2", "global-cluster", ())
    context, source, notes = resolve("4.3", None, "4.3.0")
    assert context.from_release is None and source is None
    assert notes == ("the global cluster already runs platform 4.3.0",)
    context, _, notes = resolve("4.3", None, "9.9")
    assert context.from_release is None and "9.9" in notes[0]
    with pytest.raises(UsageError, match=r"--from is required.*did not report its current"):
        resolve("4.2", None, None)
    with pytest.raises(UsageError, match=r"already runs platform 4\.2"):
        resolve("4.2", None, "4.2")


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
    assert {c.source for c in loaded.clusters} == {"kubeconfig"}
    assert {c.kind_source for c in loaded.clusters} == {"inventory"}
    unknown = ClusterResult.from_dict({**old["clusters"][0], "kind": "unknown"})
    assert unknown.kind_source == "unknown"
    assert replace(loaded, platform=report.platform).platform == report.platform
