"""Regenerate the facade's protobuf descriptors (``data/descriptors.pb.gz``).

Kubernetes publishes its wire format as ``generated.proto`` files in k8s.io/api and
k8s.io/apimachinery; their compiled descriptors are embedded (gzipped) in every Go client
built with them, ``kubectl`` included. This tool reads them from a ``kubectl`` binary of the
version the facade claims (v1.32), keeps the group versions the facade speaks, and writes
one gzipped ``FileDescriptorSet``::

    python -m k8sedge.kubeapi.protogen /usr/bin/kubectl

Field options are dropped except gogoproto's ``nullable`` (65001): a field declared
``nullable=false`` is a Go value (always on the wire, zero meaning unset), any other scalar
is a Go pointer (present means set, zero included). That fact is kept as the field's
``json_name`` suffix ``!`` so the standard library's descriptor pool can load the set.
"""

from __future__ import annotations

import gzip
import re
import sys
import zlib
from pathlib import Path

__all__ = ["FILES", "extract", "main"]

FILES = [
    "k8s.io/apimachinery/pkg/runtime/schema/generated.proto",
    "k8s.io/apimachinery/pkg/runtime/generated.proto",
    "k8s.io/apimachinery/pkg/util/intstr/generated.proto",
    "k8s.io/apimachinery/pkg/api/resource/generated.proto",
    "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto",
    "k8s.io/api/core/v1/generated.proto",
    "k8s.io/api/apps/v1/generated.proto",
    "k8s.io/api/batch/v1/generated.proto",
    "k8s.io/api/policy/v1/generated.proto",
    "k8s.io/api/scheduling/v1/generated.proto",
    "k8s.io/api/storage/v1/generated.proto",
    "k8s.io/api/events/v1/generated.proto",
    "k8s.io/api/coordination/v1/generated.proto",
    "k8s.io/api/autoscaling/v1/generated.proto",
    "k8s.io/api/authorization/v1/generated.proto",
    "k8s.io/api/authentication/v1/generated.proto",
]
_NULLABLE = 65001
OUT = Path(__file__).parent / "data" / "descriptors.pb.gz"


def _value_field(options: bytes) -> bool:
    """Whether raw ``FieldOptions`` bytes carry ``(gogoproto.nullable) = false``."""
    from google.protobuf.internal import decoder

    pos = 0
    while pos < len(options):
        tag, pos = decoder._DecodeVarint(options, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = decoder._DecodeVarint(options, pos)
            if number == _NULLABLE:
                return bool(value == 0)
        elif wire == 2:
            size, pos = decoder._DecodeVarint(options, pos)
            pos += size
        elif wire == 5:
            pos += 4
        elif wire == 1:
            pos += 8
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return False


def extract(binary: bytes) -> bytes:
    """The gzipped ``FileDescriptorSet`` of ``FILES`` found in a Go binary."""
    from google.protobuf import descriptor_pb2

    found: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for match in re.finditer(b"\x1f\x8b\x08\x00\x00\x00\x00\x00", binary):
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                binary[match.start() : match.start() + 1_000_000]
            )
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
        except Exception:
            continue
        if proto.name in FILES:
            found[proto.name] = proto
    missing = [name for name in FILES if name not in found]
    if missing:
        raise SystemExit(f"not in this binary: {', '.join(missing)}")
    out = descriptor_pb2.FileDescriptorSet()
    for name in FILES:
        proto = found[name]
        kept = [d for d in proto.dependency if d in FILES]
        del proto.dependency[:]
        proto.dependency.extend(kept)
        proto.ClearField("options")
        for message in proto.message_type:
            _strip(message)
        out.file.append(proto)
    return gzip.compress(out.SerializeToString(), mtime=0)


def _strip(message: object) -> None:
    for field in message.field:  # type: ignore[attr-defined]
        value = _value_field(field.options.SerializeToString())
        field.ClearField("options")
        field.json_name = field.name + ("!" if value else "")
    for nested in message.nested_type:  # type: ignore[attr-defined]
        _strip(nested)


def main(argv: list[str] | None = None) -> int:
    """``python -m k8sedge.kubeapi.protogen KUBECTL [OUT]``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    target = Path(args[1]) if len(args) > 1 else OUT
    target.write_bytes(extract(Path(args[0]).read_bytes()))
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
