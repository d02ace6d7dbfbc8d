"""deploy/: the image and the manifests agree with each other, with the CLI and with Kubernetes.

Every manifest is validated offline against the Kubernetes 1.31 schemas bundled with
kubernetes-validate (strict: an unknown or misspelt field is an error). The other tests check
what a schema cannot see: names and references, the RBAC grant, the pod's security settings,
the paths handed to the scanner, and the exit-code wrapper of the CronJob, which is run.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

import scanner
from scanner.cli import cli
from scanner.inputs.kubeconfig import load_kubeconfigs
from scanner.platform.catalogue import READS, Read

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ROOT = DEPLOY.parent
KUBERNETES = "1.31.0"
APP = "upgrade-scanner"
UID = 10001

# Where each file is applied. kustomization.yaml lists the global cluster's resources; these
# are applied by hand: the Secret example on the global cluster, the reader on every
# workload cluster. References must resolve inside one cluster's files.
GLOBAL_BY_HAND = ["secret-example.yaml"]
WORKLOAD_FILES = ["workload-cluster-reader.yaml"]
PLATFORM_NAMESPACES = {"cpaas-system", "kube-system"}  # exist already; not ours to create
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
# Every cluster: the API server version, /metrics (plans), nodes, disruption budgets (plans)
# and the cluster's own ResourcePatches (cluster-scoped).
WORKLOAD_GRANTS = {
    "cluster: get /version",
    "cluster: get /metrics",
    "cluster: list nodes",
    "cluster: list poddisruptionbudgets.policy",
    "cluster: list resourcepatches.operator.alauda.io",
}


def _grant(read: Read) -> str:
    scope = read.namespace or "cluster"
    verb = "get" if read.name else "list"
    target = read.resource.label() + (f"/{read.name}" if read.name else "")
    return f"{scope}: {verb} {target}"


# The global cluster: what every cluster grants, and each read of platform discovery as the
# catalogue declares it (a list, or a get of one named object), nothing more.
GLOBAL_GRANTS = WORKLOAD_GRANTS | {_grant(read) for read in READS}


Obj = dict[str, Any]


def load(name: str) -> list[Obj]:
    with open(DEPLOY / name, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def kustomization() -> Obj:
    (doc,) = load("kustomization.yaml")
    return doc


def global_objects() -> list[Obj]:
    files = kustomization()["resources"] + GLOBAL_BY_HAND
    return [obj for name in files for obj in load(name)]


def workload_objects() -> list[Obj]:
    return [obj for name in WORKLOAD_FILES for obj in load(name)]


def manifests() -> list[Any]:
    """Every object of every file (kustomization.yaml is kustomize's, not a Kubernetes kind)."""
    return [
        pytest.param(obj, id=f"{path.name}:{obj['kind']}/{obj['metadata']['name']}")
        for path in sorted(DEPLOY.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
        for obj in load(str(path.relative_to(DEPLOY)))
    ]


def ns(obj: Obj) -> str:
    return str(obj["metadata"].get("namespace", ""))


def key(obj: Obj) -> tuple[str, str, str]:
    return obj["kind"], ns(obj), obj["metadata"]["name"]


def one(objs: list[Obj], kind: str, name: str, namespace: str = "") -> Obj:
    found = [o for o in objs if key(o) == (kind, namespace, name)]
    assert len(found) == 1, f"{kind} {namespace}/{name}: defined {len(found)} times"
    return found[0]


def cronjob() -> Obj:
    return one(global_objects(), "CronJob", APP, APP)


def pod_spec() -> Obj:
    return cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def container() -> Obj:
    (only,) = pod_spec()["containers"]
    return only


def flags(args: list[str]) -> dict[str, str | bool]:
    """`--flag value` and bare `--flag` pairs (every scan flag here is one or the other)."""
    parsed: dict[str, str | bool] = {}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[i + 1] if i + 1 < len(args) else "--"
            parsed[arg] = True if following.startswith("--") else following
    return parsed


def mount_of(volume_kind: str) -> tuple[Obj, Obj]:
    """The (volume, mount) pair of the one volume of this kind."""
    (volume,) = [v for v in pod_spec()["volumes"] if volume_kind in v]
    (mount,) = [m for m in container()["volumeMounts"] if m["name"] == volume["name"]]
    return volume, mount


# --- files and schemas -------------------------------------------------------------------


def test_every_file_is_applied_somewhere_exactly_once() -> None:
    files = sorted(str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*.yaml"))
    listed = kustomization()["resources"] + GLOBAL_BY_HAND + WORKLOAD_FILES
    assert sorted(listed) == sorted(set(files) - {"kustomization.yaml"})


def test_kustomization_leaves_namespaces_and_the_secret_alone() -> None:
    doc = kustomization()
    # a kustomize `namespace:` would move the cpaas-system Role and RoleBinding too
    assert "namespace" not in doc
    # applying the example would overwrite the operator's real kubeconfigs
    assert "secret-example.yaml" not in doc["resources"]


@pytest.mark.parametrize("obj", manifests())
def test_manifest_is_valid_for_kubernetes_1_31(obj: Obj) -> None:
    try:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(part) for part in exc.absolute_path)
        pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {where}: {exc.message}")


def test_schema_validation_is_offline_and_strict() -> None:
    """The check above is not vacuous: a misspelt field fails, with no network needed."""
    broken = json.loads(json.dumps(cronjob()))
    broken["spec"]["concurencyPolicy"] = broken["spec"].pop("concurrencyPolicy")
    with pytest.raises(kubernetes_validate.ValidationError, match="concurencyPolicy"):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_the_listed_objects() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY)], capture_output=True, text=True, check=True
    ).stdout
    listed = [obj for name in kustomization()["resources"] for obj in load(name)]
    assert sorted(map(key, yaml.safe_load_all(rendered))) == sorted(map(key, listed))


# --- names and references ----------------------------------------------------------------


def test_global_cluster_gets_every_kind() -> None:
    assert {o["kind"] for o in global_objects()} == {
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "PersistentVolumeClaim",
        "CronJob",
        "Secret",
    }


@pytest.mark.parametrize("objs", [global_objects(), workload_objects()], ids=["global", "workload"])
def test_objects_are_unique_labelled_and_in_known_namespaces(objs: list[Obj]) -> None:
    keys = [key(o) for o in objs]
    assert len(keys) == len(set(keys))
    ours = {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"}
    for obj in objs:
        assert obj["metadata"]["labels"]["app.kubernetes.io/name"] == APP
        if obj["kind"] in CLUSTER_SCOPED:
            assert ns(obj) == "", f"{obj['kind']} is cluster-scoped"
        else:
            assert ns(obj) in ours | PLATFORM_NAMESPACES, obj["metadata"]


@pytest.mark.parametrize("objs", [global_objects(), workload_objects()], ids=["global", "workload"])
def test_bindings_point_at_existing_roles_and_accounts(objs: list[Obj]) -> None:
    bindings = [o for o in objs if o["kind"] in ("ClusterRoleBinding", "RoleBinding")]
    assert bindings
    for binding in bindings:
        ref = binding["roleRef"]
        assert ref["apiGroup"] == "rbac.authorization.k8s.io"
        assert binding["kind"] == "RoleBinding" or ref["kind"] == "ClusterRole"
        one(objs, ref["kind"], ref["name"], ns(binding) if ref["kind"] == "Role" else "")
        for subject in binding["subjects"]:
            assert subject["kind"] == "ServiceAccount"
            one(objs, "ServiceAccount", subject["name"], subject["namespace"])
    accounts = {(ns(o), o["metadata"]["name"]) for o in objs if o["kind"] == "ServiceAccount"}
    bound = {(s["namespace"], s["name"]) for b in bindings for s in b["subjects"]}
    assert accounts == bound, "every account is bound, and only ours are"


def test_pod_references_resolve() -> None:
    objs, spec, namespace = global_objects(), pod_spec(), ns(cronjob())
    one(objs, "ServiceAccount", spec["serviceAccountName"], namespace)
    refs = {"secret": ("Secret", "secretName"), "configMap": ("ConfigMap", "name")}
    refs["persistentVolumeClaim"] = ("PersistentVolumeClaim", "claimName")
    for volume in spec["volumes"]:
        for source, (kind, field) in refs.items():
            if source in volume:
                one(objs, kind, volume[source][field], namespace)
    for env in container().get("env", []):
        for source, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            if source in env.get("valueFrom", {}):
                one(objs, kind, env["valueFrom"][source]["name"], namespace)
    mounted = [m["name"] for m in container()["volumeMounts"]]
    assert sorted(mounted) == sorted(v["name"] for v in spec["volumes"])


def test_scanner_arguments_use_the_mounts() -> None:
    args = flags(container()["args"])
    assert container()["args"][0] == "scan"
    assert {"--target", "--in-cluster", "--no-progress", "--keep"} <= set(args)
    _, reports = mount_of("persistentVolumeClaim")
    assert args["--output-dir"] == reports["mountPath"]
    assert str(args["--metrics-file"]).startswith(reports["mountPath"] + "/")
    secret_volume, kubeconfigs = mount_of("secret")
    kubeconfig = Path(str(args["--kubeconfig"]))
    assert str(kubeconfig.parent) == kubeconfigs["mountPath"]
    secret = one(global_objects(), "Secret", secret_volume["secret"]["secretName"], APP)
    assert kubeconfig.name in secret["stringData"]


def test_example_kubeconfig_is_usable_inside_the_pod(tmp_path: Path) -> None:
    """Parses as a kubeconfig, and needs no local file or exec plugin the pod lacks."""
    secret = one(global_objects(), "Secret", "upgrade-scanner-kubeconfigs", APP)
    path = tmp_path / "workloads.yaml"
    path.write_text(secret["stringData"]["workloads.yaml"], encoding="utf-8")
    config = load_kubeconfigs([str(path)], explicit=True)
    assert config.contexts
    for context in config.contexts.values():
        user, cluster = config.users[context.user], config.clusters[context.cluster]
        assert user.token or user.client_certificate_data, context.name
        assert not (user.exec or user.token_file or user.client_certificate), context.name
        assert cluster.certificate_authority is None, "CA embedded with --flatten"


def test_scanner_accepts_the_arguments() -> None:
    command, *args = container()["args"]
    scan = cli.commands[command]
    known = {name for param in scan.params for name in param.opts}
    unknown = {arg for arg in args if arg.startswith("-")} - known
    assert not unknown
    scan.make_context(command, args)  # types and ranges, as click checks them at run time


# --- least privilege ---------------------------------------------------------------------


def grants(objs: list[Obj], account: str, namespace: str) -> set[str]:
    """What the account may do, through every binding: 'scope: verb resource[/name]'."""
    found = set()
    for binding in (o for o in objs if o["kind"] in ("ClusterRoleBinding", "RoleBinding")):
        subjects = {(s["namespace"], s["name"]) for s in binding["subjects"]}
        if (namespace, account) not in subjects:
            continue
        ref = binding["roleRef"]
        role = one(objs, ref["kind"], ref["name"], ns(binding) if ref["kind"] == "Role" else "")
        scope = "cluster" if binding["kind"] == "ClusterRoleBinding" else ns(binding)
        for rule in role["rules"]:
            targets = list(rule.get("nonResourceURLs", []))
            for group in rule.get("apiGroups", []):
                for resource in rule["resources"]:
                    full = f"{resource}.{group}" if group else resource
                    names = rule.get("resourceNames") or [""]
                    targets += [f"{full}/{name}" if name else full for name in names]
            found |= {f"{scope}: {verb} {target}" for verb in rule["verbs"] for target in targets}
    return found


def test_global_account_may_read_exactly_what_a_scan_needs() -> None:
    assert grants(global_objects(), APP, APP) == GLOBAL_GRANTS
    # The catalogue's labels are the grant's spelling: a sample written out by hand.
    assert "cpaas-system: get configmaps/admin-acks" in GLOBAL_GRANTS
    assert (
        "cluster: get etcdbackupconfigurations.enhancement.cluster.alauda.io/etcd-backup-default"
        in GLOBAL_GRANTS
    )
    assert "cpaas-system: list clusterversionshadows.config.alauda.io" in GLOBAL_GRANTS


def test_workload_reader_may_read_what_every_cluster_is_asked_only() -> None:
    assert grants(workload_objects(), "upgrade-scanner-reader", "kube-system") == WORKLOAD_GRANTS


def test_roles_are_read_only_without_wildcards() -> None:
    for role in (o for o in global_objects() + workload_objects() if o["kind"].endswith("Role")):
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= {"get", "list"}, role["metadata"]
            for field in ("apiGroups", "resources", "nonResourceURLs", "resourceNames"):
                assert not any("*" in item for item in rule.get(field, [])), (role, field)


# --- the CronJob -------------------------------------------------------------------------


def test_cronjob_runs_once_at_a_time_and_once_per_slot() -> None:
    spec = cronjob()["spec"]
    assert len(spec["schedule"].split()) == 5
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1
    assert spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    assert job["activeDeadlineSeconds"] > 0
    assert pod_spec()["restartPolicy"] == "Never"


def test_cronjob_pod_is_locked_down() -> None:
    pod, box = pod_spec()["securityContext"], container()["securityContext"]
    for context in (pod, box):
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == UID
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert box["readOnlyRootFilesystem"] is True
    assert box["allowPrivilegeEscalation"] is False
    assert box["capabilities"] == {"drop": ["ALL"]}
    assert pod["fsGroup"] == UID, "the PVC must be writable by the scanner's uid"
    for bound in ("requests", "limits"):
        assert set(container()["resources"][bound]) == {"cpu", "memory"}


def test_cronjob_volumes() -> None:
    tmp = {m["mountPath"]: m["name"] for m in container()["volumeMounts"]}["/tmp"]
    assert "emptyDir" in next(v for v in pod_spec()["volumes"] if v["name"] == tmp)
    volume, mount = mount_of("secret")
    assert mount["readOnly"] is True
    assert volume["secret"]["defaultMode"] & 0o007 == 0, "kubeconfigs unreadable to others"


@pytest.fixture
def fake_scanner(tmp_path: Path) -> Path:
    """An `upgrade-scanner` on PATH that records its arguments and exits with $FAKE_EXIT."""
    script = tmp_path / "bin" / "upgrade-scanner"
    script.parent.mkdir()
    script.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$@" > "$FAKE_DIR/args"\n'
        'if [ "$FAKE_EXIT" = hang ]; then\n'
        "  trap 'echo term > \"$FAKE_DIR/term\"; exit 143' TERM\n"
        '  touch "$FAKE_DIR/started"\n'
        "  i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done\n"  # dies by itself
        "fi\n"
        'exit "$FAKE_EXIT"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return tmp_path


def run_wrapper(fake_dir: Path, exit_code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FAKE_DIR": str(fake_dir), "FAKE_EXIT": exit_code}
    env["PATH"] = f"{fake_dir / 'bin'}{os.pathsep}{env['PATH']}"
    argv = container()["command"] + container()["args"]
    return subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(
    ("scanner_code", "job_code"), [(0, 0), (1, 0), (3, 0), (2, 2), (4, 4), (130, 130)]
)
def test_wrapper_passes_verdicts_and_fails_on_errors(
    fake_scanner: Path, scanner_code: int, job_code: int
) -> None:
    """A verdict (0 READY, 1 NOT_READY, 3 INCOMPLETE) is a successful Job; errors fail it."""
    process = run_wrapper(fake_scanner, str(scanner_code))
    _, err = process.communicate(timeout=30)
    assert process.returncode == job_code
    assert f"exited with code {scanner_code}" in err
    args = (fake_scanner / "args").read_text(encoding="utf-8").splitlines()
    assert args == container()["args"]


def test_wrapper_forwards_sigterm(fake_scanner: Path) -> None:
    process = run_wrapper(fake_scanner, "hang")
    deadline = time.monotonic() + 20
    while not (fake_scanner / "started").exists():
        assert time.monotonic() < deadline and process.poll() is None, "scanner never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=20)
    finally:
        process.kill()
    assert (fake_scanner / "term").exists()
    assert process.returncode == 143


# --- the image ---------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    pairs = [line.strip().split(None, 1) for line in joined.splitlines() if line.strip()]
    return [(pair[0].upper(), pair[1]) for pair in pairs]


def setup_cfg() -> configparser.ConfigParser:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    return setup


def instructions(name: str) -> list[str]:
    return [args for instruction, args in dockerfile() if instruction == name]


def test_dockerfile_base_user_and_entrypoint() -> None:
    assert instructions("FROM") == ["python:3.11-slim"]
    assert any("pip install --no-cache-dir ." in run for run in instructions("RUN"))
    user = instructions("USER")[-1]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, "numeric, so runAsNonRoot can verify it"
    assert int(uid) == UID and int(gid or uid) == pod_spec()["securityContext"]["runAsGroup"]
    order = [instruction for instruction, _ in dockerfile()]
    assert order.index("USER") > max(i for i, name in enumerate(order) if name == "RUN")
    assert json.loads(instructions("ENTRYPOINT")[0]) == ["upgrade-scanner"]
    assert json.loads(instructions("CMD")[0]) == ["--help"]
    assert "upgrade-scanner = " in setup_cfg()["options.entry_points"]["console_scripts"]


def test_dockerfile_copies_what_pip_install_reads() -> None:
    copied = [src for args in instructions("COPY") for src in args.split()[:-1]]
    setup = setup_cfg()
    options = setup["options"]
    package_dir = dict(
        line.replace(" ", "").split("=") for line in options["package_dir"].split("\n") if line
    )
    needed = {"setup.cfg", "pyproject.toml", setup["metadata"]["long_description"][5:].strip()}
    for package in options["packages"].split():
        needed.add(package_dir.get(package, package.replace(".", "/")).split("/")[0])
    assert needed <= set(copied)
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore, "an allow-list: .venv and .git stay out of the build context"
    for src in copied:
        assert (ROOT / src).exists()
        assert f"!{src}" in ignore or f"!{src}/" in ignore, f"{src} is ignored by the build"


def test_image_tag_is_the_package_version() -> None:
    assert container()["image"].rsplit(":", 1)[1] == scanner.__version__
