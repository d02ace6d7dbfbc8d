"""Property tests: parsers of untrusted input raise only their own error, never crash.

Bounded example counts keep the file fast; ``derandomize`` makes a run repeatable, so a
failure seen in CI is seen locally too.
"""

from __future__ import annotations

import contextlib
import copy
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scanner.errors import (
    InventoryError,
    KubeconfigError,
    PolicyError,
    ScannerError,
    UsageError,
    VersionError,
)
from scanner.inputs.inventory import load_inventory
from scanner.inputs.kubeconfig import load_kubeconfigs
from scanner.inputs.policy import NOTE_KINDS, load_policy
from scanner.inputs.targets import select_targets
from scanner.listings import render_policy, render_targets
from scanner.model import CLUSTER_KINDS, Role, Severity
from scanner.versions import (
    KubeVersion,
    normalize_platform_version,
    parse_git_version,
    parse_minor,
    parse_release,
    parse_version_info,
)
from tests.builders import ctx

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # tmp_path: one file, rewritten per example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # encodable
VERSIONISH = st.from_regex(
    r"\A\s?[vV]?[0-9]{1,11}(\.[0-9]{0,11}){0,3}([-+][0-9A-Za-z.+-]{0,16})?\s?\Z"
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(),
    TEXT,
    st.sampled_from(["", "4.3", "4.10", "1.31", "v1.31", "1.19.0", "window", "latest", "ipi"]),
)
# JSON-like documents of any shape: what a careless or hostile file can hold.
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(TEXT, st.integers(0, 9), st.none()), inner, max_size=4)
    ),
    max_leaves=20,
)


def write(path: Path, doc: Any, as_json: bool) -> str:
    text = json.dumps(doc) if as_json else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- versions -------------------------------------------------------------------------------


@FUZZ
@given(st.one_of(TEXT, VERSIONISH, st.text(max_size=40)))
def test_parse_git_version_raises_only_version_error(text: str) -> None:
    try:
        version = parse_git_version(text)
    except VersionError:
        return
    assert version.major >= 1 and version.minor >= 0 and version.patch >= 0
    assert version.git_version == text.strip()
    assert parse_git_version(str(version)) == version
    assert KubeVersion.from_dict(version.to_dict()) == version
    assert isinstance(version.provider, str) and isinstance(version.pre_release, bool)


@FUZZ
@given(
    st.one_of(
        DOCUMENTS,
        st.dictionaries(
            st.sampled_from(["gitVersion", "major", "minor", "platform"]),
            st.one_of(SCALARS, VERSIONISH, st.from_regex(r"\A[0-9]{1,12}\+?\Z")),
        ),
    )
)
def test_parse_version_info_raises_only_version_error(info: Any) -> None:
    try:
        version = parse_version_info(info)
    except VersionError:
        return
    assert version.major >= 1 and version.minor >= 0


@FUZZ
@given(st.one_of(TEXT, VERSIONISH))
def test_policy_version_parsers_raise_only_version_error(text: str) -> None:
    for parse in (normalize_platform_version, parse_minor, parse_release):
        try:
            parsed = parse(text)
        except VersionError:
            continue
        if parse is normalize_platform_version:
            assert normalize_platform_version(str(parsed)) == parsed


# --- kubeconfig -----------------------------------------------------------------------------

# Tokens of YAML syntax and kubeconfig words. Date-like scalars and explicit !!int/!!float
# tags are left out: they crash PyYAML's constructors, which test_yaml_conversions_* covers.
YAML_TOKENS = st.sampled_from(
    [
        "apiVersion", "kind", "clusters", "users", "contexts", "current-context", "name",
        "cluster", "user", "context", "server", "namespace", "token", "tokenFile", "exec",
        "command", "args", "env", "value", "apiVersion: client.authentication.k8s.io/v1",
        "interactiveMode", "auth-provider", "certificate-authority-data", "client-key",
        "insecure-skip-tls-verify", "proxy-url", "https://x.example:6443",
        ": ", ":", "- ", "-", "[", "]", "{", "}", ", ", "\n", "  ", "    ", "'", '"', "# c",
        "---", "...", "~", "null", "true", "no", "0", "1.5", "0x1F", "&a ", "*a", "!!str ",
        "!!binary ", "<<: ", "|", ">", "\t", "? ", "%YAML 1.1\n", "é", "\\", "\x00", "\ufeff",
    ]
)  # fmt: skip
YAML_TEXT = st.lists(st.one_of(YAML_TOKENS, TEXT), max_size=40).map("".join)

# --- near misses: valid documents with a few things wrong -----------------------------------

JUNK = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), DOCUMENTS)
PLAUSIBLE = st.sampled_from(
    ["", "a", "global", "1.31", "4.3", "4.2", "window", "latest", "ipi", "docker", "aGVsbG8=",
     "https://a.example", ["1.31", "1.30"], ["4.2"], [], {}, None, 0, 3, True, "yes"]
)  # fmt: skip


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a document: the places a mutation can hit."""
    found: list[tuple[Any, Any]] = []
    keys = list(node) if isinstance(node, dict) else range(len(node))
    for key in keys:
        found.append((node, key))
        if isinstance(node[key], dict | list) and node[key]:
            found.extend(_slots(node[key]))
    return found


@st.composite
def broken(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A valid document with zero to three things wrong: a value replaced, a key dropped or
    misspelt. Most fuzzed files are then near misses, which reach the deepest checks."""
    doc = copy.deepcopy(draw(valid))
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3]))):
        slots = _slots(doc)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "replace", "delete", "typo"]))
        if action == "replace":
            container[key] = draw(st.one_of(PLAUSIBLE, JUNK, VERSIONISH))
        elif isinstance(container, dict) and action == "typo":
            typo = draw(st.sampled_from([f"{key}s", str(key)[:-1], str(key).upper(), "4.10"]))
            container[typo] = container.pop(key)
        else:
            del container[key]
    return doc


# --- kubeconfig documents --------------------------------------------------------------------

CONTEXT_NAMES = st.sampled_from(["global", "a", "b", "c"])
PATH = st.sampled_from(["ca.crt", "../pki/missing.crt", "/no/such/file", "/dev/null", "/"])
BASE64 = st.sampled_from(["aGVsbG8=", "aGVs\nbG8=", "not base64!"])
CLUSTER = st.fixed_dictionaries(
    {"server": st.sampled_from(["https://a.example:6443", "http://u:p@b/x?y#z", ""])},
    optional={
        "certificate-authority": PATH,
        "certificate-authority-data": BASE64,
        "insecure-skip-tls-verify": st.booleans(),
        "tls-server-name": TEXT,
        "proxy-url": st.just("http://proxy:3128"),
    },
)
EXEC = st.fixed_dictionaries(
    {
        "command": st.sampled_from(["aws", "./bin/get-token", ""]),
        "apiVersion": st.sampled_from(
            ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1", ""]
        ),
    },
    optional={
        "interactiveMode": st.sampled_from(["Never", "IfAvailable", "Sometimes"]),
        "args": st.lists(TEXT, max_size=3),
        "env": st.lists(st.fixed_dictionaries({"name": TEXT, "value": TEXT}), max_size=2),
        "provideClusterInfo": st.booleans(),
        "installHint": TEXT,
    },
)
USER = st.fixed_dictionaries(
    {},
    optional={
        "token": TEXT,
        "tokenFile": PATH,
        "client-certificate": PATH,
        "client-key-data": BASE64,
        "exec": EXEC,
        "auth-provider": st.fixed_dictionaries({"name": TEXT}),
    },
)
CONTEXT = st.fixed_dictionaries(
    {"cluster": CONTEXT_NAMES}, optional={"user": CONTEXT_NAMES, "namespace": TEXT}
)


def entries(key: str, body: st.SearchStrategy[Any], min_size: int = 0) -> st.SearchStrategy[Any]:
    entry = st.fixed_dictionaries({"name": CONTEXT_NAMES, key: body})
    return st.lists(entry, min_size=min_size, max_size=4, unique_by=lambda item: item["name"])


@st.composite
def kubeconfigs(draw: st.DrawFn) -> dict[str, Any]:
    """A kubeconfig that loads; its names may or may not point at each other."""
    contexts = draw(entries("context", CONTEXT, min_size=1))
    names = [entry["name"] for entry in contexts]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": draw(st.one_of(*[st.sampled_from(names)] * 3, CONTEXT_NAMES)),
        "clusters": draw(entries("cluster", CLUSTER)),
        "users": draw(entries("user", USER)),
        "contexts": contexts,
    }


KUBECONFIGS = broken(kubeconfigs())


def check_kubeconfig(path: str, global_context: str | None, patterns: list[str]) -> None:
    """Only KubeconfigError escapes the loader; a loaded file selects targets or says why not."""
    try:
        config = load_kubeconfigs([path], explicit=True)
    except KubeconfigError:
        event("kubeconfig refused")
        return
    try:
        targets = select_targets(
            config,
            global_context=global_context,
            include=patterns[:1],
            exclude=patterns[1:],
            inventory=None,
        )
    except UsageError:
        event("no targets (usage error)")
        return
    event("targets selected")
    event("a target has a problem" if any(t.problem for t in targets) else "all targets usable")
    assert targets[0].role is Role.GLOBAL
    assert all(t.role is Role.WORKLOAD for t in targets[1:])
    assert len({t.context for t in targets}) == len(targets)
    assert all(t.cluster is not None or t.problem for t in targets)  # broken is reported
    assert render_targets(targets).lstrip().startswith("CONTEXT")


GLOBS = st.lists(st.sampled_from(["*", "a*", "b", "global", "?", "[ab]", "nope"]), max_size=2)
PATTERNS = st.one_of(st.just([]), st.just([]), GLOBS)  # mostly the default selection


@FUZZ
@given(st.one_of(YAML_TEXT, st.text(max_size=200)), st.sampled_from([None, "a", "global"]))
def test_kubeconfig_text_raises_only_kubeconfig_error(
    tmp_path: Path, text: str, global_context: str | None
) -> None:
    path = tmp_path / "kubeconfig.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_kubeconfig(str(path), global_context, [])


@FUZZ
@given(st.binary(max_size=300))
def test_kubeconfig_bytes_raise_only_kubeconfig_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "kubeconfig.yaml"
    path.write_bytes(data)
    check_kubeconfig(str(path), None, [])


@FUZZ
@given(
    st.one_of(KUBECONFIGS, KUBECONFIGS, DOCUMENTS),
    st.booleans(),
    st.sampled_from([None, None, None, "a", "global"]),
    PATTERNS,
)
def test_kubeconfig_documents_raise_only_kubeconfig_error(
    tmp_path: Path, doc: Any, as_json: bool, global_context: str | None, patterns: list[str]
) -> None:
    check_kubeconfig(write(tmp_path / "kubeconfig.yaml", doc, as_json), global_context, patterns)


# Scalars PyYAML itself fails to convert: date-like values, explicit tags on the wrong text.
CONVERSIONS = st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\Z"),
    st.builds(
        "{}{}".format,
        st.sampled_from(["!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!str ", ""]),
        st.sampled_from(["abc", "_", "0x", "0b2", "1:2:x", "99999-01-01", "1", "true"]),
    ),
)


@FUZZ
@given(CONVERSIONS)
def test_yaml_conversions_raise_only_input_errors(tmp_path: Path, scalar: str) -> None:
    path = tmp_path / "any.yaml"
    path.write_text(f"current-context: {scalar}\ncontexts:\n  x: {{notes: {scalar}}}\n")
    with contextlib.suppress(KubeconfigError):
        load_kubeconfigs([str(path)], explicit=True)
    with contextlib.suppress(InventoryError):
        load_inventory(str(path))
    with contextlib.suppress(PolicyError):
        load_policy(str(path))


# --- inventory ------------------------------------------------------------------------------

INVENTORY_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(CLUSTER_KINDS),
        "display_name": TEXT,
        "owner": TEXT,
        "notes": TEXT,
    },
)
INVENTORIES = broken(
    st.fixed_dictionaries(
        {
            "contexts": st.dictionaries(
                st.one_of(CONTEXT_NAMES, st.sampled_from(["eks-*", "*-prod", "[a", "?"]), TEXT),
                INVENTORY_ENTRY,
                max_size=4,
            )
        }
    )
)


@FUZZ
@given(st.one_of(INVENTORIES, INVENTORIES, DOCUMENTS, YAML_TEXT), st.booleans(), CONTEXT_NAMES)
def test_inventory_raises_only_inventory_error(
    tmp_path: Path, doc: Any, as_json: bool, context: str
) -> None:
    path = tmp_path / "inventory.yaml"
    if isinstance(doc, str):
        path.write_text(doc, encoding="utf-8")
    else:
        write(path, doc, as_json)
    try:
        inventory = load_inventory(str(path))
    except InventoryError:
        event("inventory refused")
        return
    event("inventory loaded")
    entry = inventory.lookup(context)
    assert entry is None or entry.kind in CLUSTER_KINDS


# --- policy ---------------------------------------------------------------------------------

BUNDLED = yaml.safe_load((files("scanner.data") / "policy.yaml").read_text(encoding="utf-8"))
MINORS = st.lists(
    st.builds("{}.{}".format, st.integers(1, 2), st.integers(0, 40)), max_size=4, unique=True
)
NOTES = st.lists(
    st.fixed_dictionaries(
        {
            "rule": st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,8}\Z"),
            "kind": st.sampled_from(NOTE_KINDS),
            "severity": st.sampled_from([severity.value for severity in Severity]),
            "message": TEXT.filter(str.strip),
        }
    ),
    max_size=2,
    unique_by=lambda note: note["rule"],
)


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid policy of random releases, rules and upgrade graph (cycles included)."""
    versions = draw(
        st.lists(st.builds("{}.{}".format, st.integers(1, 9), st.integers(0, 12)),
                 min_size=1, max_size=5, unique=True)
    )  # fmt: skip
    minors = {version: draw(MINORS) for version in versions}
    releases: dict[str, Any] = {}
    for version in versions:
        release: dict[str, Any] = {"compatible_minors": minors[version]}
        rule = draw(st.sampled_from([None, "window", "latest"])) if minors[version] else None
        sources = draw(st.lists(st.sampled_from(versions), max_size=3, unique=True))
        sources = [s for s in sources if s != version and (rule != "latest" or minors[s])]
        release.update(rule=rule, upgrade_from=sources, notes=draw(NOTES))
        low, high = sorted(draw(st.lists(st.integers(0, 40), min_size=2, max_size=2, unique=True)))
        if draw(st.booleans()):
            release["onboarding"] = {"min": f"1.{low}.0", "max": f"1.{high}.0"}
        releases[version] = release
    skew = {"max_minors_behind": 3, "max_minors_behind_old": 2, "old_kubelet_before": "1.25"}
    return {"id": "fuzz", "source": "hypothesis", "skew": skew, "releases": releases}


@FUZZ
@given(
    st.one_of(policies(), broken(policies()), broken(st.just(BUNDLED)), DOCUMENTS, YAML_TEXT),
    st.booleans(),
)
def test_policy_raises_only_policy_error(tmp_path: Path, doc: Any, as_json: bool) -> None:
    path = tmp_path / "policy.yaml"
    if isinstance(doc, str):
        path.write_text(doc, encoding="utf-8")
    else:
        write(path, doc, as_json)
    try:
        policy = load_policy(str(path))
    except PolicyError:
        event("policy refused")
        return
    event("policy loaded")
    # A policy that loads can be shown, routed and used as a scan target without a crash.
    versions = policy.known_versions
    assert render_policy(policy).startswith("policy ")
    for version in versions:
        render_policy(policy, policy.release(version))
        for source in (None, *versions):
            with contextlib.suppress(ScannerError):
                ctx(version, source, policy)
            if source is not None:
                route = policy.upgrade_route(source, version)
                assert route is None or (route[0], route[-1]) == (source, version)
