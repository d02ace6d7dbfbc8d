"""Everything platform discovery learned from the global cluster, as one :class:`Discovery`
made of the answers of its reads (:func:`parse_discovery`). Plain data, no I/O.

Everything is optional: an API the global cluster does not serve, or that RBAC forbids, is a
note, and a collection that could not be read is ``None`` (never "none found"), so the
reports say "not read" and no rule treats it as a pass. PLATFORM.md (beside the
specification) says which facts are confirmed; the parsing is lenient where they are not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scanner.kube.documents import clip, items
from scanner.kube.errors import FetchError
from scanner.model import (
    CurrentSource,
    ErrorCategory,
    EtcdBackup,
    Extension,
    Gate,
    Preflight,
    UpgradeController,
)
from scanner.platform.addons import ClusterModuleState, read_cluster_modules, read_module_infos
from scanner.platform.catalogue import (
    ADMIN_ACKS,
    ADMIN_GATES,
    CAPI,
    CLUSTERMODULE_LIST,
    CONFIG_MAPS,
    CSR_LIST,
    CVO_CONFIG,
    ETCD_BACKUP,
    GLOBAL_NAME,
    KAMAJI,
    MODULEINFO_LIST,
    PRODUCTBASE,
    READS,
    SHADOW_LIST,
    TKESTACK,
    Read,
)
from scanner.platform.clusters import ClusterRecord, merge_records
from scanner.platform.health import pending_csrs, read_etcd_backup
from scanner.platform.upgrade import disabled_checks, productbase_version, read_gates, read_shadows

log = logging.getLogger(__name__)
_Entry = TypeVar("_Entry")
RBAC = "deploy/rbac.yaml"


@dataclass(frozen=True)
class Discovery:
    """Everything discovery learned; ``read`` holds the keys of the reads that answered."""

    records: tuple[ClusterRecord, ...] = ()
    current_version: str | None = None
    current_version_source: CurrentSource | None = None
    preflight: Preflight | None = None  # the global cluster's (its shadow's) preflight
    notes: tuple[str, ...] = ()
    read: frozenset[str] = field(default_factory=frozenset)
    duration_seconds: float = 0.0
    controllers: Mapping[str, UpgradeController] = field(default_factory=dict)  # by cluster
    extensions: Mapping[str, tuple[Extension, ...]] | None = None  # by cluster
    cluster_modules: Mapping[str, ClusterModuleState] | None = None  # by cluster
    disabled_checks: tuple[str, ...] | None = None
    gates: tuple[Gate, ...] | None = None  # acknowledged set from admin-acks
    etcd_backup: EtcdBackup | None = None  # etcd-backup-default; None: not read
    etcd_backup_problem: str = ""  # why it was not read (a manual check names it)
    pending_csrs: int | None = None  # certificate requests neither approved nor denied
    # Reads that were answered but could not be made sense of (a document nested too deep,
    # not JSON, a shape no parser expects): read key -> why. Never a pass: a rule says so.
    unreadable: Mapping[str, str] = field(default_factory=dict)

    @property
    def registry_read(self) -> bool:
        """Whether a list of the platform's clusters was read, so absence means something."""
        return TKESTACK.key in self.read or CAPI.key in self.read

    @property
    def shadows_read(self) -> bool:
        return SHADOW_LIST.key in self.read

    def record(self, name: str) -> ClusterRecord | None:
        return next((r for r in self.records if r.name == name), None)

    def why_no_current(self) -> str:
        """The note that says why the shadows gave no current version, if one does."""
        shadow = [note for note in self.notes if note.startswith(SHADOW_LIST.label)]
        return shadow[0] if shadow else "; ".join(self.notes[:1])


def skipped(reason: str) -> Discovery:
    return Discovery(notes=(f"platform discovery skipped: {reason}",))


def of_cluster(
    table: Mapping[str, _Entry] | None, record: ClusterRecord | None, is_global: bool
) -> _Entry | None:
    """One cluster's entry of a per-cluster table (shadows, extensions, cluster modules): by
    its record's name; the global cluster's objects are named ``global`` whatever its
    record (if any) is called."""
    if table is None:
        return None
    found = table.get(record.name) if record is not None else None
    if found is None and is_global:
        found = table.get(GLOBAL_NAME)
    return found


def parse_discovery(
    answers: Mapping[str, Any],
    duration_seconds: float = 0.0,
    reads: Sequence[Read] = READS,
    notes: Sequence[str] = (),
) -> Discovery:
    """``answers`` maps a :class:`Read` key to its items (a list), its object (a mapping) or
    the :class:`FetchError` that read ended with; a missing key was not answered in time.
    ``reads`` are the reads that were made (API discovery may have left some out: ``notes``
    say why)."""
    doc = _Documents(answers, reads, [*notes, *_read_notes(answers, reads)])
    no_controllers: dict[str, UpgradeController] = {}
    controllers = doc.parsed(
        SHADOW_LIST, lambda: read_shadows(items(answers.get(SHADOW_LIST.key))), no_controllers
    )
    current, source = _current(answers, doc.read, controllers, doc.notes)
    no_records: tuple[ClusterRecord, ...] = ()
    records = doc.parsed(
        TKESTACK,
        lambda: merge_records(*(items(answers.get(r.key)) for r in (TKESTACK, CAPI, KAMAJI))),
        no_records,
    )
    own = controllers.get(GLOBAL_NAME)
    names = [record.name for record in records] + list(controllers)
    gates = None
    if ADMIN_GATES.key in doc.read and ADMIN_ACKS.key in doc.read:
        gates = doc.parsed(
            ADMIN_GATES,
            lambda: read_gates(
                _object(answers.get(ADMIN_GATES.key)), _object(answers.get(ADMIN_ACKS.key))
            ),
            None,
        )
    etcd_backup = doc.object_if_read(ETCD_BACKUP, read_etcd_backup)
    etcd_problem = _problem(answers, reads, ETCD_BACKUP) or doc.unreadable.get(ETCD_BACKUP.key, "")
    return Discovery(
        records=records,
        current_version=current,
        current_version_source=source,
        preflight=own.preflight if own else None,
        notes=tuple(doc.notes),
        read=doc.read,
        duration_seconds=duration_seconds,
        controllers=controllers,
        extensions=doc.if_read(MODULEINFO_LIST, lambda a: read_module_infos(a, names)),
        cluster_modules=doc.if_read(CLUSTERMODULE_LIST, read_cluster_modules),
        disabled_checks=doc.object_if_read(CVO_CONFIG, disabled_checks),
        gates=gates,
        etcd_backup=etcd_backup,
        etcd_backup_problem=etcd_problem,
        pending_csrs=doc.if_read(CSR_LIST, pending_csrs),
        unreadable=dict(doc.unreadable),
    )


class _Documents:
    """The answers of one discovery, parsed one document at a time: a document that was
    answered but cannot be read (not JSON, nested too deep, a shape no parser expects, a
    bug) costs that document only, recorded as unreadable with a note; everything else read
    stays."""

    def __init__(self, answers: Mapping[str, Any], reads: Sequence[Read], notes: list[str]):
        self.answers, self.notes = answers, notes
        self.unreadable = {
            r.key: answer.message
            for r in reads
            if isinstance(answer := answers.get(r.key), FetchError)
            and answer.category is ErrorCategory.INVALID_RESPONSE
        }
        read = frozenset(
            r.key
            for r in reads
            if r.key in answers
            and (not _failed(answers[r.key]) or _absent_is_empty(r, answers[r.key]))
        )
        # No platform API answered: ConfigMaps that do not exist say nothing.
        self.read = read if read - {r.key for r in CONFIG_MAPS} else frozenset()

    def parsed(self, r: Read, parse: Callable[[], _Entry], empty: _Entry) -> _Entry:
        try:
            return parse()
        except Exception as exc:  # any failure of one document is its own
            log.debug("parsing %s failed", r.key, exc_info=True)
            self.unreadable[r.key] = f"could not be parsed ({type(exc).__name__}: {clip(exc)})"
            self.notes.append(f"{r.label}: answered, but {self.unreadable[r.key]}")
            return empty

    def if_read(self, r: Read, parse: Callable[[Any], _Entry]) -> _Entry | None:
        if r.key not in self.read:
            return None
        return self.parsed(r, lambda: parse(items(self.answers.get(r.key))), None)

    def object_if_read(self, r: Read, parse: Callable[[Mapping[str, Any] | None], _Entry]) -> Any:
        if r.key not in self.read:
            return None
        return self.parsed(r, lambda: parse(_object(self.answers.get(r.key))), None)


def _read_notes(answers: Mapping[str, Any], reads: Sequence[Read]) -> list[str]:
    notes = []
    for r in reads:
        answer = answers.get(r.key)
        if answer is None:
            notes.append(f"{r.label}: no answer before the scan's deadline")
        elif isinstance(answer, FetchError) and not _absent_is_empty(r, answer):
            notes.append(read_note(r, answer))
    return notes


def _current(
    answers: Mapping[str, Any],
    read: frozenset[str],
    controllers: Mapping[str, UpgradeController],
    notes: list[str],
) -> tuple[str | None, CurrentSource | None]:
    """The global shadow's ``status.current``, else ProductBase ``base``'s version."""
    own = controllers.get(GLOBAL_NAME)
    if own is not None and own.current:
        return own.current, CurrentSource.GLOBAL_CLUSTER
    if SHADOW_LIST.key in read and own is None:
        notes.append(f"{SHADOW_LIST.label}: no shadow named global")
    elif own is not None:
        notes.append(f"{SHADOW_LIST.label}: global: status.current has no version")
    base = answers.get(PRODUCTBASE.key)
    version = productbase_version(base if isinstance(base, Mapping) else None)
    if version:
        return version, CurrentSource.PRODUCTBASE
    if PRODUCTBASE.key in read:
        notes.append(f"{PRODUCTBASE.label}: status.version has no version")
    return None, None


def _problem(answers: Mapping[str, Any], reads: Sequence[Read], r: Read) -> str:
    """Why a read gave nothing to judge: not made, not answered, or its error."""
    if r not in reads:
        return f"{r.label}: not read (API discovery left it out)"
    answer = answers.get(r.key)
    if answer is None:
        return f"{r.label}: no answer before the scan's deadline"
    return read_note(r, answer) if isinstance(answer, FetchError) else ""


def _absent_is_empty(r: Read, answer: Any) -> bool:
    """A ConfigMap that does not exist (404) is an empty one: no check disabled, no gate, no
    acknowledgement. A forbidden one is not read."""
    return r in CONFIG_MAPS and isinstance(answer, FetchError) and answer.not_found


def _object(answer: Any) -> Mapping[str, Any] | None:
    return answer if isinstance(answer, Mapping) else None


def _failed(answer: Any) -> bool:
    return answer is None or isinstance(answer, FetchError)


def read_note(r: Read, error: FetchError) -> str:
    """One line saying why a read failed, and what to do about it."""
    if error.not_found:
        what = "API not installed, or no such object" if r.name else "API not installed"
        return f"{r.label}: not found on the global cluster (HTTP 404, {what})"
    if error.category.value == "auth":
        return (
            f"{r.label}: not readable ({clip(error.message)}); grant the scanning user "
            f"the read permissions in {RBAC}"
        )
    return f"{r.label}: not read ({error.category.value}: {clip(error.message)})"
