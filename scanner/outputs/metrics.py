"""Prometheus text exposition format, for the node exporter textfile collector and
VictoriaMetrics-based monitoring.

Every metric is a gauge and carries the ``target`` label, so files for several targets can
sit side by side in one textfile directory. Verdict and status series are written for every
possible value (0 when not current), so alerts keep matching and series never go stale.
No sample timestamps: the textfile collector rejects them. The last-run time comes from the
report's ``generated_at``, never the wall clock, so re-rendering a report gives the same text.

The text is built and written by prometheus_client (a registry of gauges, its text
exposition and its atomic textfile writer); no value is pasted into the output by hand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Gauge, generate_latest, write_to_textfile

from scanner.errors import ReportError
from scanner.model import Status, Verdict
from scanner.report import ClusterResult, Report

PREFIX = "upgrade_scanner_"

# prometheus_client would quietly rewrite a name it cannot use ("has-dash" to "has_dash");
# a name that is not already valid classic Prometheus is refused instead.
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

Labels = Mapping[str, str]


class MetricsWriter:
    """Gauge families in one registry of prometheus_client, which escapes every HELP text
    and label value and renders the text exposition format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)

    def gauge(
        self,
        name: str,
        help_text: str,
        samples: Iterable[tuple[Labels, float]],
        label_names: Sequence[str] | None = None,
    ) -> None:
        """One family; ValueError for an invalid name or a family written twice. A family
        with labels and no samples needs ``label_names`` (else it is one unlabelled 0)."""
        samples = list(samples)
        if label_names is None:
            label_names = list(samples[0][0]) if samples else []
        if not _METRIC_NAME.match(name) or not all(map(_LABEL_NAME.match, label_names)):
            raise ValueError(f"metric {name!r} or one of its labels {label_names} is invalid")
        gauge = Gauge(name, help_text, label_names, registry=self.registry)
        for labels, value in samples:
            (gauge.labels(**labels) if label_names else gauge).set(value)

    def text(self) -> str:
        return generate_latest(self.registry).decode("utf-8")

    def write(self, path: str) -> None:
        """Atomically, with the library's textfile writer (its temporary name does not end in
        ``.prom``, so a collector never reads a half-written file); the file's mode follows
        the umask."""
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            write_to_textfile(path, self.registry)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror}; check the directory") from None


def render_metrics(report: Report) -> str:
    """The metrics of a report as Prometheus text."""
    return metrics_of(report).text()


def write_metrics(path: str, report: Report) -> None:
    metrics_of(report).write(path)


def metrics_of(report: Report) -> MetricsWriter:
    target = {"target": report.target}
    writer = MetricsWriter()
    writer.gauge(
        PREFIX + "ready",
        "1 when every selected cluster is ready for the target version, else 0.",
        [(target, 1 if report.verdict is Verdict.READY else 0)],
    )
    writer.gauge(
        PREFIX + "verdict",
        "The run's verdict: 1 for the current one, 0 for the others.",
        [({**target, "verdict": v.value}, 1 if report.verdict is v else 0) for v in Verdict],
    )
    writer.gauge(
        PREFIX + "clusters",
        "Number of scanned clusters by status.",
        [({**target, "status": s.value}, n) for s, n in _status_counts(report).items()],
    )
    writer.gauge(
        PREFIX + "cluster_info",
        "One series per scanned cluster; version is the raw gitVersion, empty when unknown.",
        [({**target, **_cluster_labels(c)}, 1) for c in report.clusters],
        label_names=["target", *CLUSTER_LABELS],
    )
    writer.gauge(
        PREFIX + "scan_duration_seconds",
        "How long the scan took.",
        [(target, report.duration_seconds)],
    )
    writer.gauge(
        PREFIX + "last_run_timestamp_seconds",
        "When the report was generated, in seconds since the Unix epoch.",
        [(target, _epoch_seconds(report.generated_at))],
    )
    roadmap = report.roadmap
    if roadmap is not None:  # none with --no-plan, or when the current version is not known
        writer.gauge(
            PREFIX + "roadmap_windows",
            "Maintenance windows the roadmap to the target needs.",
            [(target, roadmap.total_windows)],
        )
        writer.gauge(
            PREFIX + "roadmap_remaining_steps",
            "Kubernetes minors the fleet's workload clusters still have to climb.",
            [(target, roadmap.remaining_steps)],
        )
        writer.gauge(
            PREFIX + "roadmap_stalled_clusters",
            "Clusters with no progress over the last --stall-runs runs while the fleet moved.",
            [(target, len(roadmap.stalled))],
        )
    return writer


def _status_counts(report: Report) -> dict[Status, int]:
    summary = report.summary
    return {
        Status.PASS: summary.pass_,
        Status.WARN: summary.warn,
        Status.BLOCKED: summary.blocked,
        Status.UNKNOWN: summary.unknown,
    }


CLUSTER_LABELS = ("context", "role", "kind", "provider", "version", "status")


def _cluster_labels(cluster: ClusterResult) -> dict[str, str]:
    return {
        "context": cluster.context,
        "role": cluster.role.value,
        "kind": cluster.kind,
        "provider": cluster.provider,
        "version": cluster.version.git_version if cluster.version else "",
        "status": cluster.status.value,
    }


def _epoch_seconds(generated_at: str) -> float:
    """``generated_at`` as UTC epoch seconds; a time without an offset is taken as UTC."""
    try:
        stamp = datetime.fromisoformat(generated_at)
    except ValueError:
        raise ReportError(
            f"report: generated_at {generated_at!r} is not an ISO 8601 time "
            "(expected e.g. 2025-11-20T09:14:03Z)"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()
