"""Target selection: roles, globs, inventory, and contexts broken in the kubeconfig."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import pytest

from scanner.errors import UsageError
from scanner.inputs.inventory import load_inventory
from scanner.inputs.kubeconfig import Kubeconfig, load_kubeconfigs
from scanner.inputs.targets import Target, select_targets
from scanner.model import Role
from tests.kubeconfig_helpers import cluster, context, simple_kubeconfig, user, write_kubeconfig

FIXTURES = Path(__file__).parent.parent / "fixtures"
SECRET = "s3cr3t-never-shown"


def _load(path: Path) -> Kubeconfig:
    return load_kubeconfigs([str(path)], explicit=True)


def _select(
    config: Kubeconfig,
    global_context: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[Target]:
    return select_targets(
        config, global_context=global_context, include=include, exclude=exclude, inventory=None
    )


def _names(targets: list[Target]) -> list[str]:
    return [t.context for t in targets]


@pytest.fixture
def fleet(tmp_path: Path) -> Kubeconfig:
    names = ["w1", "global", "eks-a", "eks-b", "gke-a", "w2"]
    return _load(simple_kubeconfig(tmp_path / "config", names, current="global"))


def test_global_first_then_workloads_in_kubeconfig_order(fleet: Kubeconfig) -> None:
    targets = _select(fleet)
    assert _names(targets) == ["global", "w1", "eks-a", "eks-b", "gke-a", "w2"]
    assert [t.role for t in targets] == [Role.GLOBAL] + [Role.WORKLOAD] * 5
    assert targets[0].server == "https://global.example:6443"
    assert all(t.problem is None and t.kind == "unknown" for t in targets)


def test_explicit_global_context(fleet: Kubeconfig) -> None:
    assert _names(_select(fleet, "eks-a", include=["eks-*"])) == ["eks-a", "eks-b"]


def test_include_and_exclude_globs(fleet: Kubeconfig) -> None:
    chosen = _select(fleet, include=["eks-*", "w?"], exclude=["*-b"])
    assert _names(chosen) == ["global", "w1", "eks-a", "w2"]
    # Including the global by pattern does not duplicate it; globs are case-sensitive.
    assert _names(_select(fleet, include=["glob*", "gke-[a]"])) == ["global", "gke-a"]


def test_include_matching_nothing_names_the_pattern(fleet: Kubeconfig) -> None:
    with pytest.raises(UsageError) as err:
        _select(fleet, include=["eks-*", "gke-aa*"])
    assert str(err.value) == (
        '--context "gke-aa*" matches no context in the kubeconfig; did you mean "gke-a"?; '
        "available: w1, global, eks-a, eks-b, gke-a, w2"
    )


def test_excluding_the_global_is_refused(fleet: Kubeconfig) -> None:
    with pytest.raises(UsageError) as err:
        _select(fleet, exclude=["g*"])
    assert str(err.value) == (
        '--exclude "g*" matches the global context "global"; the global cluster is always '
        "scanned: narrow the pattern or pick another --global-context"
    )


def test_unknown_global_context_suggests_a_close_name(fleet: Kubeconfig) -> None:
    with pytest.raises(UsageError) as err:
        _select(fleet, "globl")
    assert str(err.value) == (
        '--global-context "globl": no such context in the kubeconfig; did you mean "global"?; '
        "available: w1, global, eks-a, eks-b, gke-a, w2"
    )


def test_no_current_context_lists_at_most_ten(tmp_path: Path) -> None:
    config = _load(simple_kubeconfig(tmp_path / "c", [f"ctx{i:02}" for i in range(13)]))
    with pytest.raises(UsageError) as err:
        _select(config)
    listed = ", ".join(f"ctx{i:02}" for i in range(10))
    assert str(err.value) == (
        "no global context: the kubeconfig has no current-context; pass --global-context NAME "
        f"(available: {listed} and 3 more)"
    )


def test_dangling_current_context(tmp_path: Path) -> None:
    config = _load(simple_kubeconfig(tmp_path / "c", ["a"], current="gone"))
    with pytest.raises(UsageError) as err:
        _select(config)
    assert str(err.value) == (
        'current-context "gone" is not a context in the kubeconfig; '
        "pass --global-context NAME (available: a)"
    )


def test_no_contexts_at_all(tmp_path: Path) -> None:
    config = load_kubeconfigs([str(tmp_path / "missing")], explicit=False)
    with pytest.raises(UsageError) as err:
        _select(config, "x")
    assert str(err.value) == (
        "the kubeconfig has no contexts (files read: none found); "
        "pass --kubeconfig FILE or set KUBECONFIG, then --global-context NAME"
    )


# --- problems ----------------------------------------------------------------------------


def _broken_fleet(tmp_path: Path) -> Kubeconfig:
    (tmp_path / "ca.crt").write_text("placeholder\n")
    exec_block = {"command": "p", "apiVersion": "client.authentication.k8s.io/v1"}
    return _load(
        write_kubeconfig(
            tmp_path / "config",
            clusters=[
                cluster("ok", "https://admin:" + SECRET + "@ok.example?token=" + SECRET,
                        certificate_authority="ca.crt", insecure_skip_tls_verify=True),
                cluster("noserver", ""),
                cluster("noca", certificate_authority="missing-ca.crt"),
                cluster("badca", certificate_authority_data=SECRET + "!"),
            ],
            users=[
                user("ok", token=SECRET),
                user("files", client_certificate="c.crt", client_key="c.key",
                     tokenFile="."),
                user("baddata", client_key_data=SECRET + "!", password=SECRET),
                user("gcp", **{"auth-provider": {"name": "gcp",
                                                 "config": {"access-token": SECRET}}}),
                user("exec", exec=exec_block),
            ],
            contexts=[
                context("good", "ok", "ok"),
                context("anonymous", "ok"),
                context("nocluster", "gone", "ok"),
                context("nouser", "ok", "ghost"),
                context("noserver", "noserver", "ok"),
                context("noca", "noca", "ok"),
                context("badca", "badca", "ok"),
                context("files", "ok", "files"),
                context("baddata", "ok", "baddata"),
                context("gcp", "ok", "gcp"),
                context("exec", "ok", "exec"),
            ],
            current="good",
        )
    )  # fmt: skip


def test_problems_per_case(tmp_path: Path) -> None:
    config = _broken_fleet(tmp_path)
    targets = {t.context: t for t in _select(config)}
    src = tmp_path / "config"
    cluster_at, user_at = 'cluster "{}" (in ' + f"{src})", 'user "{}" (in ' + f"{src})"
    assert {name: t.problem for name, t in targets.items()} == {
        "good": None,
        "anonymous": None,
        "nocluster": 'cluster "gone" is not in the kubeconfig',
        "nouser": 'user "ghost" is not in the kubeconfig',
        "noserver": f"{cluster_at.format('noserver')} has no server",
        "noca": f"{cluster_at.format('noca')}: certificate-authority "
        f"{tmp_path / 'missing-ca.crt'} does not exist",
        "badca": f"{cluster_at.format('badca')}: certificate-authority-data is not valid base64",
        "files": f"{user_at.format('files')}: client-certificate {tmp_path / 'c.crt'} does not "
        f"exist; {user_at.format('files')}: client-key {tmp_path / 'c.key'} does not exist; "
        f"{user_at.format('files')}: tokenFile {tmp_path} is not a file",
        "baddata": f"{user_at.format('baddata')}: client-key-data is not valid base64",
        "gcp": f'{user_at.format("gcp")} uses auth-provider "gcp", which is not supported; '
        "switch to an exec credential plugin (kubectl dropped built-in gcp/azure providers "
        "in 1.26)",
        "exec": f"{user_at.format('exec')}: exec has no interactiveMode",
    }
    assert targets["nocluster"].cluster is None and targets["nocluster"].server == ""
    assert targets["anonymous"].user is None


def test_server_is_display_safe_and_tls_flag_is_carried(tmp_path: Path) -> None:
    good = _select(_broken_fleet(tmp_path))[0]
    assert (good.server, good.insecure_skip_tls_verify) == ("https://ok.example", True)
    assert good.cluster is not None and good.user is not None and good.user.token == SECRET


def test_secrets_never_in_repr_or_problems(tmp_path: Path) -> None:
    targets = _select(_broken_fleet(tmp_path))
    for target in targets:
        assert SECRET not in repr(target)
        assert SECRET not in repr(target.cluster) and SECRET not in repr(target.user)
        assert SECRET not in (target.problem or "")
    assert base64.b64encode(SECRET.encode()).decode() not in repr(targets)


# --- inventory ---------------------------------------------------------------------------


def test_fixture_fleet_with_inventory() -> None:
    config = _load(FIXTURES / "kubeconfig" / "fleet.yaml")
    inventory = load_inventory(str(FIXTURES / "inventory" / "fleet.yaml"))
    targets = select_targets(
        config, global_context=None, include=[], exclude=["orphan"], inventory=inventory
    )
    summary = [(t.context, t.name, t.kind, t.owner, t.notes, t.problem is None) for t in targets]
    assert summary == [
        ("global", "Global (prod)", "ipi", "platform-team", "", True),
        ("eks-prod", "eks-prod", "third-party", "cloud-team", "", True),
        ("eks-dev", "EKS sandbox", "third-party", "", "recreated weekly", True),
        ("gke-prod", "gke-prod", "upi", "fallback", "", False),
        ("broken-ca", "broken-ca", "unknown", "", "", False),
    ]
    assert targets[2].insecure_skip_tls_verify
    assert targets[1].user is not None and targets[1].user.exec is not None
