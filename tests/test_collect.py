"""Collection against real TLS servers on 127.0.0.1 through the scanner's real client stack."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from scanner.collect import BUDGET_MARGIN, CollectOptions, KubeCollector, collect_all
from scanner.inputs.kubeconfig import load_kubeconfigs
from scanner.inputs.targets import Target, select_targets
from scanner.kube import loop
from scanner.kube.client import proxy_for
from scanner.model import ErrorCategory, Observation, Role
from simfleet import ClusterSpec, Failure, Fleet
from tests.conftest import RunningFleet

CHAOS_CATEGORIES = {
    "healthy": None,
    "hang": ErrorCategory.TIMEOUT,
    "no-tls": ErrorCategory.TIMEOUT,
    "refused": ErrorCategory.UNREACHABLE,
    "reset": ErrorCategory.UNREACHABLE,
    "status-401": ErrorCategory.AUTH,
    "status-403": ErrorCategory.AUTH,
    "status-404": ErrorCategory.HTTP,
    "status-500": ErrorCategory.HTTP,
    "flaky-503": None,  # the retry succeeds
    "html": ErrorCategory.INVALID_RESPONSE,
    "no-version": ErrorCategory.INVALID_RESPONSE,
    "big-body": ErrorCategory.INVALID_RESPONSE,
    "trickle": ErrorCategory.TIMEOUT,
    "wrong-ca": ErrorCategory.TLS,
    "hostname-mismatch": ErrorCategory.TLS,
    "expired": ErrorCategory.TLS,
    "nodes-403": None,  # version known; nodes unavailable is a warning, not UNKNOWN
    "exec-fail": ErrorCategory.CONFIG,
    "exec-hang": ErrorCategory.CONFIG,
    "missing-client-cert": ErrorCategory.CONFIG,
    "nodes-missing-fields": None,
}

TIMEOUT = 1.5
RETRIES = 1


def targets_of(kubeconfig: Path, **kwargs: Any) -> list[Target]:
    config = load_kubeconfigs([str(kubeconfig)], explicit=True)
    return select_targets(
        config,
        global_context=kwargs.get("global_context"),
        include=kwargs.get("include", ()),
        exclude=(),
        inventory=None,
    )


@pytest.fixture(scope="module")
def chaos_observations(chaos_fleet: RunningFleet) -> dict[str, tuple[Observation, float]]:
    options = CollectOptions(timeout=TIMEOUT, retries=RETRIES, concurrency=32)
    targets = targets_of(chaos_fleet.kubeconfig)
    collector = KubeCollector(options)
    timed: dict[str, tuple[Observation, float]] = {}

    async def timing(target: Target) -> Observation:
        began = time.monotonic()
        observation = await collector.collect(target)
        timed[target.context] = (observation, time.monotonic() - began)
        return observation

    try:
        observations = loop.run(
            collect_all(targets, timing, concurrency=options.concurrency, budget=options.budget)
        )
    finally:
        collector.close()
    assert [o.context for o in observations] == [t.context for t in targets]
    return timed


def test_chaos_fleet_covers_every_failure_mode(chaos_fleet: RunningFleet) -> None:
    names = set(chaos_fleet.fleet.names)
    assert names == set(CHAOS_CATEGORIES)
    assert {f.value.replace("_", "-") for f in Failure} <= names


@pytest.mark.parametrize("context", sorted(CHAOS_CATEGORIES))
def test_each_failure_gets_its_category_within_its_bound(
    context: str, chaos_observations: dict[str, tuple[Observation, float]]
) -> None:
    observation, seconds = chaos_observations[context]
    expected = CHAOS_CATEGORIES[context]
    if expected is None:
        assert observation.error is None, observation.error
        assert observation.version is not None
    else:
        assert observation.error is not None, f"{context} should have failed"
        assert observation.error.category is expected, observation.error
    assert seconds <= TIMEOUT * (RETRIES + 1) + BUDGET_MARGIN


def test_messages_say_what_happened(
    chaos_observations: dict[str, tuple[Observation, float]],
) -> None:
    def message(name: str) -> str:
        error = chaos_observations[name][0].error
        assert error is not None
        return error.message

    assert "refused" in message("refused")
    assert "expired" in message("expired")
    assert "401" in message("status-401")
    assert "not JSON" in message("html")
    assert "larger than" in message("big-body")
    assert "did not finish" in message("exec-hang")
    assert "exited 1" in message("exec-fail")
    assert "does not exist" in message("missing-client-cert")


def test_exec_failure_never_falls_back_to_anonymous(
    chaos_fleet: RunningFleet, chaos_observations: dict[str, tuple[Observation, float]]
) -> None:
    # The Python client would send anonymous requests after a failed plugin: we send none.
    assert chaos_fleet.fleet.requests("exec-fail") == 0
    assert chaos_fleet.fleet.requests("exec-hang") == 0
    error = chaos_observations["exec-fail"][0].error
    assert error is not None and "[REDACTED]" in error.message
    assert chaos_fleet.fleet.token("exec-fail") not in error.message


def test_nodes_are_summarised_and_partial_items_tolerated(
    chaos_observations: dict[str, tuple[Observation, float]],
) -> None:
    observation = chaos_observations["nodes-missing-fields"][0]
    assert observation.nodes is not None
    assert observation.nodes.count == 3
    assert observation.nodes.kubelet_versions == {"v1.34.1": 1, "unknown": 2}
    forbidden = chaos_observations["nodes-403"][0]
    assert forbidden.nodes is None
    assert forbidden.nodes_error is not None
    assert forbidden.nodes_error.category is ErrorCategory.AUTH


def test_without_retries_a_503_is_an_http_error(tmp_path: Path) -> None:
    with Fleet([ClusterSpec("flaky", failure=Failure.FLAKY_503)], lifetime=60) as fleet:
        targets = targets_of(fleet.write_kubeconfig(tmp_path / "kc.yaml"))
        # Without nodes: the version request is then certainly the first, the one that fails.
        collector = KubeCollector(CollectOptions(timeout=2, retries=0, nodes=False))
        observation = collector(targets[0])
        collector.close()
    assert observation.error is not None
    assert observation.error.category is ErrorCategory.HTTP
    assert "503" in observation.error.message


def test_node_list_is_paged(tmp_path: Path) -> None:
    spec = ClusterSpec("big", "v1.33.2", node_count=7, kubelet_version="v1.32.9")
    with Fleet([spec], lifetime=60) as fleet:
        targets = targets_of(fleet.write_kubeconfig(tmp_path / "kc.yaml"))
        collector = KubeCollector(CollectOptions(timeout=2, page_size=3))
        observation = collector(targets[0])
        collector.close()
        requests = fleet.requests("big")
    assert observation.nodes is not None
    assert observation.nodes.count == 7
    assert observation.nodes.kubelet_versions == {"v1.32.9": 7}
    assert requests == 1 + 3  # /version, then three pages of at most 3


def test_every_auth_kind_reaches_the_server(demo_fleet: RunningFleet) -> None:
    targets = targets_of(demo_fleet.kubeconfig, include=["k3s-edge", "rke2-lab", "aks-web"])
    collector = KubeCollector(CollectOptions(timeout=3, nodes=False))
    try:
        observations = [collector(t) for t in targets]
    finally:
        collector.close()
    assert all(o.error is None for o in observations), observations
    kinds = {t.context: demo_fleet.fleet.spec(t.context).auth for t in targets}
    assert {"exec", "cert", "token"} <= set(kinds.values())


def test_collect_all_abandons_a_stuck_collector_at_its_budget() -> None:
    async def stuck(target: Target) -> Observation:
        if target.context == "stuck":
            await asyncio.sleep(30)
        return Observation(target.context)

    targets = [Target("stuck", Role.WORKLOAD, "stuck"), Target("fine", Role.WORKLOAD, "fine")]
    began = time.monotonic()
    observations = loop.run(collect_all(targets, stuck, concurrency=1, budget=0.2))
    assert time.monotonic() - began < 0.2 + BUDGET_MARGIN + 5
    assert observations[0].error is not None
    assert observations[0].error.category is ErrorCategory.TIMEOUT
    assert observations[1].error is None  # the next target took the freed place


def test_a_collector_bug_is_kept_as_a_value() -> None:
    async def broken(target: Target) -> Observation:
        raise RuntimeError("boom")

    observations = loop.run(
        collect_all([Target("x", Role.GLOBAL, "x")], broken, concurrency=2, budget=5)
    )
    assert observations[0].error is not None
    assert "RuntimeError" in observations[0].error.message


def test_environment_proxy_is_not_used_for_loopback_servers(
    demo_fleet: RunningFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kubectl (Go's net/http) never sends a loopback server to a proxy from the environment:
    # a kind cluster or an SSH tunnel keeps working behind a corporate proxy.
    targets = targets_of(demo_fleet.kubeconfig, include=["aks-web"])
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.delenv("NO_PROXY", raising=False)
    collector = KubeCollector(CollectOptions(timeout=2, retries=0, nodes=False))
    direct = collector(targets[1])
    collector.close()
    assert direct.error is None, direct.error


@pytest.mark.parametrize(
    ("server", "proxy_url", "environ", "expected"),
    [
        ("https://api.example.com:6443", None, {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://api.example.com", None, {"https_proxy": "http://p:3128"}, "http://p:3128"),
        # kubectl ignores ALL_PROXY (Go's ProxyFromEnvironment does not read it)
        ("https://api.example.com", None, {"ALL_PROXY": "socks5://p:1080"}, None),
        ("https://api.example.com", None, {"HTTPS_PROXY": "socks5://p:1080"}, "socks5://p:1080"),
        (
            "http://api.example.com",
            None,
            {"HTTP_PROXY": "http://h:1", "HTTPS_PROXY": "x"},
            "http://h:1",
        ),
        (
            "https://api.example.com",
            None,
            {"HTTPS_PROXY": "http://p", "NO_PROXY": ".example.com"},
            None,
        ),
        (
            "https://10.1.2.3:6443",
            None,
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"},
            None,
        ),
        ("https://127.0.0.1:6443", None, {"HTTPS_PROXY": "http://p"}, None),
        ("https://127.5.6.7:6443", None, {"HTTPS_PROXY": "http://p"}, None),
        ("https://[::1]:6443", None, {"HTTPS_PROXY": "http://p"}, None),
        ("https://localhost:6443", None, {"HTTPS_PROXY": "http://p"}, None),
        # A proxy-url in the kubeconfig is the user's explicit choice, loopback or not.
        ("https://127.0.0.1:6443", "socks5://127.0.0.1:1080", {}, "socks5://127.0.0.1:1080"),
        ("https://api.example.com", None, {}, None),
    ],
)
def test_proxy_choice_matches_kubectl(
    server: str, proxy_url: str | None, environ: dict[str, str], expected: str | None
) -> None:
    assert proxy_for(server, proxy_url, environ) == expected


def test_requests_go_to_the_server_url_without_its_query(
    demo_fleet: RunningFleet, tmp_path: Path
) -> None:
    # kubectl asks https://host:port/version for a server https://host:port/?token=X.
    text = demo_fleet.kubeconfig.read_text()
    port = demo_fleet.fleet.port("aks-web")
    server = f"https://127.0.0.1:{port}"
    path = tmp_path / "query.yaml"
    path.write_text(text.replace(f"server: {server}\n", f"server: {server}/?token=s3cr3tq#frag\n"))
    targets = targets_of(path, include=["aks-web"])
    assert "s3cr3tq" not in targets[1].server
    collector = KubeCollector(CollectOptions(timeout=2, retries=0, nodes=False))
    seen = collector(targets[1])
    collector.close()
    assert seen.error is None, seen.error


class _CountingSemaphore(asyncio.Semaphore):
    """The big-body slots, counting how many are taken at once."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.taken = self.peak = self.total = 0

    async def acquire(self) -> bool:
        await super().acquire()
        self.taken += 1
        self.total += 1
        self.peak = max(self.peak, self.taken)
        return True

    def release(self) -> None:
        self.taken -= 1
        super().release()


def test_big_bodies_share_a_few_slots_and_every_cluster_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A body past BIG_BODY waits for one of the fleet's slots; with 2 slots and 8 clusters
    # whose node lists are all "big", every list is still read whole and every slot is given
    # back, also by the cluster whose list breaks off (a failed read must not keep its slot).
    monkeypatch.setattr("scanner.kube.reader.BIG_BODY", 4 << 10)
    monkeypatch.setattr("scanner.collect.cluster.NODES_BODY_LIMIT", 96 << 10)
    semaphore = _CountingSemaphore(2)
    specs = [ClusterSpec(f"big{i}", "v1.33.2", node_count=60) for i in range(8)]
    huge = {"metadata": {"name": "n", "annotations": {"pad": "x" * (200 << 10)}}}
    specs.append(ClusterSpec("cut", "v1.33.2", node_items=[huge]))
    with Fleet(specs, lifetime=60) as fleet:
        targets = targets_of(fleet.write_kubeconfig(tmp_path / "kc.yaml"))
        collector = KubeCollector(CollectOptions(timeout=5, retries=0, concurrency=16))
        collector._slots.semaphore = semaphore
        try:
            fleetwide = collect_all(targets, collector.collect, concurrency=16, budget=5)
            observations = loop.run(fleetwide)
        finally:
            collector.close()
    by_name = {o.context: o for o in observations}
    for i in range(8):
        nodes = by_name[f"big{i}"].nodes
        assert nodes is not None and nodes.count == 60, by_name[f"big{i}"]
    cut = by_name["cut"]
    assert cut.error is None and cut.nodes is None and cut.nodes_error is not None
    assert "larger than" in cut.nodes_error.message
    assert semaphore.total >= 9  # every big list took a slot ...
    assert semaphore.peak <= 2  # ... never more than two at once ...
    assert semaphore.taken == 0  # ... and each was given back


def test_only_file_and_exec_credentials_are_built_off_the_loop(demo_fleet: RunningFleet) -> None:
    from scanner.kube.client import blocks

    targets = {t.context: t for t in targets_of(demo_fleet.kubeconfig)}
    auth = {name: demo_fleet.fleet.spec(name).auth for name in targets}
    assert {blocks(t) for n, t in targets.items() if auth[n] == "exec"} == {True}

    def from_files(target: Target) -> bool:
        user, cluster = target.user, target.cluster
        files = (user.token_file, user.client_certificate, user.exec) if user else ()
        return any(files) or bool(cluster and cluster.certificate_authority)

    inline = [t for t in targets.values() if not from_files(t)]
    assert inline and not any(blocks(t) for t in inline)


_FIT = """
import logging, resource, sys
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from scanner.collect import fit_open_files
soft, hard = (int(x) for x in sys.argv[1:3])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
print(fit_open_files(512), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


@pytest.mark.parametrize(
    ("soft", "hard", "expected", "warned"),
    [
        (300, 4096, "512 704", False),  # the soft limit is raised, as `ulimit -n` may
        (300, 300, "108 300", True),  # the hard limit is too low: fewer clusters at once
        (4096, 4096, "512 4096", False),
    ],
)
def test_concurrency_fits_the_open_file_limit(
    soft: int, hard: int, expected: str, warned: bool
) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _FIT, str(soft), str(hard)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == expected
    assert ("open-file limit is 300 (ulimit -n)" in done.stderr) is warned
