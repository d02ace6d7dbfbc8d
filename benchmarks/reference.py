"""The scanner beside references on the same fleet in the same run: the minimal asyncio
client (``benchmarks/minimal.py``, exactly the reads of ``scan --no-plan --no-discovery``)
and ``xargs -P 32 kubectl version``.

Rounds alternate which of the two goes first, so neither always runs on a warmer (or
busier) machine; the figures are medians over the rounds.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.fleet import ServedFleet
from benchmarks.measure import ProcessRun, run_measured
from benchmarks.scans import TIMEOUT, scan_argv

SAME_READS = ("--no-plan", "--no-discovery")  # exactly /version and the node list
XARGS_PARALLEL = 32


@dataclass
class Pair:
    """Rounds of the scan and the minimal client at one concurrency on one fleet."""

    count: int
    concurrency: int
    scans: list[ProcessRun] = field(default_factory=list)
    minimal: list[ProcessRun] = field(default_factory=list)
    scan_answered: list[int] = field(default_factory=list)  # clusters with a version
    minimal_answered: list[int] = field(default_factory=list)

    @staticmethod
    def _median(runs: list[ProcessRun], what: str) -> float | None:
        values = [getattr(run, what) for run in runs]
        return statistics.median(values) if values else None

    def scan_median(self, what: str) -> float | None:
        """Median of ``wall``, ``cpu`` or ``max_rss_mib`` over the scan's rounds."""
        return self._median(self.scans, what)

    def minimal_median(self, what: str) -> float | None:
        return self._median(self.minimal, what)

    def ratio(self, what: str) -> float | None:
        scan, minimal = self.scan_median(what), self.minimal_median(what)
        return None if scan is None or not minimal else scan / minimal


def minimal_argv(kubeconfig: Path, concurrency: int, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "benchmarks.minimal",
        str(kubeconfig),
        "--concurrency",
        str(concurrency),
        "--timeout",
        f"{TIMEOUT:g}",
        "--out",
        str(out),
    ]


def measure_pair(fleet: ServedFleet, concurrency: int, rounds: int, workdir: Path) -> Pair:
    pair = Pair(fleet.count, concurrency)
    for number in range(rounds):
        order = (_scan_round, _minimal_round) if number % 2 == 0 else (_minimal_round, _scan_round)
        for run_round in order:
            run_round(pair, fleet, workdir)
    return pair


def _scan_round(pair: Pair, fleet: ServedFleet, workdir: Path) -> None:
    out = workdir / f"pair-scan-{fleet.count}.json"
    out.unlink(missing_ok=True)
    argv = scan_argv(fleet.kubeconfig, pair.concurrency, out, SAME_READS)
    run = run_measured(argv, limit=max(180.0, 0.06 * fleet.count))
    if out.exists():
        clusters = json.loads(out.read_text()).get("clusters", [])
        pair.scans.append(run)
        pair.scan_answered.append(sum(1 for c in clusters if c.get("version")))


def _minimal_round(pair: Pair, fleet: ServedFleet, workdir: Path) -> None:
    out = workdir / f"pair-minimal-{fleet.count}.json"
    out.unlink(missing_ok=True)
    run = run_measured(
        minimal_argv(fleet.kubeconfig, pair.concurrency, out),
        limit=max(180.0, 0.06 * fleet.count),
        stdout=workdir / f"pair-minimal-{fleet.count}.out",
    )
    if out.exists():
        pair.minimal.append(run)
        pair.minimal_answered.append(json.loads(out.read_text())["outcomes"].get("ok", 0))


@dataclass(frozen=True)
class XargsKubectl:
    """``xargs -P 32 kubectl version`` over some of a fleet's answering contexts."""

    label: str
    contexts: int
    run: ProcessRun

    @property
    def ms_per_cluster(self) -> float:
        return 1000 * self.run.wall / self.contexts


def xargs_kubectl(
    label: str, kubectl: str, kubeconfig: Path, contexts: list[str], workdir: Path
) -> XargsKubectl:
    """One ``xargs`` process runs every ``kubectl``; ``wait4`` on it counts their CPU too."""
    listing = workdir / "xargs-contexts.txt"
    listing.write_text("".join(f"{context}\n" for context in contexts))
    argv = [
        "xargs",
        "-a",
        str(listing),
        "-P",
        str(XARGS_PARALLEL),
        "-I",
        "{}",
        kubectl,
        "--kubeconfig",
        str(kubeconfig),
        "--context",
        "{}",
        "version",
        "-o",
        "json",
        f"--request-timeout={TIMEOUT:g}s",
    ]
    return XargsKubectl(label, len(contexts), run_measured(argv, limit=600))
