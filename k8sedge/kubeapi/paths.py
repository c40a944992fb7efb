"""What a resource path names: kind, namespace, name and subresource."""

from __future__ import annotations

from attrs import frozen

from ..errors import NotFoundError
from ..kube.kinds import KINDS, KindInfo

__all__ = ["Target", "parse_target"]


@frozen
class Target:
    info: KindInfo
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_target(group_version: str, parts: list[str]) -> Target:
    """``[namespaces, ns,] plural[, name[, subresource]]`` under a group version."""
    by_plural = {i.plural: i for i in KINDS.values() if i.api_version == group_version}

    def info_of(plural: str) -> KindInfo:
        info = by_plural.get(plural)
        if info is None:
            raise NotFoundError(
                f"the server could not find the requested resource ({plural})", {"kind": plural}
            )
        return info

    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] in by_plural:
        namespace, plural, rest = parts[1], parts[2], parts[3:]
        return Target(
            info_of(plural),
            namespace,
            rest[0] if rest else None,
            rest[1] if len(rest) > 1 else None,
        )
    if not parts:
        raise NotFoundError("the server could not find the requested resource", {})
    plural, rest = parts[0], parts[1:]
    return Target(
        info_of(plural), None, rest[0] if rest else None, rest[1] if len(rest) > 1 else None
    )
