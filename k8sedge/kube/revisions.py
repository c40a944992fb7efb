"""ControllerRevisions: the template history of StatefulSets and DaemonSets
(``pkg/controller/history``), which ``kubectl rollout history`` and ``undo`` read."""

from __future__ import annotations

from typing import Any

from .controllers import Context
from .podutil import owned_by, owner_ref, semantic, template_hash
from .replicasets import claim
from .store import copy_object

__all__ = ["HASH_LABEL", "revision_number", "sync_revisions"]

HASH_LABEL = "controller.kubernetes.io/hash"


def revision_number(revision: dict[str, Any]) -> int:
    return int(revision.get("revision") or 0)


def _data(owner: dict[str, Any]) -> dict[str, Any]:
    """The revision's data: the owner's template as a strategic merge patch that replaces."""
    template = copy_object((owner.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def sync_revisions(
    ctx: Context, plural: str, owner: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The owner's current and update revisions (creating the update one, or raising an old
    one's number when the template went back to it) and all of its revisions."""
    meta = owner["metadata"]
    namespace = meta["namespace"]
    revisions = [r for r in claim(ctx, "controllerrevisions", owner) if owned_by(r, owner)]
    data = _data(owner)
    digest = template_hash(data, int((owner.get("status") or {}).get("collisionCount") or 0))
    latest = max((revision_number(r) for r in revisions), default=0)
    update = next((r for r in revisions if semantic(r.get("data")) == semantic(data)), None)
    if update is None:
        labels = dict(((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        labels[HASH_LABEL] = digest
        update = ctx.writer.create(
            "controllerrevisions",
            {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": f"{meta['name']}-{digest}",
                    "namespace": namespace,
                    "labels": labels,
                    "ownerReferences": [owner_ref(owner)],
                },
                "data": data,
                "revision": latest + 1,
            },
        )
        revisions.append(update)
    elif revision_number(update) < latest:
        raised = copy_object(update)
        raised["revision"] = latest + 1
        revisions.remove(update)
        update = ctx.writer.update("controllerrevisions", raised)
        revisions.append(update)
    current_name = (owner.get("status") or {}).get("currentRevision")
    current = next((r for r in revisions if r["metadata"]["name"] == current_name), update)
    return current, update, revisions


def trim_history(
    ctx: Context,
    owner: dict[str, Any],
    revisions: list[dict[str, Any]],
    keep: set[str],
) -> None:
    """Delete the oldest revisions beyond ``revisionHistoryLimit`` (never one in ``keep``)."""
    limit = int((owner.get("spec") or {}).get("revisionHistoryLimit", 10) or 0)
    spare = sorted((r for r in revisions if r["metadata"]["name"] not in keep), key=revision_number)
    for revision in spare[: max(0, len(spare) - limit)]:
        ctx.writer.delete(
            "controllerrevisions", revision["metadata"]["name"], owner["metadata"]["namespace"]
        )
