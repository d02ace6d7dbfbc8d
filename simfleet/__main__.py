"""python -m simfleet serve --fleet demo|chaos|synthetic|FILE.json --kubeconfig OUT --lifetime S
python -m simfleet demo --out DIR   (what `make demo` runs)

Serves the fleet from this process until SIGTERM/SIGINT or the lifetime ends, then exits 0.
The ready file (JSON: pid, kubeconfig, ports) appears once every listener is up and is removed
on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from simfleet import fleets
from simfleet.fleet import Fleet
from simfleet.kubeconfig import atomic_write
from simfleet.spec import ClusterSpec, specs_from_json


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simfleet")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a simulated fleet on 127.0.0.1")
    serve.add_argument("--fleet", default="demo", help="demo, chaos, synthetic or FILE.json")
    serve.add_argument("--kubeconfig", required=True, type=Path, help="kubeconfig to write")
    serve.add_argument("--lifetime", type=float, default=120.0, help="seconds (default 120)")
    serve.add_argument("--ready-file", type=Path, help="JSON written once listening")
    serve.add_argument("--count", type=int, default=100, help="clusters in --fleet synthetic")
    serve.add_argument("--seed", type=int, default=0, help="seed of --fleet synthetic")
    serve.add_argument("--shared-ca", action="store_true", help="one CA for every cluster")
    serve.add_argument(
        "--no-embed", action="store_true", help="CA and client certs as files, not inline"
    )
    serve.add_argument(
        "--platform-proxy",
        action="store_true",
        help="add a global cluster that records every cluster and serves them through its "
        "platform proxy; the kubeconfig then holds only the global context, via the proxy",
    )
    serve.add_argument(
        "--records",
        type=int,
        default=0,
        help="serve only a global cluster whose platform records this many clusters (none "
        "of them served): for scans with --no-platform-proxy",
    )
    serve.add_argument(
        "--stats-file", type=Path, help="JSON of connections and requests, written on exit"
    )
    demo = commands.add_parser("demo", help="serve the demo fleet and scan it (make demo)")
    demo.add_argument("--out", type=Path, default=Path("demo-reports"), help="report directory")
    return parser


def _load_specs(fleet: str, count: int, seed: int) -> list[ClusterSpec]:
    if fleet.endswith(".json"):
        return specs_from_json(json.loads(Path(fleet).read_text()))
    return fleets.by_name(fleet, count=count, seed=seed)


def serve(args: argparse.Namespace) -> int:
    try:
        specs = (
            [fleets.records_global(args.records)]
            if args.records
            else _load_specs(args.fleet, args.count, args.seed)
        )
    except (OSError, ValueError, TypeError) as exc:
        print(f"simfleet: --fleet {args.fleet}: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    shared_ca = args.shared_ca or len(specs) > 50
    omit: list[str] = []
    if args.platform_proxy:
        omit = [spec.name for spec in specs]
        specs = [fleets.platform_global(specs), *specs]
    with Fleet(specs, lifetime=args.lifetime, shared_ca=shared_ca) as fleet:
        kubeconfig = fleet.write_kubeconfig(
            args.kubeconfig,
            embed=not args.no_embed,
            omit=omit,
            via_proxy=["global"] if args.platform_proxy else [],
        )
        if args.ready_file:
            ready = {
                "pid": os.getpid(),
                "kubeconfig": str(kubeconfig),
                "lifetime": args.lifetime,
                "clusters": fleet.ports(),
            }
            atomic_write(args.ready_file.absolute(), json.dumps(ready, indent=2).encode())
        print(f"simfleet: {len(specs)} clusters, kubeconfig {kubeconfig}", file=sys.stderr)
        try:
            # Short waits so the signal handler runs promptly in this (the main) thread.
            while not stop.wait(0.2) and not fleet.closed:
                pass
        finally:
            if args.ready_file:
                args.ready_file.unlink(missing_ok=True)
            if args.stats_file:
                atomic_write(args.stats_file.absolute(), json.dumps(_stats(fleet)).encode())
    return 0


def _stats(fleet: Fleet) -> dict[str, int]:
    """Connections (TLS handshakes) and requests seen by the clusters and by the proxy."""
    clusters = [fleet.stats(name) for name in fleet.names]
    proxy = fleet.proxy_stats()
    return {
        "cluster_connections": sum(s.connections for s in clusters),
        "cluster_requests": sum(s.requests for s in clusters),
        "proxy_connections": proxy.connections if proxy else 0,
        "proxy_requests": proxy.requests if proxy else 0,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from simfleet.demo import run_demo

        return run_demo(args.out)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
