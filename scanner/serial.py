"""Frozen dataclasses to and from JSON-like dicts, driven by their fields.

One helper instead of a hand-written ``to_dict``/``from_dict`` pair per class (lightkube's
``DataclassDictMixIn`` is the model): a field added to a class is written, read back and
redacted without anyone remembering to add it anywhere else.

- A field's JSON key is its name, unless ``metadata=json_key("from")`` says otherwise;
  ``metadata=SKIP`` leaves a field out (it is derived, or not part of the report).
- ``metadata=codec(dump, load)`` converts a field whose JSON form is not its Python form.
- Values are converted by their declared type: enums by value, nested :class:`Serial`
  classes and anything with ``to_dict``/``from_dict``, ``tuple[X, ...]`` as lists,
  ``Mapping[str, X]`` as objects, ``X | None``.
- Reading is strict about shapes (a list where a list is declared, a string where a string
  is) and lenient about absence: a missing key, or ``null`` for a field with a default, is
  the default, so reports from before a field existed still load. A shape problem raises
  :class:`SerialError` naming the key path (``clusters[3].findings[0].severity``).
- Class hooks: ``json_extra(self)`` adds derived keys when writing (``pre_release``,
  ``summary``); ``json_upgrade(cls, data)`` fills what older documents lack before reading;
  ``json_order`` orders the keys written.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

_S = TypeVar("_S", bound="Serial")
_KEY = "json"  # field metadata: the JSON key, or None to leave the field out
_CODEC = "codec"  # field metadata: (dump, load) for a field whose JSON form differs
SKIP: Mapping[str, Any] = types.MappingProxyType({_KEY: None})


def json_key(name: str) -> dict[str, Any]:
    return {_KEY: name}


def codec(
    dump: Callable[[Any], Any], load: Callable[[Any], Any] | None = None, **more: Any
) -> dict[str, Any]:
    """Field metadata: how the field is written (``dump``) and read (``load``; None: by its
    declared type, as any field)."""
    return {_CODEC: (dump, load), **more}


class SerialError(ValueError):
    """A document whose shape does not fit the class: ``path`` says where."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or 'top level'}: {problem}")
        self.path, self.problem = path, problem


class Serial:
    """Mix-in for frozen dataclasses: ``to_dict()`` and ``from_dict()`` by their fields."""

    json_order: ClassVar[tuple[str, ...]] = ()

    def json_extra(self) -> dict[str, Any]:
        return {}

    @classmethod
    def json_upgrade(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return data

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in _fields(type(self)):
            if spec.key is not None:
                value = getattr(self, spec.name)
                data[spec.key] = spec.dump(value) if spec.dump else dump(value)
        data.update(self.json_extra())
        if self.json_order:
            ordered = {key: data[key] for key in self.json_order if key in data}
            data = {**ordered, **data}
        return data

    @classmethod
    def from_dict(cls: type[_S], data: Any, path: str = "") -> _S:
        if not isinstance(data, Mapping):
            raise SerialError(path, f"expected an object, got {describe(data)}")
        data = cls.json_upgrade(data)
        values: dict[str, Any] = {}
        for spec in _fields(cls):
            if spec.key is None or spec.key not in data:
                continue  # the field's default (a required one fails below)
            raw = data[spec.key]
            where = f"{path}.{spec.key}" if path else spec.key
            if raw is None and spec.has_default and not spec.optional:
                continue  # null for a defaulted field: the default, as older reports wrote
            values[spec.name] = spec.load(raw) if spec.load else load(spec.hint, raw, where)
        missing = [s.key for s in _fields(cls) if s.required and s.name not in values]
        if missing:
            raise SerialError(path, f"missing key {missing[0]!r}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise SerialError(path, str(exc)) from None


def dump(value: Any) -> Any:
    """A value in its JSON form."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(key): dump(item) for key, item in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [dump(item) for item in value]
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def load(hint: Any, raw: Any, path: str) -> Any:
    """``raw`` (parsed JSON) as the declared type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if raw is None and type(None) in args:
            return None
        kinds = [a for a in args if a is not type(None)]
        return load(kinds[0], raw, path) if len(kinds) == 1 else raw
    if hint is Any:
        return raw
    if origin is tuple:
        items = _expect(raw, list, "a list", path)
        return tuple(load(args[0], item, f"{path}[{i}]") for i, item in enumerate(items))
    if origin in (dict, Mapping, typing.Mapping) or hint in (dict, Mapping):
        mapping = _expect(raw, Mapping, "an object", path)
        kind = args[1] if len(args) == 2 else Any
        return {str(k): load(kind, v, f"{path}.{k}") for k, v in mapping.items()}
    if isinstance(hint, type):
        return _load_class(hint, raw, path)
    return raw


def _load_class(hint: type, raw: Any, path: str) -> Any:
    if issubclass(hint, enum.Enum):
        try:
            return hint(raw)
        except ValueError:
            allowed = ", ".join(str(member.value) for member in hint)
            raise SerialError(path, f"expected one of {allowed}, got {describe(raw)}") from None
    if issubclass(hint, Serial):
        return hint.from_dict(raw, path)
    if hasattr(hint, "from_dict"):
        _expect(raw, Mapping, "an object", path)
        try:
            return hint.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise SerialError(path, f"{type(exc).__name__}: {exc}") from None
    if hint is bool:
        return _expect(raw, bool, "true or false", path)
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise SerialError(path, f"expected a whole number, got {describe(raw)}")
        return raw
    if hint is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise SerialError(path, f"expected a number, got {describe(raw)}")
        return float(raw)
    if hint is str:
        return _expect(raw, str, "a string", path)
    return raw


def _expect(raw: Any, kind: Any, label: str, path: str) -> Any:
    if not isinstance(raw, kind):
        raise SerialError(path, f"expected {label}, got {describe(raw)}")
    return raw


def describe(
    value: Any, *, null: str = "null", mapping: str = "an object", clip: int | None = 40
) -> str:
    """What a value is, for a message: JSON's words by default (a YAML file's reader passes
    its own), and never more than ``clip`` characters of a string."""
    if value is None:
        return null
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        if clip is not None and len(value) > clip:
            return f"the string {value[:clip]!r}…"
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return mapping
    return f"a {type(value).__name__}"


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    key: str | None
    hint: Any
    has_default: bool
    dump: Callable[[Any], Any] | None
    load: Callable[[Any], Any] | None

    @property
    def optional(self) -> bool:
        return type(None) in typing.get_args(self.hint)

    @property
    def required(self) -> bool:
        return self.key is not None and not self.has_default


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _fields(cls: type) -> tuple[_Field, ...]:
    """The fields of a class with their JSON keys and types, worked out once per class."""
    cached = _FIELDS.get(cls)
    if cached is None:
        cached = _FIELDS[cls] = _read_fields(cls)
    return cached


def _read_fields(cls: type) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls)
    specs = []
    for item in dataclasses.fields(cls):
        has_default = (
            item.default is not dataclasses.MISSING
            or item.default_factory is not dataclasses.MISSING
        )
        dump_fn, load_fn = item.metadata.get(_CODEC, (None, None))
        key = item.metadata.get(_KEY, item.name)
        specs.append(_Field(item.name, key, hints[item.name], has_default, dump_fn, load_fn))
    return tuple(specs)
