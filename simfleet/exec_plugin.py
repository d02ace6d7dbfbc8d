"""A client-go exec credential plugin for the simulated fleet (standard library only).

The kubeconfig runs it by absolute path:  python /abs/simfleet/exec_plugin.py --token T --mode M
  ok    print an ExecCredential with the token
  fail  print an error line that contains the token to stderr, exit 1 (callers must redact it)
  hang  never answer; gives up after --max-seconds (default 120), the hard lifetime
  cert  print an ExecCredential with the client certificate and key of --cert-file/--key-file
  garbage  print something that is not JSON, exit 0

Run as a script, it has simfleet/ as sys.path[0]: no module in simfleet/ may be named after a
standard library module.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

API_VERSION = "client.authentication.k8s.io/v1"
MAX_HANG_SECONDS = 120.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simfleet-exec-plugin")
    parser.add_argument("--token", required=True)
    parser.add_argument("--mode", choices=("ok", "fail", "hang", "cert", "garbage"), default="ok")
    parser.add_argument("--max-seconds", type=float, default=MAX_HANG_SECONDS)
    parser.add_argument("--cert-file")
    parser.add_argument("--key-file")
    args = parser.parse_args(argv)
    if args.mode == "fail":
        print(f"error: token {args.token} rejected by identity provider", file=sys.stderr)
        return 1
    if args.mode == "hang":
        time.sleep(max(0.0, min(args.max_seconds, MAX_HANG_SECONDS)))
        print("error: identity provider did not answer", file=sys.stderr)
        return 1
    if args.mode == "garbage":
        print("Welcome! Open https://login.example to continue.")
        return 0
    status: dict[str, str] = {"token": args.token}
    if args.mode == "cert":
        with open(args.cert_file, encoding="ascii") as cert, open(args.key_file) as key:
            status = {"clientCertificateData": cert.read(), "clientKeyData": key.read()}
    credential = {"apiVersion": API_VERSION, "kind": "ExecCredential", "status": status}
    print(json.dumps(credential))
    return 0


if __name__ == "__main__":
    sys.exit(main())
