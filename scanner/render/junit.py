"""JUnit XML for CI dashboards: one test suite, one test case per cluster.

BLOCKED is a ``<failure>``, UNKNOWN an ``<error>`` (typed by its error category), and every
finding is listed in the case's ``<system-out>``. Built with :mod:`xml.etree`, never pasted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scanner.model import Finding, Severity, Status
from scanner.render.base import RenderOptions, printable
from scanner.report import TOOL_NAME, ClusterResult, Report


def render(report: Report, options: RenderOptions) -> str:
    summary = report.summary
    counts = {
        "tests": str(summary.total),
        "failures": str(summary.blocked),
        "errors": str(summary.unknown),
        "skipped": "0",
        "time": f"{report.duration_seconds:.3f}",
    }
    name = f"{TOOL_NAME} {report.target}"
    root = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(
        root, "testsuite", {"name": name, **counts, "timestamp": report.generated_at}
    )
    _properties(suite, report)
    for cluster in report.clusters:
        _testcase(suite, cluster)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(suite: ET.Element, report: Report) -> None:
    properties = ET.SubElement(suite, "properties")
    facts = {
        "verdict": report.verdict.value,
        "target": report.target,
        "from": report.from_version or "",
        "tool.version": report.tool_version,
        "policy.id": report.policy.id,
        "policy.sha256": report.policy.sha256,
    }
    for key, value in facts.items():
        ET.SubElement(properties, "property", name=key, value=_text(value))


def _testcase(suite: ET.Element, cluster: ClusterResult) -> None:
    case = ET.SubElement(
        suite, "testcase", classname=cluster.role.value, name=_text(cluster.context)
    )
    if cluster.status is Status.BLOCKED:
        blockers = [
            f for f in cluster.findings if f.severity is Severity.BLOCKER and f.waiver is None
        ]
        message = blockers[0].message if blockers else "blocked"
        lines = [_finding_line(f) for f in blockers]
        if cluster.error is not None:  # one failure carries both: the blocker and the error
            also = f"also could not be scanned: {cluster.error.category.value}: "
            also += cluster.error.message
            message += f"; {also}"
            lines.append(also)
        failure = ET.SubElement(case, "failure", type="blocked", message=_text(message))
        failure.text = _text("\n".join(lines))
    elif cluster.status is Status.UNKNOWN:
        category = cluster.error.category.value if cluster.error else "unknown"
        message = cluster.error.message if cluster.error else "no error recorded"
        error = ET.SubElement(case, "error", type=category, message=_text(message))
        error.text = _text(f"{category}: {message}")
    if cluster.findings or cluster.upgrade_path:
        out = ET.SubElement(case, "system-out")
        lines = [_finding_line(f) for f in cluster.findings]
        if cluster.upgrade_path:
            lines.append("upgrade path: " + " -> ".join(cluster.upgrade_path))
        out.text = _text("\n".join(lines))


def _finding_line(finding: Finding) -> str:
    line = f"[{finding.severity.value}] {finding.id}: {finding.message}"
    return f"{line}\n  fix: {finding.remediation}" if finding.remediation else line


def _text(value: str) -> str:
    # XML 1.0 cannot carry most control characters, even escaped: drop them.
    return printable(value)
