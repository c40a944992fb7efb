"""What a resource path names: kind, namespace, name and subresource.

Only what the facade serves is recognised; anything else is 404 ``NotFound``, never another
object: ``/namespaces/x/services/y`` is not namespace ``x``, ``/pods/p/log`` is not pod
``p``, a namespaced kind is named only under its namespace, and a cluster-scoped kind never
under one.
"""

from __future__ import annotations

from attrs import frozen

from ..errors import NotFoundError
from ..kube.kinds import KINDS, KindInfo, served_kinds
from .discovery import SUBRESOURCES, WITH_SCALE, WITH_STATUS

__all__ = ["REFUSED", "Target", "parse_target"]

# pod subresources a cluster without container runtimes cannot serve: answered with a clear
# refusal (``refusals.py``), never as the pod itself
REFUSED = {"log", "exec", "attach", "portforward", "proxy"}


@frozen
class Target:
    info: KindInfo
    namespace: str | None
    name: str | None
    subresource: str | None


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(
        f"the server could not find the requested resource ({what})", {"reason": "NotFound"}
    )


def _subresources(info: KindInfo) -> set[str]:
    served = {"status"} if info.plural in WITH_STATUS else set()
    if info.plural in WITH_SCALE:
        served.add("scale")
    served.update(SUBRESOURCES.get(info.plural, {}))
    if info.plural == "pods":
        served.update(REFUSED)
        served |= {"binding", "eviction"}
    return served


def parse_target(group_version: str, parts: list[str]) -> Target:
    """``[namespaces, ns,] plural[, name[, subresource]]`` under a group version."""
    by_plural = {i.plural: i for i in served_kinds() if i.api_version == group_version}
    namespace: str | None = None
    own = (
        group_version == "v1" and len(parts) == 3 and parts[2] in _subresources(KINDS["namespaces"])
    )
    if len(parts) >= 3 and parts[0] == "namespaces" and not own:  # not namespaces/x/status
        namespace, parts = parts[1], parts[2:]
    if not parts:
        raise _not_found("")
    info = by_plural.get(parts[0])
    if info is None or (namespace is not None and not info.namespaced):
        raise _not_found("/".join(parts))
    name = parts[1] if len(parts) > 1 else None
    subresource = parts[2] if len(parts) > 2 else None
    if len(parts) > 3 or (subresource is not None and subresource not in _subresources(info)):
        raise _not_found("/".join(parts))
    if info.namespaced and namespace is None and name is not None:
        raise _not_found("/".join(parts))  # a namespaced object is named under its namespace
    if name == "" or namespace == "":
        raise _not_found("/".join(parts))
    return Target(info, namespace, name, subresource)
