"""Kubernetes protobuf (``application/vnd.kubernetes.protobuf``) <-> the JSON-shaped dicts the
store holds, for every kind of the group versions the facade speaks.

The message descriptors are k8s.io/api's and apimachinery's ``generated.proto`` for v1.32
(``data/descriptors.pb.gz``, written by ``protogen.py``), loaded into a descriptor pool when
first needed (``protobuf`` is imported lazily). A body is the ``k8s\\x00`` magic and a
``runtime.Unknown`` envelope: ``typeMeta`` (apiVersion, kind) and the object's bytes.

Conversion is generic, driven by the descriptors, with apimachinery's special encodings:
``resource.Quantity`` (a string), ``intstr.IntOrString`` (an int or a string), ``Time`` and
``MicroTime`` (RFC 3339), ``Duration`` (Go's duration string), ``FieldsV1`` and
``RawExtension`` (embedded JSON), ``bytes`` (base64). Go's meaning of a field is kept: a
value field (``nullable=false``) that is zero is unset (JSON ``omitempty``), a pointer field
on the wire is set even when zero (``replicas: 0``).
"""

from __future__ import annotations

import base64
import functools
import gzip
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..errors import BadRequestError

__all__ = [
    "MAGIC",
    "PROTOBUF",
    "ProtobufError",
    "decode",
    "encode",
    "message_name",
    "watch_frame",
]

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"
_DATA = Path(__file__).parent / "data" / "descriptors.pb.gz"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1"
_QUANTITY = ".k8s.io.apimachinery.pkg.api.resource.Quantity"
_INTSTR = ".k8s.io.apimachinery.pkg.util.intstr.IntOrString"
_TIME = f".{_META}.Time"
_MICROTIME = f".{_META}.MicroTime"
_DURATION = f".{_META}.Duration"
_FIELDS = f".{_META}.FieldsV1"
_RAW = ".k8s.io.apimachinery.pkg.runtime.RawExtension"
# API group -> proto package of its types
_PACKAGES = {
    "": "k8s.io.api.core",
    "apps": "k8s.io.api.apps",
    "batch": "k8s.io.api.batch",
    "policy": "k8s.io.api.policy",
    "scheduling.k8s.io": "k8s.io.api.scheduling",
    "storage.k8s.io": "k8s.io.api.storage",
    "events.k8s.io": "k8s.io.api.events",
    "coordination.k8s.io": "k8s.io.api.coordination",
    "autoscaling": "k8s.io.api.autoscaling",
    "authorization.k8s.io": "k8s.io.api.authorization",
    "authentication.k8s.io": "k8s.io.api.authentication",
    "meta.k8s.io": "k8s.io.apimachinery.pkg.apis.meta",
}


class ProtobufError(BadRequestError):
    """A protobuf body that cannot be read, or an object that has no protobuf form."""


@functools.cache
def _pool() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool

    files = descriptor_pb2.FileDescriptorSet.FromString(gzip.decompress(_DATA.read_bytes()))
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    return pool


@functools.cache
def _class(full_name: str) -> Any:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(full_name))


def message_name(api_version: str, kind: str) -> str | None:
    """The proto message of a kind (``apps/v1``, ``Deployment``), or ``None``."""
    group, _, version = api_version.rpartition("/")
    package = _PACKAGES.get(group)
    candidates = [f"{package}.{version}.{kind}"] if package else []
    candidates.append(f"{_META}.{kind}")  # Status, DeleteOptions, … under any group version
    pool = _pool()
    for name in candidates:
        try:
            pool.FindMessageTypeByName(name)
        except KeyError:
            continue
        return name
    return None


# -- protobuf -> dict ---------------------------------------------------------------------------


def decode(raw: bytes) -> dict[str, Any]:
    """A protobuf body (``k8s\\x00`` + ``runtime.Unknown``) as a JSON-shaped object."""
    if not raw.startswith(MAGIC):
        raise ProtobufError("protobuf body without the k8s magic prefix", {"body": "malformed"})
    from google.protobuf.message import DecodeError

    try:
        envelope = _class("k8s.io.apimachinery.pkg.runtime.Unknown").FromString(raw[4:])
    except DecodeError as exc:
        raise ProtobufError(f"malformed protobuf envelope: {exc}", {"body": "malformed"}) from None
    api_version, kind = envelope.typeMeta.apiVersion, envelope.typeMeta.kind
    if envelope.contentEncoding:
        raise ProtobufError(
            f"unsupported content encoding {envelope.contentEncoding!r}", {"body": "encoding"}
        )
    name = message_name(api_version, kind)
    if name is None:
        raise ProtobufError(
            f"no kind {kind!r} is registered for version {api_version!r}",
            {"kind": kind, "apiVersion": api_version},
        )
    try:
        message = _class(name).FromString(envelope.raw)
    except DecodeError as exc:
        raise ProtobufError(f"malformed {kind}: {exc}", {"body": "malformed"}) from None
    obj = _to_dict(message)
    return {"apiVersion": api_version, "kind": kind, **obj}


def _repeated(field: Any) -> bool:
    if hasattr(field, "is_repeated"):  # protobuf >= 6 (``label`` is gone in 7)
        return bool(field.is_repeated)
    return bool(field.label == 3)


def _value_field(field: Any) -> bool:
    return bool(field.json_name.endswith("!"))


def _to_dict(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        converted = _field_to_json(field, value)
        if converted is not _SKIP:
            out[field.name] = converted
    return out


_SKIP = object()


def _field_to_json(field: Any, value: Any) -> Any:
    from google.protobuf.descriptor import FieldDescriptor

    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        return {k: _single(value_field, v) for k, v in value.items()}
    if _repeated(field):
        return [_single(field, item) for item in value]
    if field.type != FieldDescriptor.TYPE_MESSAGE and _value_field(field) and not value:
        return _SKIP  # a Go value field at its zero value: omitted, as Go's omitempty does
    converted = _single(field, value)
    return _SKIP if converted is None else converted


def _single(field: Any, value: Any) -> Any:
    from google.protobuf.descriptor import FieldDescriptor

    if field.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode()
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return value
    special = _SPECIAL_TO_JSON.get("." + field.message_type.full_name)
    return special(value) if special else _to_dict(value)


def _time_to_json(value: Any) -> str | None:
    if not value.seconds and not value.nanos:
        return None  # Go's zero time is null
    return datetime.fromtimestamp(value.seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _microtime_to_json(value: Any) -> str | None:
    if not value.seconds and not value.nanos:
        return None
    moment = datetime.fromtimestamp(value.seconds, UTC).replace(microsecond=value.nanos // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _raw_to_json(raw: bytes) -> Any:
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return decode(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProtobufError("embedded object is not JSON", {"body": "malformed"}) from None


_SPECIAL_TO_JSON: dict[str, Any] = {
    _QUANTITY: lambda v: v.string,
    _INTSTR: lambda v: v.strVal if v.type == 1 else v.intVal,
    _TIME: _time_to_json,
    _MICROTIME: _microtime_to_json,
    _DURATION: lambda v: format_duration(v.duration),
    _FIELDS: lambda v: _raw_to_json(v.Raw),
    _RAW: lambda v: _raw_to_json(v.raw),
}


# -- dict -> protobuf ---------------------------------------------------------------------------


def encode(obj: dict[str, Any]) -> bytes:
    """A JSON-shaped object (with ``apiVersion`` and ``kind``) as a protobuf body;
    ``ProtobufError`` if it has no protobuf form."""
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    name = message_name(api_version, kind)
    if name is None:
        raise ProtobufError(f"{api_version} {kind} has no protobuf form", {"kind": kind})
    message = _class(name)()
    try:
        _fill(message, obj)
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ProtobufError(f"{kind} cannot be encoded: {exc}", {"kind": kind}) from None
    envelope = _class("k8s.io.apimachinery.pkg.runtime.Unknown")()
    envelope.typeMeta.apiVersion = api_version
    envelope.typeMeta.kind = kind
    envelope.raw = message.SerializeToString()
    body: bytes = MAGIC + envelope.SerializeToString()
    return body


def watch_frame(event: str, encoded: bytes) -> bytes:
    """A protobuf watch stream frame: the length (4 bytes, big endian) and a raw
    ``WatchEvent`` (no envelope) whose ``object`` holds the ``encoded`` object."""
    message = _class(f"{_META}.WatchEvent")()
    message.type = event
    message.object.raw = encoded
    body: bytes = message.SerializeToString()
    return len(body).to_bytes(4, "big") + body


def _fill(message: Any, obj: Any) -> None:
    if not isinstance(obj, dict):
        raise TypeError(f"{message.DESCRIPTOR.name} must be an object")
    fields = message.DESCRIPTOR.fields_by_name
    for key, value in obj.items():
        field = fields.get(key)
        if field is None or value is None:
            continue  # what the Go type does not have is dropped, as a Go client would
        _set(message, field, value)


def _set(message: Any, field: Any, value: Any) -> None:
    from google.protobuf.descriptor import FieldDescriptor

    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        if not isinstance(value, dict):
            raise TypeError(f"{field.name} must be an object")
        target = getattr(message, field.name)
        value_field = field.message_type.fields_by_name["value"]
        for k, v in value.items():
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                _fill_single(target[str(k)], value_field, v)
            else:
                target[str(k)] = _scalar(value_field, v)
        return
    if _repeated(field):
        if not isinstance(value, list):
            raise TypeError(f"{field.name} must be a list")
        target = getattr(message, field.name)
        for item in value:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                _fill_single(target.add(), field, item)
            else:
                target.append(_scalar(field, item))
        return
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        child = getattr(message, field.name)
        child.SetInParent()
        _fill_single(child, field, value)
        return
    setattr(message, field.name, _scalar(field, value))


def _fill_single(target: Any, field: Any, value: Any) -> None:
    name = "." + field.message_type.full_name
    if name == _QUANTITY:
        target.string = str(value) if not isinstance(value, float) else f"{value:g}"
    elif name == _INTSTR:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError("an int-or-string must be an integer or a string")
        if isinstance(value, int):
            target.type, target.intVal = 0, value
        else:
            target.type, target.strVal = 1, value
    elif name in (_TIME, _MICROTIME):
        seconds, nanos = parse_time(str(value))
        target.seconds, target.nanos = seconds, nanos
    elif name == _DURATION:
        target.duration = parse_duration(str(value))
    elif name == _FIELDS:
        target.Raw = orjson.dumps(value)
    elif name == _RAW:
        target.raw = orjson.dumps(value)
    else:
        _fill(target, value)


def _scalar(field: Any, value: Any) -> Any:
    from google.protobuf.descriptor import FieldDescriptor

    kind = field.type
    if kind == FieldDescriptor.TYPE_BYTES:
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    if kind == FieldDescriptor.TYPE_STRING:
        if not isinstance(value, str):
            raise TypeError(f"{field.name} must be a string")
        return value
    if kind == FieldDescriptor.TYPE_BOOL:
        if not isinstance(value, bool):
            raise TypeError(f"{field.name} must be a boolean")
        return value
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{field.name} must be an integer")
    if isinstance(value, float) and not value.is_integer():
        raise TypeError(f"{field.name} must be an integer")
    return int(value)


# -- Time and Duration --------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_time(text: str) -> tuple[int, int]:
    """RFC 3339 as (seconds, nanos) since the epoch."""
    m = _RFC3339.match(text)
    if m is None:
        raise ValueError(f"not an RFC 3339 time: {text[:60]!r}")
    fraction = m.group(7) or ""
    zone = m.group(8).upper()
    base = datetime.fromisoformat(
        f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6)}"
        + ("+00:00" if zone == "Z" else zone)
    )
    nanos = int((fraction[1:] + "000000000")[:9]) if fraction else 0
    return int(base.timestamp()), nanos


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9}
_UNITS["h"] = 3600 * 10**9
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` (``1h2m3.5s``) in nanoseconds."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if body == "0":
        return 0
    total, pos = 0.0, 0
    for m in _PART.finditer(body):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(body) or not body:
        raise ValueError(f"not a duration: {text[:60]!r}")
    return sign * int(total)


def format_duration(nanos: int) -> str:
    """Go's ``Duration.String()``."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3)):
            if n >= size:
                return sign + _trim(n / size) + unit
        return f"{sign}{n}ns"
    hours, rest = divmod(n, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _trim(rest / 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _trim(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".")
