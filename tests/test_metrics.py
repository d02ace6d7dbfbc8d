"""Prometheus metrics, parsed back with prometheus_client's own text parser."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scanner.errors import ReportError
from scanner.model import Status, Verdict
from scanner.outputs.metrics import MetricsWriter, render_metrics
from scanner.report import Report
from tests.render.dataset import HOSTILE_CONTEXT, OCP_CONTEXT, canonical_report

Sample = tuple[dict[str, str], float]

HOSTILE_METRICS_CONTEXT = 'ctx "quoted" \\back\\slash\\n\nsecond line\\'


def families(report: Report | None = None) -> dict[str, list[Sample]]:
    """Family name -> [(labels, value)]; asserts every family is a gauge with HELP text."""
    parsed = {}
    for family in text_string_to_metric_families(render_metrics(report or canonical_report())):
        assert family.type == "gauge", family.name
        assert family.documentation, family.name
        assert all(s.name == family.name and s.timestamp is None for s in family.samples)
        parsed[family.name] = [(s.labels, s.value) for s in family.samples]
    return parsed


def test_every_family_in_order() -> None:
    assert list(families()) == [
        "upgrade_scanner_ready",
        "upgrade_scanner_verdict",
        "upgrade_scanner_clusters",
        "upgrade_scanner_cluster_info",
        "upgrade_scanner_scan_duration_seconds",
        "upgrade_scanner_last_run_timestamp_seconds",
        "upgrade_scanner_roadmap_windows",
        "upgrade_scanner_roadmap_remaining_steps",
        "upgrade_scanner_roadmap_stalled_clusters",
    ]


def test_ready_verdict_and_run_facts() -> None:
    parsed = families()
    target = {"target": "4.3"}
    assert parsed["upgrade_scanner_ready"] == [(target, 0)]
    assert parsed["upgrade_scanner_verdict"] == [
        ({"target": "4.3", "verdict": "READY"}, 0),
        ({"target": "4.3", "verdict": "NOT_READY"}, 1),
        ({"target": "4.3", "verdict": "INCOMPLETE"}, 0),
    ]
    assert parsed["upgrade_scanner_scan_duration_seconds"] == [(target, 12.437)]
    # 2025-11-20T09:14:03Z, worked out independently of the code under test.
    assert parsed["upgrade_scanner_last_run_timestamp_seconds"] == [(target, 1763630043)]


def test_cluster_counts() -> None:
    assert families()["upgrade_scanner_clusters"] == [
        ({"target": "4.3", "status": "PASS"}, 2),
        ({"target": "4.3", "status": "WARN"}, 2),
        ({"target": "4.3", "status": "BLOCKED"}, 3),
        ({"target": "4.3", "status": "UNKNOWN"}, 2),
    ]


def info(context: str, role: str, kind: str, provider: str, version: str, status: str) -> Sample:
    labels = {"context": context, "role": role, "kind": kind, "provider": provider}
    return ({"target": "4.3", **labels, "version": version, "status": status}, 1)


def test_one_info_series_per_cluster() -> None:
    assert families()["upgrade_scanner_cluster_info"] == [
        info("global", "global", "ipi", "platform", "v1.33.7-4", "PASS"),
        info("ipi-prod", "workload", "ipi", "platform", "v1.33.7-4", "PASS"),
        info("hcp-tenant-a", "workload", "hosted", "platform", "v1.31.12-1", "WARN"),
        info("eks-legacy", "workload", "third-party", "eks", "v1.29.10-eks-7f9249a", "BLOCKED"),
        info(HOSTILE_CONTEXT, "workload", "upi", "upstream", "v1.30.4", "BLOCKED"),
        info(OCP_CONTEXT, "workload", "third-party", "openshift", "v1.30.7+ab12cd3", "BLOCKED"),
        info("gke-analytics", "workload", "third-party", "gke", "", "UNKNOWN"),
        info("aks-dev", "workload", "third-party", "", "", "UNKNOWN"),
        info("dr-standby", "workload", "ipi", "platform", "v1.32.6-3", "WARN"),
    ]


def test_every_metric_carries_the_target() -> None:
    for name, samples in families().items():
        assert samples and all(labels["target"] == "4.3" for labels, _ in samples), name


@pytest.mark.parametrize("verdict", list(Verdict))
def test_one_verdict_series_each_and_they_sum_to_one(verdict: Verdict) -> None:
    parsed = families(replace(canonical_report(), verdict=verdict))
    series = {labels["verdict"]: value for labels, value in parsed["upgrade_scanner_verdict"]}
    assert series == {v.value: (1 if v is verdict else 0) for v in Verdict}
    assert sum(series.values()) == 1
    ready = 1 if verdict is Verdict.READY else 0
    assert parsed["upgrade_scanner_ready"] == [({"target": "4.3"}, ready)]


def test_cluster_counts_equal_the_summary_for_every_status() -> None:
    report = replace(canonical_report(), clusters=canonical_report().clusters[:3])
    counts = {
        labels["status"]: value for labels, value in families(report)["upgrade_scanner_clusters"]
    }
    summary = report.summary.to_dict()
    assert counts == {s.value: summary[s.value.lower()] for s in Status}
    assert sum(counts.values()) == summary["total"] == 3


def test_no_clusters_still_writes_every_count() -> None:
    parsed = families(replace(canonical_report(), clusters=()))
    assert [value for _, value in parsed["upgrade_scanner_clusters"]] == [0, 0, 0, 0]
    assert parsed["upgrade_scanner_cluster_info"] == []


def test_hostile_label_value_round_trips_exactly() -> None:
    base = canonical_report()
    report = replace(base, clusters=(replace(base.clusters[0], context=HOSTILE_METRICS_CONTEXT),))
    # The newline is escaped: still one line for the one sample, nothing injected.
    lines = render_metrics(report).splitlines()
    assert sum(line.startswith("upgrade_scanner_cluster_info{") for line in lines) == 1
    [(labels, value)] = families(report)["upgrade_scanner_cluster_info"]
    assert labels["context"] == HOSTILE_METRICS_CONTEXT and value == 1


def test_help_text_is_escaped() -> None:
    writer = MetricsWriter()
    writer.gauge("x", "back\\slash\nnew line", [({"a": "b"}, 1.5)])
    assert writer.text() == '# HELP x back\\\\slash\\nnew line\n# TYPE x gauge\nx{a="b"} 1.5\n'
    [family] = text_string_to_metric_families(writer.text())
    assert family.documentation == "back\\slash\nnew line"


@pytest.mark.parametrize("name", ["9lives", "has-dash", ""])
def test_writer_refuses_invalid_names(name: str) -> None:
    with pytest.raises(ValueError):
        MetricsWriter().gauge(name, "help", [])
    with pytest.raises(ValueError):
        MetricsWriter().gauge("ok", "help", [({name or "__reserved": "v"}, 1)])


def test_writer_refuses_a_family_written_twice() -> None:
    writer = MetricsWriter()
    writer.gauge("ok", "help", [])
    with pytest.raises(ValueError):
        writer.gauge("ok", "help", [])


def test_text_ends_with_a_newline_and_is_deterministic() -> None:
    text = render_metrics(canonical_report())
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert text == render_metrics(canonical_report())


@pytest.mark.parametrize(
    "generated_at", ["2025-11-20T09:14:03Z", "2025-11-20T09:14:03", "2025-11-20T10:14:03+01:00"]
)
def test_timestamp_is_utc_whatever_the_spelling(generated_at: str) -> None:
    parsed = families(replace(canonical_report(), generated_at=generated_at))
    assert parsed["upgrade_scanner_last_run_timestamp_seconds"][0][1] == 1763630043


def test_unparseable_generated_at_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="generated_at 'yesterday'"):
        render_metrics(replace(canonical_report(), generated_at="yesterday"))
