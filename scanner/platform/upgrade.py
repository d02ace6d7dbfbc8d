"""The platform's upgrade state on the global cluster: the ClusterVersionShadows (one per
cluster, named after it), the ProductBase ``base`` (the current version on 4.0-4.2), the
checks disabled in ``cvo-config`` and the admin gates with their acknowledgements. Plain
data, no I/O.

- ``clusterversionshadows`` in ``cpaas-system`` (group found by API discovery; assumed
  ``config.alauda.io/v1``): ``status.current`` and ``status.desired`` (a version string, or
  an object with ``version``), ``status.conditions``, ``status.preflight`` (``observedAt``,
  ``checks[]``), ``status.history[0]``. The one named ``global`` gives the current version.
- ConfigMaps ``cvo-config`` (``data.preflight``: YAML with a ``disabled:`` list),
  ``admin-gates`` (every key a gate) and ``admin-acks`` (``<key>: "true"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.kube.documents import clip, conditions_of, dig, listed, text
from scanner.model import (
    Gate,
    HistoryEntry,
    Preflight,
    PreflightCheck,
    UpgradeController,
)

CONFIG_LIMIT = 64 << 10  # characters of a ConfigMap value parsed; a longer one is unreadable
# Every check, condition and gate read is kept and judged (a cap here could drop a blocker):
# the size of what is read is bounded by the reader's body and item limits, and reports cap
# only what they show.


def read_shadows(found: Sequence[Mapping[str, Any]]) -> dict[str, UpgradeController]:
    """One :class:`UpgradeController` per ClusterVersionShadow, by name (= the cluster's)."""
    by_name: dict[str, UpgradeController] = {}
    for item in found:
        meta = dig(item, "metadata")
        name = text(meta.get("name"))
        if name and name not in by_name:
            by_name[name] = read_shadow(item, f"{text(meta.get('namespace'))}/{name}")
    return by_name


def read_shadow(shadow: Mapping[str, Any] | None, ref: str = "") -> UpgradeController:
    """A shadow's current and desired versions, conditions, preflight and newest history."""
    status = dig(shadow, "status")
    desired = version_of(status.get("desired")) or version_of(
        dig(shadow, "spec", "desiredUpdate").get("version")
    )
    raw = dig(status, "preflight")
    checks = [_check(item) for item in listed(raw.get("checks")) if isinstance(item, dict)]
    observed = raw.get("observedAt")
    preflight = (
        Preflight(text(observed) or None, tuple(c for c in checks if c.name)) if checks else None
    )
    history = [item for item in listed(status.get("history")) if isinstance(item, dict)]
    newest = history[0] if history else None  # newest first, as OpenShift's twin
    return UpgradeController(
        shadow=ref,
        current=version_of(status.get("current")),
        desired=desired,
        conditions=conditions_of(status.get("conditions")),
        preflight=preflight,
        last_update=(
            HistoryEntry(
                version=version_of(newest.get("version")) or "",
                state=text(newest.get("state")),
                started=text(newest.get("startedTime")),
                completed=text(newest.get("completionTime")),
            )
            if newest
            else None
        ),
    )


def _check(item: Mapping[str, Any]) -> PreflightCheck:
    return PreflightCheck(
        name=text(item.get("name")),
        policy=text(item.get("policy")),
        state=text(item.get("state")),
        reason=text(item.get("reason")),
        message=text(item.get("message")),
    )


def version_of(value: Any) -> str | None:
    """A version string, or the ``version`` of an object (the schema leaves both open)."""
    if isinstance(value, Mapping):
        value = value.get("version")
    return clip(value).strip() or None if isinstance(value, str) else None


def productbase_version(base: Mapping[str, Any] | None) -> str | None:
    """ProductBase ``base`` ``status.version`` (the format is assumed ``v4.2.3``)."""
    return version_of(dig(base, "status").get("version"))


def disabled_checks(config_map: Mapping[str, Any] | None) -> tuple[str, ...]:
    """``data.preflight`` of ``cpaas-system/cvo-config``: YAML with a ``disabled:`` list of
    check names. Absent or empty: nothing is disabled. Not parseable (not YAML, longer than
    ``CONFIG_LIMIT``, nested too deep, not a mapping): a ValueError, and discovery records
    the document as unreadable (a finding, never silence)."""
    value = dig(config_map, "data").get("preflight")
    if not isinstance(value, str) or not value.strip():
        return ()
    if len(value) > CONFIG_LIMIT:
        raise ValueError(f"data.preflight is {len(value)} characters, over {CONFIG_LIMIT}")
    from scanner.inputs.yamlfile import YamlProblem, parse_yaml

    try:
        document = parse_yaml(value)  # a nesting bound first: never a RecursionError
    except YamlProblem as exc:
        raise ValueError(f"data.preflight is not usable YAML{exc.with_position()}") from None
    if document is not None and not isinstance(document, dict):
        raise ValueError(f"data.preflight is a {type(document).__name__}, not a mapping")
    names = document.get("disabled") if isinstance(document, dict) else None
    return tuple(text(n) for n in listed(names) if isinstance(n, str) and n.strip())


def read_gates(gates: Mapping[str, Any] | None, acks: Mapping[str, Any] | None) -> tuple[Gate, ...]:
    """Every key of ``admin-gates`` ``data`` is a gate (its value, whatever its format, is
    shown as the description); ``admin-acks`` ``data.<key>: "true"`` acknowledges it."""
    acked = {
        str(key)
        for key, value in dig(acks, "data").items()
        if isinstance(value, str) and value.strip().lower() == "true"
    }
    return tuple(
        Gate(key=clip(key), description=text(value), acknowledged=str(key) in acked)
        for key, value in sorted(dig(gates, "data").items())
    )
