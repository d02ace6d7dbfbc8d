"""Inventory files: kinds and owners per context name or glob."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.errors import InventoryError
from scanner.inputs.inventory import Inventory, InventoryEntry, load_inventory

FIXTURE = Path(__file__).parent.parent / "fixtures" / "inventory" / "fleet.yaml"


def test_fixture_lookup_exact_before_globs_in_file_order() -> None:
    inventory = load_inventory(str(FIXTURE))
    assert inventory.lookup("global") == InventoryEntry(
        "global", "ipi", "Global (prod)", "platform-team"
    )
    # "eks-dev" is both exact and a glob match: the exact entry wins, though "eks-*" is first.
    dev = inventory.lookup("eks-dev")
    assert dev is not None and dev.display_name == "EKS sandbox"
    # "eks-prod" matches "eks-*" and "*-prod": the first glob in the file wins.
    prod = inventory.lookup("eks-prod")
    assert prod is not None and (prod.pattern, prod.owner) == ("eks-*", "cloud-team")
    gke = inventory.lookup("gke-prod")
    assert gke is not None and gke.kind == "upi"
    assert inventory.lookup("on-prem") is None


def test_json_inventory(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"contexts": {"c[12]": {"kind": "hosted", "notes": "HCP"}}}))
    inventory = load_inventory(str(path))
    assert inventory.lookup("c1") == InventoryEntry("c[12]", "hosted", notes="HCP")
    assert inventory.lookup("c3") is None


def test_glob_characters_in_an_exact_name_still_match_exactly(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("contexts:\n  'odd[1]': {kind: upi}\n  ctx-without-body:\n")
    inventory = load_inventory(str(path))
    assert inventory.lookup("odd[1]") == InventoryEntry("odd[1]", "upi")
    assert inventory.lookup("ctx-without-body") == InventoryEntry("ctx-without-body")


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "contexts:\n", "contexts: {}\n"])
def test_empty_inventory(tmp_path: Path, text: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    assert load_inventory(str(path)) == Inventory(str(path))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("contexts:\n  a: {onwer: me}\n",
         "contexts.\"a\": unknown key 'onwer' (expected kind, display_name, owner, notes, "
         "platform_name or wave; did you mean 'owner'?)"),
        ("contexts:\n  a: {colour: red}\n",
         "contexts.\"a\": unknown key 'colour' (expected kind, display_name, owner, notes, "
         "platform_name or wave)"),
        ("context:\n  a: {kind: ipi}\n",
         "unknown key 'context' (expected contexts; did you mean 'contexts'?)"),
        ("contexts:\n  a: {kind: IPI}\n",
         "contexts.\"a\".kind: unknown kind 'IPI' (expected ipi, upi, hosted, third-party or "
         "unknown; did you mean 'ipi'?)"),
        ("contexts:\n  a: {kind: third_party}\n",
         "contexts.\"a\".kind: unknown kind 'third_party' (expected ipi, upi, hosted, "
         "third-party or unknown; did you mean 'third-party'?)"),
        ("contexts:\n  a: {owner: 42}\n",
         'contexts."a".owner: expected a string, got the number 42'),
        ("contexts:\n  a: ipi\n",
         'contexts."a": must be a mapping with keys kind, display_name, owner, notes, '
         "platform_name, wave"),
        ('contexts:\n  "a*": {platform_name: a}\n',
         'contexts."a*".platform_name: names one cluster, so it needs an exact context name'),
        ("contexts:\n- a\n",
         "contexts: must be a mapping of context name or glob to an entry"),
        ("contexts:\n  1: {kind: ipi}\n",
         "contexts.1: a context name must be a non-empty string"),
        ("- a\n", "top level: must be a mapping with a 'contexts' key"),
    ],
)  # fmt: skip
def test_invalid_inventory_messages(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(InventoryError) as err:
        load_inventory(str(path))
    fix = "fix the file or pass another with --inventory"
    assert str(err.value) == f"inventory {path}: {problem}; {fix}"


def test_unreadable_inventory_messages(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as err:
        load_inventory(str(tmp_path / "nope.yaml"))
    assert str(err.value) == f"inventory {tmp_path / 'nope.yaml'}: no such file; check the path"
    bad = tmp_path / "bad.yaml"
    bad.write_text("contexts: {a: [\n")
    with pytest.raises(InventoryError) as err:
        load_inventory(str(bad))
    assert str(err.value) == (
        f"inventory {bad}: not valid YAML (line 2, column 1: did not find expected node "
        "content); fix the file or pass another with --inventory"
    )
