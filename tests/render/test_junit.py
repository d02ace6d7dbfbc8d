"""JUnit XML, parsed back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from scanner.model import ErrorCategory, ScanError
from scanner.render import RenderOptions
from scanner.render.junit import render
from scanner.report import Report
from tests.render.dataset import HOSTILE_CONTEXT, MULTILINE_ERROR, canonical_report


def parse(report: Report | None = None) -> ET.Element:
    return ET.fromstring(render(report or canonical_report(), RenderOptions()))


def test_one_suite_with_right_counts() -> None:
    root = parse()
    suites = root.findall("testsuite")
    assert root.tag == "testsuites" and len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    assert suite.get("tests") == str(len(cases)) == "9"
    assert suite.get("failures") == str(len(suite.findall("testcase/failure"))) == "3"
    assert suite.get("errors") == str(len(suite.findall("testcase/error"))) == "2"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "3", "2")


def test_one_case_per_cluster_by_role_and_context() -> None:
    cases = parse().findall("testsuite/testcase")
    expected = [(c.role.value, c.context) for c in canonical_report().clusters]
    assert [(c.get("classname"), c.get("name")) for c in cases] == expected


def cases_by_name() -> dict[str | None, ET.Element]:
    return {case.get("name"): case for case in parse().iter("testcase")}


def test_blocked_is_a_failure_with_every_blocker() -> None:
    case = cases_by_name()[HOSTILE_CONTEXT]
    failure = case.find("failure")
    assert failure is not None and case.find("error") is None
    assert failure.get("message", "").startswith("1 node runs the Docker runtime")
    assert failure.text and "runtime/" in failure.text and "window/" in failure.text
    assert "resource-patch/" in failure.text


def test_unknown_is_an_error_typed_by_category() -> None:
    case = cases_by_name()["gke-analytics"]
    error = case.find("error")
    assert error is not None and case.find("failure") is None
    assert error.get("type") == "timeout"
    assert error.get("message") == MULTILINE_ERROR  # attribute newlines survive as &#10;


def test_findings_and_upgrade_path_in_system_out() -> None:
    out = cases_by_name()["eks-legacy"].findtext("system-out") or ""
    assert "[blocker] window/eks-legacy: Kubernetes 1.29 is outside" in out
    assert "fix: Upgrade the cluster one minor at a time" in out
    assert "upgrade path: 1.30 -> 1.31" in out
    assert cases_by_name()["ipi-prod"].find("system-out") is None


def test_passing_and_warning_clusters_pass() -> None:
    for name in ("ipi-prod", "hcp-tenant-a"):
        assert list(cases_by_name()[name].iter("failure")) == []
        assert list(cases_by_name()[name].iter("error")) == []


def test_suite_properties_carry_the_verdict() -> None:
    props = {p.get("name"): p.get("value") for p in parse().iter("property")}
    assert props["verdict"] == "NOT_READY" and props["target"] == "4.3"
    assert props["policy.sha256"] == canonical_report().policy.sha256


def test_control_characters_do_not_break_the_xml() -> None:
    report = canonical_report()
    clusters = list(report.clusters)
    clusters[6] = replace(
        clusters[6], error=ScanError(ErrorCategory.HTTP, "bad \x1b[31mgateway\x00\x07")
    )
    error = parse(replace(report, clusters=tuple(clusters))).find(
        ".//testcase[@name='gke-analytics']/error"
    )
    assert error is not None and error.get("message") == "bad [31mgateway"
