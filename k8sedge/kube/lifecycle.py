"""Object lifecycles: the garbage collector, deletion finalizers, namespaces and their
``default`` service accounts (``pkg/controller/garbagecollector``, ``namespace``,
``serviceaccount``).

- A deleted owner's dependents are deleted (background propagation) unless another owner
  still holds them, whose references then just lose the dangling one.
- ``propagationPolicy: Orphan`` puts the ``orphan`` finalizer on the owner: its dependents
  lose their reference to it, then it goes. ``Foreground`` puts ``foregroundDeletion``: its
  dependents are deleted first (in the foreground too), then it goes.
- A namespace being deleted is ``Terminating``: everything in it is deleted, then its
  ``kubernetes`` finalizer is removed and it goes. Every active namespace has a ``default``
  ServiceAccount.
"""

from __future__ import annotations

from typing import Any

from .controllers import PLURAL_OF_KIND, Context
from .kinds import KINDS
from .store import copy_object

__all__ = ["FOREGROUND", "ORPHAN", "sync_dependents", "sync_finalizers", "sync_namespace"]

ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"
NAMESPACE_FINALIZER = "kubernetes"


def _owner_alive(ctx: Context, ref: dict[str, Any], namespace: str | None) -> dict[str, Any] | None:
    plural = PLURAL_OF_KIND.get(str(ref.get("kind")))
    if plural is None:
        return None
    info = KINDS[plural]
    owner = ctx.writer.find(
        plural, str(ref.get("name", "")), namespace if info.namespaced else None
    )
    if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
        return None
    return owner


def _dependents(ctx: Context, uid: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for plural, namespace, name in sorted(
        ctx.controllers.dependents.get(uid, ()), key=lambda n: (n[0], n[1] or "", n[2])
    ):
        obj = ctx.writer.find(plural, name, namespace)
        if obj is not None:
            found.append((plural, obj))
    return found


def sync_dependents(ctx: Context, namespace: str | None, uid: str) -> None:
    """An owner (``uid``) went: delete its dependents that have no other live owner."""
    for plural, obj in _dependents(ctx, uid):
        meta = obj["metadata"]
        refs = [r for r in meta.get("ownerReferences") or () if isinstance(r, dict)]
        alive = [r for r in refs if _owner_alive(ctx, r, meta.get("namespace")) is not None]
        if alive:
            if len(alive) != len(refs):
                kept = copy_object(obj)
                kept["metadata"]["ownerReferences"] = alive
                ctx.writer.update(plural, kept)
            continue
        if meta.get("deletionTimestamp"):
            continue
        ctx.writer.delete(plural, meta["name"], meta.get("namespace"))


def _without_finalizer(ctx: Context, plural: str, obj: dict[str, Any], finalizer: str) -> None:
    current = ctx.writer.find(plural, obj["metadata"]["name"], obj["metadata"].get("namespace"))
    if current is None or finalizer not in (current["metadata"].get("finalizers") or ()):
        return
    updated = copy_object(current)
    updated["metadata"]["finalizers"] = [
        f for f in updated["metadata"]["finalizers"] if f != finalizer
    ]
    if not updated["metadata"]["finalizers"]:
        del updated["metadata"]["finalizers"]
    ctx.writer.update(plural, updated)


def sync_finalizers(ctx: Context, namespace: str | None, what: str) -> None:
    """An object being deleted with the ``orphan`` or ``foregroundDeletion`` finalizer."""
    plural, _, name = what.partition("/")
    obj = ctx.writer.find(plural, name, namespace)
    if obj is None or not obj["metadata"].get("deletionTimestamp"):
        return
    finalizers = obj["metadata"].get("finalizers") or ()
    uid = str(obj["metadata"].get("uid"))
    if ORPHAN in finalizers:
        for child_plural, child in _dependents(ctx, uid):
            released = copy_object(child)
            released["metadata"]["ownerReferences"] = [
                r for r in child["metadata"].get("ownerReferences") or () if r.get("uid") != uid
            ]
            if not released["metadata"]["ownerReferences"]:
                del released["metadata"]["ownerReferences"]
            ctx.writer.update(child_plural, released)
        _without_finalizer(ctx, plural, obj, ORPHAN)
    elif FOREGROUND in finalizers:
        blocking = 0
        for child_plural, child in _dependents(ctx, uid):
            meta = child["metadata"]
            if not meta.get("deletionTimestamp"):
                ctx.writer.delete(child_plural, meta["name"], meta.get("namespace"), "Foreground")
            still = ctx.writer.find(child_plural, meta["name"], meta.get("namespace"))
            if still is not None and any(
                r.get("uid") == uid and r.get("blockOwnerDeletion")
                for r in meta.get("ownerReferences") or ()
            ):
                blocking += 1
        if not blocking:
            _without_finalizer(ctx, plural, obj, FOREGROUND)


def sync_namespace(ctx: Context, namespace: str | None, name: str) -> None:
    """Active: a ``default`` ServiceAccount. Terminating: empty it, then let it go."""
    ns = ctx.writer.find("namespaces", name, None)
    if ns is None:
        return
    if not ns["metadata"].get("deletionTimestamp"):
        if ctx.writer.find("serviceaccounts", "default", name) is None:
            ctx.writer.create(
                "serviceaccounts",
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": name},
                },
            )
        return
    remaining: dict[str, int] = {}
    for plural, info in KINDS.items():
        if not info.namespaced:
            continue
        for obj in list(ctx.writer.items(plural, name)):
            meta = obj["metadata"]
            if not meta.get("deletionTimestamp"):
                ctx.writer.delete(plural, meta["name"], name)
            if ctx.writer.find(plural, meta["name"], name) is not None:
                remaining[plural] = remaining.get(plural, 0) + 1
    ns = ctx.writer.find("namespaces", name, None)
    if ns is None:
        return
    if remaining:
        _terminating_conditions(ctx, ns, remaining)
        return
    spec = ns.get("spec") or {}
    if NAMESPACE_FINALIZER in (spec.get("finalizers") or ()):
        finalized = copy_object(ns)
        finalized["spec"]["finalizers"] = [
            f for f in spec["finalizers"] if f != NAMESPACE_FINALIZER
        ]
        ns = ctx.writer.update("namespaces", finalized)
    if not ns["metadata"].get("finalizers") and not (ns.get("spec") or {}).get("finalizers"):
        ctx.writer.delete("namespaces", name, None)


def _terminating_conditions(ctx: Context, ns: dict[str, Any], remaining: dict[str, int]) -> None:
    """What a namespace stuck in ``Terminating`` waits for (objects with finalizers)."""
    from .podutil import timestamp

    listed = ", ".join(
        f"{plural} has {n} resource instances" for plural, n in sorted(remaining.items())
    )
    now = timestamp(ctx.now)
    wanted = {
        "NamespaceContentRemaining": (
            "True",
            "SomeResourcesRemain",
            f"Some resources are remaining: {listed}",
        ),
        "NamespaceFinalizersRemaining": (
            "True",
            "SomeFinalizersRemain",
            "Some content in the namespace has finalizers remaining",
        ),
    }
    status = copy_object(ns.get("status") or {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") not in wanted]
    for kind, (value, reason, message) in wanted.items():
        old = next(
            (c for c in (ns.get("status") or {}).get("conditions") or () if c.get("type") == kind),
            None,
        )
        conditions.append(
            {
                "type": kind,
                "status": value,
                "reason": reason,
                "message": message,
                "lastTransitionTime": old.get("lastTransitionTime", now) if old else now,
            }
        )
    status["conditions"] = conditions
    if status != ns.get("status"):
        updated = copy_object(ns)
        updated["status"] = status
        ctx.writer.update("namespaces", updated)
