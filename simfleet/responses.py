"""Response bodies shaped like a real kube-apiserver's: /version, NodeList pages, Status."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from simfleet.spec import ClusterSpec, NodeSpec

_CREATED = "2025-01-15T08:30:00Z"
_HEARTBEAT = "2025-06-01T12:00:00Z"
BIG_BODY_SIZE = 64 * 1024 * 1024
TRICKLE_SIZE = 1000

HTML_LOGIN_PAGE = b"""<!DOCTYPE html>
<html><head><title>Sign in - Corporate Access Proxy</title></head>
<body><h1>Sign in</h1><form method="post" action="/oauth2/start">
<label>User <input name="username"></label><label>Password <input type="password" name="password">
</label><button type="submit">Sign in</button></form></body></html>
"""

STATUS_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def status_body(code: int, message: str) -> dict[str, Any]:
    """A metav1.Status failure, as the apiserver sends with every error code."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": STATUS_REASONS.get(code, "Unknown"),
        "code": code,
    }


def version_document(spec: ClusterSpec) -> dict[str, Any]:
    if spec.version_doc is not None:
        return dict(spec.version_doc)
    major, minor = spec.reported_major_minor
    doc: dict[str, Any] = {"major": major, "minor": minor}
    if major == "1" and minor.isdigit() and int(minor) >= 33:
        # 1.33+ apiservers also report their emulation and compatibility versions.
        doc.update(
            emulationMajor=major,
            emulationMinor=minor,
            minCompatibilityMajor=major,
            minCompatibilityMinor=str(int(minor) - 1),
        )
    if spec.git_version is not None:
        doc["gitVersion"] = spec.git_version
    doc.update(
        gitCommit=hashlib.sha1(f"{spec.name}/{spec.git_version}".encode()).hexdigest(),
        gitTreeState="clean",
        buildDate="2025-05-14T17:08:55Z",
        goVersion="go1.24.4",
        compiler="gc",
        platform="linux/amd64",
    )
    return doc


def no_version_document() -> dict[str, Any]:
    return {
        "major": "",
        "minor": "",
        "gitVersion": "",
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": "go1.24.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def big_body_parts(spec: ClusterSpec) -> tuple[bytes, int, bytes]:
    """(prefix, padding length, suffix) of a valid JSON /version body of BIG_BODY_SIZE bytes."""
    prefix = json.dumps(version_document(spec))[:-1].encode() + b', "padding": "'
    suffix = b'"}'
    return prefix, BIG_BODY_SIZE - len(prefix) - len(suffix), suffix


def trickle_body(spec: ClusterSpec) -> bytes:
    body = json.dumps(version_document(spec)).encode()
    return body.ljust(TRICKLE_SIZE)[:TRICKLE_SIZE]


def node_items(spec: ClusterSpec) -> list[dict[str, Any]]:
    if spec.node_items is not None:
        return [dict(item) for item in spec.node_items]
    return [_node_item(spec, i, node) for i, node in enumerate(spec.node_specs)]


def _node_item(spec: ClusterSpec, index: int, node: NodeSpec) -> dict[str, Any]:
    name = f"{spec.name}-node-{index + 1}"
    kubelet = node.kubelet_version or spec.default_kubelet_version
    uid = uid_for(name)
    labels = {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    role = "control-plane" if index == 0 else "worker"
    labels[f"node-role.kubernetes.io/{role}"] = ""
    address = f"10.{index // 250}.{index % 250}.{10 + index % 200}"
    return {
        "metadata": {
            "name": name,
            "uid": uid,
            "resourceVersion": "1",
            "creationTimestamp": _CREATED,
            "labels": labels,
        },
        "spec": {
            "podCIDR": f"10.244.{index % 256}.0/24",
            "podCIDRs": [f"10.244.{index % 256}.0/24"],
        },
        "status": {
            "capacity": {"cpu": "8", "memory": "32863428Ki", "pods": "110"},
            "allocatable": {"cpu": "7800m", "memory": "31715524Ki", "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if node.ready else "Unknown",
                    "reason": "KubeletReady" if node.ready else "NodeStatusUnknown",
                    "message": "kubelet is posting ready status"
                    if node.ready
                    else "Kubelet stopped posting node status.",
                    "lastHeartbeatTime": _HEARTBEAT,
                    "lastTransitionTime": _CREATED,
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": address},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": uid.replace("-", ""),
                "systemUUID": uid,
                "bootID": str(uuid.uuid5(uuid.NAMESPACE_OID, name)),
                "kernelVersion": node.kernel_version or spec.kernel_version,
                "osImage": node.os_image or spec.os_image,
                "containerRuntimeVersion": node.container_runtime or spec.container_runtime,
                "kubeletVersion": kubelet,
                "kubeProxyVersion": kubelet,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


class BadContinue(ValueError):
    """The continue token is not one this server issued."""


def encode_continue(offset: int) -> str:
    token = json.dumps({"v": "meta.k8s.io/v1", "rv": 1, "start": offset}).encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_continue(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = json.loads(raw)["start"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise BadContinue(f"continue key is not valid: {exc}") from None
    if not isinstance(offset, int) or offset < 0:
        raise BadContinue("continue key is not valid: bad start")
    return offset


def node_list_page(items: list[dict[str, Any]], limit: int, continue_token: str) -> dict[str, Any]:
    """One page of a NodeList; limit <= 0 means everything from the continue point."""
    return {"kind": "NodeList", "apiVersion": "v1", **list_page(items, limit, continue_token)}


def list_page(items: list[dict[str, Any]], limit: int, continue_token: str) -> dict[str, Any]:
    """``metadata`` and ``items`` of one page of any list (limit <= 0: all the rest)."""
    start = decode_continue(continue_token) if continue_token else 0
    end = len(items) if limit <= 0 else min(len(items), start + limit)
    metadata: dict[str, Any] = {"resourceVersion": "1"}
    if end < len(items):
        metadata["continue"] = encode_continue(end)
        metadata["remainingItemCount"] = len(items) - end
    return {"metadata": metadata, "items": items[start:end]}


def uid_for(name: str) -> str:
    """A stable object uid, as every API object has one."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.simfleet.invalid"))


# Group/versions every simulated API server serves, whatever its minor (a small, real set).
_SERVED = (
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "storage.k8s.io/v1",
    "autoscaling/v2",
    "coordination.k8s.io/v1",
)


def apis_document(spec: ClusterSpec) -> dict[str, Any]:
    """``GET /apis`` (an APIGroupList): the standard group/versions plus those of the
    deprecated APIs clients request (still served, or they could not be requested)."""
    served = list(_SERVED) + [
        f"{r['group']}/{r['version']}" for r in spec.deprecated_requests if r.get("group")
    ]
    if spec.patches_status != 404:  # the ResourcePatch API is installed
        served.append(PATCH_GROUP_VERSION)
    return group_list(served)


PATCH_GROUP_VERSION = "operator.alauda.io/v1alpha1"
PATCHES_PATH = f"/apis/{PATCH_GROUP_VERSION}/resourcepatches"


def patch_items(spec: ClusterSpec) -> list[dict[str, Any]]:
    """The cluster's own ResourcePatches, shaped as the vendor's (PLATFORM.md 8.1)."""
    items = []
    for patch in spec.resource_patches:
        metadata: dict[str, Any] = {
            "name": patch["name"],
            "uid": uid_for(f"{spec.name}/resourcepatch/{patch['name']}"),
            "resourceVersion": "1",
            "creationTimestamp": _CREATED,
        }
        if patch.get("exempt_for"):
            metadata["annotations"] = {"config.cpaas.io/exempt-for-ver": patch["exempt_for"]}
        target = {
            "apiVersion": "apps/v1",
            "kind": patch.get("kind", "Deployment"),
            "name": patch.get("target", "some-component"),
        }
        if patch.get("namespace"):
            target["namespace"] = patch["namespace"]
        items.append(
            {
                "apiVersion": PATCH_GROUP_VERSION,
                "kind": "ResourcePatch",
                "metadata": metadata,
                "spec": {
                    "release": patch.get("release", "4.2.3"),
                    "target": target,
                    "jsonPatch": [{"op": "add", "path": "/spec/replicas", "value": 3}],
                },
                "status": {"phase": "Applied"},
            }
        )
    return items


def group_list(group_versions: Iterable[str]) -> dict[str, Any]:
    """An APIGroupList of ``group/version`` strings, in order; a group's first version is
    its preferred one."""
    groups: dict[str, list[str]] = {}
    for group_version in dict.fromkeys(group_versions):
        group, _, version = group_version.partition("/")
        groups.setdefault(group, []).append(version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                "preferredVersion": {
                    "groupVersion": f"{group}/{versions[0]}",
                    "version": versions[0],
                },
            }
            for group, versions in groups.items()
        ],
    }


def metrics_text(spec: ClusterSpec) -> bytes:
    """A ``/metrics`` body: ``metrics_padding`` bytes of other families, then the deprecated
    API family (one series per request), then more padding, as an API server interleaves them."""
    family = [
        "# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have "
        "been requested, broken out by API group, version, resource, subresource, and "
        "removed_release.",
        "# TYPE apiserver_requested_deprecated_apis gauge",
    ]
    for r in spec.deprecated_requests:
        labels = ",".join(
            f'{key}="{r.get(key, "")}"'
            for key in ("group", "removed_release", "resource", "subresource", "version")
        )
        family.append(f"apiserver_requested_deprecated_apis{{{labels}}} 1")
    started = time.time() - spec.uptime_hours * 3600
    family += [
        "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
        "# TYPE process_start_time_seconds gauge",
        f"process_start_time_seconds {started:.2f}",
    ]
    half = _padding(spec.metrics_padding // 2, spec.name)
    return half + ("\n".join(family) + "\n").encode() + half


def _padding(size: int, seed: str) -> bytes:
    line = (
        'apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="",'
        'resource="pods",scope="namespace",subresource="",verb="LIST",version="v1",le="%d"} %d\n'
    )
    chunks, total, i = [], 0, 0
    while total < size:
        text = (line % (i, i * 7)).encode()
        chunks.append(text)
        total += len(text)
        i += 1
    return b"".join(chunks)


def pdb_items(spec: ClusterSpec) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {
                "name": p["name"],
                "namespace": p.get("namespace", "default"),
                "uid": uid_for(f"{spec.name}/pdb/{p['name']}"),
            },
            "spec": {"minAvailable": p.get("expected", 1)},
            "status": {
                "disruptionsAllowed": int(p.get("allowed", 0)),
                "expectedPods": int(p.get("expected", 1)),
                "currentHealthy": int(p.get("expected", 1)),
                "desiredHealthy": int(p.get("expected", 1)),
            },
        }
        for p in spec.pdbs
    ]


class RawBody(str):
    """A body the server sends as it is, not as JSON of a document."""
