"""Redaction: no server host survives in any format; placeholders are stable."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scanner.outputs.redact import redact
from scanner.render import RENDERERS, RenderOptions, render
from scanner.report import Report
from tests.render.dataset import SERVER_HOSTS, canonical_report


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_server_host_in_any_format(name: str) -> None:
    text = render(name, redact(canonical_report()), RenderOptions()).lower()
    leaked = [host for host in SERVER_HOSTS if host.lower() in text]
    assert leaked == []
    assert "ops-bastion-01" not in text  # the scanning machine's name too


def test_placeholders_follow_first_appearance() -> None:
    servers = [c.server for c in redact(canonical_report()).clusters]
    assert servers[:3] == [
        "https://cluster-1.redacted:6443",
        "https://cluster-2.redacted:6443",
        "https://cluster-3.redacted:6443",
    ]
    assert len(set(servers)) == len(servers)


def test_same_host_same_placeholder_everywhere() -> None:
    report = redact(canonical_report())
    ocp = next(c for c in report.clusters if c.name == "ocp-prod")
    assert ocp.server == "https://cluster-6.redacted:6443"
    assert ocp.context == "default/cluster-6-redacted:6443/kube:admin"
    assert "cluster-6.redacted" in ocp.findings[0].message
    assert "'default/cluster-6-redacted:6443/*'" in report.metadata["command_line"]
    gke = next(c for c in report.clusters if c.context == "gke-analytics")
    assert gke.server == "https://cluster-7.redacted"
    assert gke.error is not None
    assert gke.error.message.startswith('Get "https://cluster-7.redacted:443/version"')
    assert "http://host-1.redacted:3128" in gke.error.message  # the proxy
    assert report.metadata["host"] == "host-2.redacted"


def test_stable_across_runs_and_idempotent() -> None:
    once = redact(canonical_report())
    assert redact(canonical_report()) == once
    assert redact(once).to_dict() == once.to_dict()


def test_original_is_untouched_and_the_rest_is_kept() -> None:
    original = canonical_report()
    redacted = redact(original)
    assert original == canonical_report()
    assert redacted.verdict == original.verdict and redacted.policy == original.policy
    assert redacted.metadata["window"] == original.metadata["window"]
    assert Report.from_dict(redacted.to_dict()) == redacted


def test_host_boundaries() -> None:
    report = canonical_report()
    first = replace(report.clusters[0], server="https://10.0.0.5:6443")
    second = replace(report.clusters[1], server="https://10.0.0.50:6443", notes="peer 10.0.0.5")
    out = redact(replace(report, clusters=(first, second)))
    assert [c.server for c in out.clusters] == [
        "https://cluster-1.redacted:6443",
        "https://cluster-2.redacted:6443",
    ]
    assert out.clusters[1].notes == "peer cluster-1.redacted"


def test_server_without_scheme_and_in_other_case() -> None:
    report = canonical_report()
    cluster = replace(
        report.clusters[0], server="API.Example.COM:6443", owner="ops@api.example.com"
    )
    out = redact(replace(report, clusters=(cluster,)))
    assert out.clusters[0].server == "cluster-1.redacted:6443"
    assert out.clusters[0].owner == "ops@cluster-1.redacted"


def test_host_inside_a_file_name_in_the_command_line() -> None:
    report = canonical_report()
    metadata = {"command_line": "upgrade-scanner scan --kubeconfig ~/.kube/10.20.30.40.yaml"}
    out = redact(replace(report, metadata=metadata))
    assert out.metadata["command_line"].endswith("~/.kube/cluster-5.redacted.yaml")
