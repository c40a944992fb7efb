"""The simulator's export/import document, shared by every backend: what export leaves out,
the order import applies kinds in, and what import strips from each object."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import BadRequestError
from ..surfaces.simulator.models import ANNOTATION_PREFIX, ResourcesForLoad
from .store import copy_object

__all__ = [
    "IMPORT_ORDER",
    "export_resources",
    "fix_claim_ref",
    "import_plan",
    "is_system",
    "strip_results",
]

# kind, and the ResourcesForLoad attribute holding it, in the real simulator's apply order
IMPORT_ORDER = (
    ("namespaces", "namespaces"),
    ("priorityclasses", "priority_classes"),
    ("storageclasses", "storage_classes"),
    ("persistentvolumeclaims", "pvcs"),
    ("nodes", "nodes"),
    ("pods", "pods"),
    ("persistentvolumes", "pvs"),
)
_STRIP_ON_IMPORT = (
    "uid",
    "resourceVersion",
    "managedFields",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
)


def is_system(plural: str, name: str) -> bool:
    """Objects the simulator neither exports nor imports."""
    if plural == "namespaces":
        return name.startswith("kube-") or name == "default"
    return plural == "priorityclasses" and name.startswith("system-")


def strip_results(obj: dict[str, Any]) -> dict[str, Any]:
    """Remove the simulator's result annotations (in place); returns ``obj``."""
    annotations = (obj.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        for key in [k for k in annotations if k.startswith(ANNOTATION_PREFIX)]:
            del annotations[key]
    return obj


def export_resources(
    items: Callable[[str], list[dict[str, Any]]], config: dict[str, Any]
) -> ResourcesForLoad:
    """A ``ResourcesForLoad`` from ``items(plural)``, without system objects."""
    values = {
        attribute: [o for o in items(plural) if not is_system(plural, o["metadata"]["name"])]
        for plural, attribute in IMPORT_ORDER
    }
    return ResourcesForLoad(scheduler_config=config, **values)


def import_plan(resources: ResourcesForLoad) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(plural, object)`` to apply, in order: copies without server-set metadata, system
    objects skipped, pods without status."""
    for plural, attribute in IMPORT_ORDER:
        for raw in getattr(resources, attribute):
            obj = copy_object(raw)
            metadata = obj.setdefault("metadata", {})
            if not isinstance(metadata, dict):
                raise BadRequestError("metadata must be an object", {"metadata": "not an object"})
            for key in _STRIP_ON_IMPORT:
                metadata.pop(key, None)
            if is_system(plural, str(metadata.get("name", ""))):
                continue
            if plural == "pods":
                obj.pop("status", None)
            yield plural, obj


def fix_claim_ref(pv: dict[str, Any], claim_uids: dict[str, str]) -> None:
    """A bound volume's ``claimRef.uid`` points at its claim's new uid."""
    ref = (pv.get("spec") or {}).get("claimRef")
    if ref and (pv.get("status") or {}).get("phase") == "Bound":
        uid = claim_uids.get(f"{ref.get('namespace', 'default')}/{ref.get('name')}")
        if uid:
            ref["uid"] = uid
