"""The comparisons around a scan: a kubectl shell loop, CLI start-up and the machine."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import REPO_ROOT, child_environment, median_wall, run_measured


@dataclass(frozen=True)
class KubectlLoop:
    label: str
    contexts: int
    failures: int
    wall: float

    @property
    def ms_per_cluster(self) -> float:
        return 1000 * self.wall / self.contexts


def kubectl_binaries() -> list[tuple[str, str]]:
    """``kubectl`` on PATH and, when that is the gcloud dispatcher (which asks the server for
    its version before running the matching kubectl), the newest versioned kubectl beside it."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return []
    found = [("kubectl on PATH", kubectl)]
    if "dispatcher" in _client_version(kubectl):
        real = Path(os.path.realpath(kubectl))
        versioned = sorted(
            real.parent.glob("kubectl.1.*"), key=lambda p: int(p.name.rsplit(".", 1)[1])
        )
        if versioned:
            found.append((f"{versioned[-1].name} (no dispatcher)", str(versioned[-1])))
    return found


def kubectl_loop(
    label: str, kubectl: str, kubeconfig: Path, contexts: Sequence[str]
) -> KubectlLoop:
    """``kubectl version`` once per context, one after the other, as a shell loop runs it."""
    wall = 0.0
    failures = 0
    for context in contexts:
        argv = [kubectl, "--kubeconfig", str(kubeconfig), "--context", context]
        run = run_measured([*argv, "version", "-o", "json", "--request-timeout=2s"], limit=30)
        wall += run.wall
        failures += run.exit_code != 0
    return KubectlLoop(label, len(contexts), failures, wall)


def kubectl_version() -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return "not installed"
    return f"{_client_version(kubectl)} ({os.path.realpath(kubectl)})"


def _client_version(kubectl: str) -> str:
    try:
        out = subprocess.run(
            [kubectl, "version", "--client", "-o", "json"],
            env=child_environment(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
        return str(json.loads(out)["clientVersion"]["gitVersion"])
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
        return "unknown"


def cli_argv() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m scanner``."""
    script = Path(sys.executable).parent / "upgrade-scanner"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scanner"]


def startup_seconds(option: str, runs: int) -> float:
    return median_wall([*cli_argv(), option], runs)


def slowest_imports(limit: int) -> list[tuple[str, float]]:
    """Top cumulative import times (seconds) of ``python -X importtime -m scanner --help``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scanner", "--help"],
        cwd=REPO_ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    rows: list[tuple[str, float]] = []
    for line in result.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package" (nested ones indented)
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda row: row[1], reverse=True)[:limit]


def machine() -> dict[str, str]:
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": _memory(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "kubectl": kubectl_version(),
        "platform": platform.platform(),
        # Other work on the machine skews every figure; this says how busy it was.
        "load average at start (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / (1024 * 1024):.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"
