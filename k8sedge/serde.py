"""cattrs converters for the wire formats, built once and reused.

``structure`` turns JSON-shaped data into models and raises ``BadRequestError`` whose
``details`` name each bad field (``{"replicas": "expected an integer"}``); every backend
and the server use it, so the same bad input gives the same error everywhere.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from .errors import BadRequestError
from .quantity import Quantity
from .timeutil import format_timestamp, parse_timestamp

__all__ = ["converter", "make_converter", "structure", "unstructure"]

T = TypeVar("T")


class _FieldError(ValueError):
    """A leaf structuring failure with a human message."""


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise _FieldError(f"expected a string, got {_json_type(value)}")
    return value


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _FieldError(f"expected an integer, got {_json_type(value)}")
    return value


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(f"expected a number, got {_json_type(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise _FieldError("expected a finite number")
    return result


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(f"expected a boolean, got {_json_type(value)}")
    return value


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in cls)
        raise _FieldError(f"must be one of {allowed}, got {value!r}") from None


def _structure_quantity(value: Any, _: type) -> Quantity:
    try:
        return Quantity.coerce(value)
    except BadRequestError as exc:
        raise _FieldError(exc.message) from None


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise _FieldError(f"expected an RFC 3339 timestamp, got {_json_type(value)}")
    try:
        return parse_timestamp(value)
    except BadRequestError as exc:
        raise _FieldError(exc.message) from None


def _checked_list(cls: Any, conv: cattrs.Converter) -> Any:
    inner = list_structure_factory(cls, conv)

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _FieldError(f"expected an array, got {_json_type(value)}")
        return inner(value, cls)

    return hook


def _checked_dict(cls: Any, conv: cattrs.Converter) -> Any:
    inner = mapping_structure_factory(cls, conv)

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _FieldError(f"expected an object, got {_json_type(value)}")
        return inner(value, cls)

    return hook


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def make_converter() -> cattrs.Converter:
    """The snake_case JSON converter: RFC 3339 ``Z`` timestamps, quantities as strings."""
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(Quantity, _structure_quantity)
    conv.register_unstructure_hook(Quantity, str)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, format_timestamp)
    for base in (enum.Enum, enum.StrEnum):  # StrEnum first in the MRO, before str
        conv.register_structure_hook(base, _structure_enum)
        conv.register_unstructure_hook(base, lambda member: member.value)
    conv.register_structure_hook_factory(
        lambda t: getattr(t, "__origin__", None) is list, _checked_list
    )
    conv.register_structure_hook_factory(
        lambda t: getattr(t, "__origin__", None) is dict, _checked_dict
    )
    return conv


converter = make_converter()
_default = converter


def _collect(exc: BaseException, path: str, out: dict[str, str]) -> None:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub, note in exc.group_exceptions()[0]:
            if isinstance(note, AttributeValidationNote):
                child = f"{path}.{note.name}" if path else note.name
            elif isinstance(note, IterableValidationNote):
                child = f"{path}[{note.index}]"
            else:  # pragma: no cover - defensive
                child = path
            _collect(sub, child, out)
        for sub in exc.group_exceptions()[1]:
            _collect(sub, path, out)
    elif isinstance(exc, KeyError):
        out[path or "body"] = "this field is required"
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            out[f"{path}.{key}" if path else key] = "unknown field"
    elif isinstance(exc, _FieldError | BadRequestError):
        out[path or "body"] = str(exc)
    elif isinstance(exc, TypeError | ValueError | AttributeError):
        out[path or "body"] = "invalid value"
    else:  # pragma: no cover - defensive
        out[path or "body"] = str(exc)


def structure(data: Any, cls: type[T], *, what: str = "request body", converter: Any = None) -> T:
    """Structure JSON-shaped ``data`` into ``cls`` or raise ``BadRequestError`` naming fields."""
    if not isinstance(data, dict):
        raise BadRequestError(f"{what} must be a JSON object", {"body": "expected an object"})
    try:
        return (converter or _default).structure(data, cls)
    except Exception as exc:
        details: dict[str, str] = {}
        _collect(exc, "", details)
        if not details:  # pragma: no cover - defensive
            details["body"] = str(exc)
        first = next(iter(details.items()))
        raise BadRequestError(f"invalid {what}: {first[0]}: {first[1]}", details) from None


def unstructure(obj: Any) -> Any:
    """Models to JSON-shaped data."""
    return converter.unstructure(obj)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def make_kube_converter() -> cattrs.Converter:
    """The camelCase converter for Kubernetes-style documents (``KubeSchedulerConfiguration``):
    attrs fields map to camelCase keys, unknown keys are errors, ``None`` is omitted."""
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    conv = make_converter()
    conv.forbid_extra_keys = True

    def structure_factory(cls: Any) -> Any:
        overrides: dict[str, Any] = {
            a.name: override(rename=_camel(a.name)) for a in attrs.fields(cls)
        }
        return make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **overrides)

    def unstructure_factory(cls: Any) -> Any:
        overrides: dict[str, Any] = {
            a.name: override(rename=_camel(a.name), omit_if_default=a.default is None)
            for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


kube_converter = make_kube_converter()
