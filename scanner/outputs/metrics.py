"""Prometheus text exposition format, for the node exporter textfile collector and
VictoriaMetrics-based monitoring.

Every metric is a gauge and carries the ``target`` label, so files for several targets can
sit side by side in one textfile directory. Verdict and status series are written for every
possible value (0 when not current), so alerts keep matching and series never go stale.
No sample timestamps: the textfile collector rejects them. The last-run time comes from the
report's ``generated_at``, never the wall clock, so re-rendering a report gives the same text.

Text is built by :class:`MetricsWriter`, which escapes every HELP text and label value; no
value is pasted into the output unescaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from scanner.errors import ReportError
from scanner.model import Status, Verdict
from scanner.report import ClusterResult, Report

PREFIX = "upgrade_scanner_"

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_LABEL_VALUE_ESCAPES = str.maketrans({"\\": r"\\", '"': r"\"", "\n": r"\n"})
_HELP_ESCAPES = str.maketrans({"\\": r"\\", "\n": r"\n"})

Labels = Mapping[str, str]


class MetricsWriter:
    """Collects gauge families and renders them in the text exposition format (0.0.4)."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._names: set[str] = set()

    def gauge(self, name: str, help_text: str, samples: Iterable[tuple[Labels, float]]) -> None:
        if not _METRIC_NAME.match(name) or name in self._names:
            raise ValueError(f"metric name {name!r} is invalid or already written")
        self._names.add(name)
        self._lines.append(f"# HELP {name} {help_text.translate(_HELP_ESCAPES)}")
        self._lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            self._lines.append(f"{name}{_label_set(labels)} {_number(value)}")

    def text(self) -> str:
        return "".join(line + "\n" for line in self._lines)


def _label_set(labels: Labels) -> str:
    if not labels:
        return ""
    pairs = []
    for key, value in labels.items():
        if not _LABEL_NAME.match(key) or key.startswith("__"):
            raise ValueError(f"label name {key!r} is invalid")
        pairs.append(f'{key}="{value.translate(_LABEL_VALUE_ESCAPES)}"')
    return "{" + ",".join(pairs) + "}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def render_metrics(report: Report) -> str:
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
    return writer.text()


def _status_counts(report: Report) -> dict[Status, int]:
    summary = report.summary
    return {
        Status.PASS: summary.pass_,
        Status.WARN: summary.warn,
        Status.BLOCKED: summary.blocked,
        Status.UNKNOWN: summary.unknown,
    }


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
