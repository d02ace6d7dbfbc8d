"""Redaction: no server host survives in any format or section; placeholders are stable."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.outputs.redact import HostMap, load_host_map, redact, save_host_map
from scanner.render import RENDERERS, RenderOptions, render
from scanner.render.table import render_changes
from scanner.report import Report
from tests.render.dataset import OCP_CONTEXT, SERVER_HOSTS, canonical_report


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [h for h in (*SERVER_HOSTS, "ops-bastion-01") if h.lower() in lowered]


def test_the_dataset_names_its_hosts_in_every_section() -> None:
    """The probe below means something only if every section carries a host to redact."""
    data = canonical_report().to_dict()
    ocp = next(c for c in data["clusters"] if c["context"] == OCP_CONTEXT)
    sections = {
        "plan": ocp["plan"],
        "upgrade_controller": ocp["upgrade_controller"],
        "extensions": ocp["extensions"],
        "gates": data["platform"]["gates"],
        "changes": data["changes"],
        "preflight": data["platform"]["preflight"],
    }
    for name, section in sections.items():
        assert _leaks(json.dumps(section)), name


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_host_in_any_format(name: str) -> None:
    """Every format, the terminal table included, names no host of the report."""
    text = render(name, redact(canonical_report()), RenderOptions())
    assert _leaks(text) == []


def test_no_host_in_any_field_of_the_dict_form() -> None:
    data = redact(canonical_report()).to_dict()
    assert _leaks(json.dumps(data, ensure_ascii=False)) == []
    assert _leaks(render_changes(redact(canonical_report()).changes)) == []  # type: ignore[arg-type]


def test_sections_keep_their_shape_and_meaning() -> None:
    report = redact(canonical_report())
    ocp = next(c for c in report.clusters if c.name == "ocp-prod")
    assert ocp.plan is not None and ocp.plan.findings[0].id == (
        "path-skew/default/cluster-6-redacted:6443/kube:admin/1.27"
    )
    assert ocp.upgrade_controller is not None
    stalled = ocp.upgrade_controller.condition("Stalled")
    assert stalled is not None and "cluster-6.redacted" in stalled.message
    assert ocp.extensions and "cluster-6.redacted" in ocp.extensions[0].block_reasons[0]
    assert report.changes is not None
    assert report.changes.new_blockers[0].context == "default/cluster-6-redacted:6443/kube:admin"
    assert report.platform is not None and report.platform.gates is not None
    assert "cluster-6.redacted" in report.platform.gates[2].description
    assert report.policy == canonical_report().policy  # public data stays


def test_documentation_links_stay() -> None:
    report = canonical_report()
    first = replace(
        report.clusters[0],
        notes="see https://kubernetes.io/docs/reference/using-api/deprecation-guide/#psp-v125",
    )
    out = redact(replace(report, clusters=(first, *report.clusters[1:])))
    assert out.clusters[0].notes == first.notes


def test_a_map_kept_in_the_output_directory_keeps_placeholders(tmp_path: Path) -> None:
    """A host keeps its placeholder across runs, even when a new cluster comes first; the
    file holds no host name."""
    report = canonical_report()
    hosts = load_host_map(str(tmp_path))
    first = redact(report, hosts)
    save_host_map(str(tmp_path), hosts)
    saved = (tmp_path / ".upgrade-scanner-redaction.json").read_text()
    assert _leaks(saved) == []
    assert (tmp_path / ".upgrade-scanner-redaction.json").stat().st_mode & 0o777 == 0o600
    newcomer = replace(report.clusters[1], context="new", server="https://new.example.org:6443")
    grown = replace(report, clusters=(newcomer, *report.clusters))
    second = redact(grown, load_host_map(str(tmp_path)))
    assert [c.server for c in second.clusters[1:]] == [c.server for c in first.clusters]
    assert second.clusters[0].server == "https://cluster-10.redacted:6443"


def test_an_unreadable_map_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / ".upgrade-scanner-redaction.json").write_text("{not json")
    hosts = load_host_map(str(tmp_path))
    assert isinstance(hosts, HostMap)
    assert redact(canonical_report(), hosts).clusters[0].server.startswith("https://cluster-1.")


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
    assert "cluster-6.redacted" in ocp.findings[1].message
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
