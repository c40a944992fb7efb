"""Models of the scheduler-simulator surface.

Kubernetes objects stay whole JSON dicts (``KubeObject.raw``) so that every field a user
imports comes back on export; the accessors are what the engine and users read most.
``SchedulingResult`` reads the simulator's result annotations, with either prefix
(``kube-scheduler-simulator.sigs.k8s.io/`` or the pre-0.4 ``scheduler-simulator/``).
"""

from __future__ import annotations

import json
from typing import Any

from attrs import define, field, frozen

__all__ = [
    "ANNOTATION_PREFIX",
    "ImportResult",
    "KubeObject",
    "ResourcesForLoad",
    "SchedulingResult",
    "WatchEvent",
]

ANNOTATION_PREFIX = "kube-scheduler-simulator.sigs.k8s.io/"
_PREFIXES = (ANNOTATION_PREFIX, "scheduler-simulator/")


@define(repr=False)
class KubeObject:
    """A Kubernetes object as JSON, with typed accessors for common fields."""

    raw: dict[str, Any]

    def __repr__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        node = f" on {self.node_name}" if self.kind == "Pod" and self.node_name else ""
        return f"KubeObject({self.kind or 'object'} {where}{node})"

    def to_dict(self) -> dict[str, Any]:
        """The object's JSON."""
        return self.raw

    @property
    def kind(self) -> str:
        """The object's ``kind`` (``Pod``, ``Node``…)."""
        return str(self.raw.get("kind", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        """The object's ``metadata`` (a dict; empty if absent)."""
        metadata: dict[str, Any] = self.raw.setdefault("metadata", {})
        return metadata

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str | None:
        """``metadata.namespace`` (None for cluster-scoped objects)."""
        namespace = self.metadata.get("namespace")
        return None if namespace is None else str(namespace)

    @property
    def uid(self) -> str | None:
        """``metadata.uid``."""
        uid = self.metadata.get("uid")
        return None if uid is None else str(uid)

    @property
    def resource_version(self) -> str | None:
        """``metadata.resourceVersion``: grows with every write."""
        version = self.metadata.get("resourceVersion")
        return None if version is None else str(version)

    @property
    def labels(self) -> dict[str, str]:
        """``metadata.labels``."""
        return dict(self.metadata.get("labels") or {})

    @property
    def annotations(self) -> dict[str, str]:
        """``metadata.annotations`` (a pod's scheduling results are here)."""
        return dict(self.metadata.get("annotations") or {})

    @property
    def spec(self) -> dict[str, Any]:
        """The object's ``spec``."""
        return dict(self.raw.get("spec") or {})

    @property
    def status(self) -> dict[str, Any]:
        """The object's ``status``."""
        return dict(self.raw.get("status") or {})

    @property
    def node_name(self) -> str | None:
        """A pod's ``spec.nodeName`` (None while unscheduled)."""
        node = (self.raw.get("spec") or {}).get("nodeName")
        return None if not node else str(node)

    def scheduling_result(self) -> SchedulingResult:
        """This pod's scheduling result, read from its annotations."""
        return SchedulingResult.from_pod(self.raw)


@frozen(kw_only=True, repr=False)
class SchedulingResult:
    """Per-plugin, per-node detail of a pod's last scheduling attempt."""

    def __repr__(self) -> str:
        if self.selected_node:
            return f"SchedulingResult(selected_node={self.selected_node!r})"
        return f"SchedulingResult(unschedulable: {self.message!r})"

    def rows(self) -> list[dict[str, Any]]:
        """One row per evaluated node: each filter's verdict, each plugin's final score and
        the total (the per-node table of the simulator's UI)."""
        out = []
        for node, verdicts in self.filter.items():
            row: dict[str, Any] = {"node": node, "selected": node == self.selected_node}
            row.update({f"filter:{plugin}": verdict for plugin, verdict in verdicts.items()})
            scores = self.final_score.get(node, {})
            row.update({f"score:{plugin}": score for plugin, score in scores.items()})
            row["total"] = sum(scores.values()) if scores else None
            out.append(row)
        return out

    def to_pandas(self) -> Any:
        """``rows()`` as a pandas DataFrame."""
        from ..._display import frame

        return frame(self.rows())

    def _repr_html_(self) -> str:
        from ..._display import html_table

        rows = self.rows()
        header = sorted({k for r in rows for k in r}, key=lambda k: (k != "node", k))
        caption = (
            f"scheduled on {self.selected_node}"
            if self.selected_node
            else f"unschedulable: {self.message or ''}"
        )
        return html_table(header, [[r.get(h) for h in header] for r in rows], caption=caption)

    selected_node: str | None = None
    filter: dict[str, dict[str, str]] = field(factory=dict)
    score: dict[str, dict[str, int]] = field(factory=dict)
    final_score: dict[str, dict[str, int]] = field(factory=dict)
    postfilter: dict[str, dict[str, str]] = field(factory=dict)
    message: str | None = None  # the unschedulable reason, from the PodScheduled condition

    @property
    def scheduled(self) -> bool:
        """Whether the pod was bound to a node."""
        return bool(self.selected_node)

    @classmethod
    def from_pod(cls, pod: dict[str, Any]) -> SchedulingResult:
        """Read the result from a pod's annotations (k8sedge's, or the real simulator's)."""
        annotations = (pod.get("metadata") or {}).get("annotations") or {}

        def read(key: str) -> Any:
            for prefix in _PREFIXES:
                if prefix + key in annotations:
                    value = annotations[prefix + key]
                    if key == "selected-node":
                        return value or None
                    try:
                        return json.loads(value)
                    except (TypeError, ValueError):
                        return None
            return None

        def scores(raw: Any) -> dict[str, dict[str, int]]:
            if not isinstance(raw, dict):
                return {}
            return {
                node: {plugin: int(value) for plugin, value in plugins.items()}
                for node, plugins in raw.items()
                if isinstance(plugins, dict)
            }

        message = None
        for condition in (pod.get("status") or {}).get("conditions") or ():
            if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                message = condition.get("message")
        return cls(
            selected_node=read("selected-node"),
            filter=read("filter-result") or {},
            score=scores(read("score-result")),
            final_score=scores(read("finalscore-result")),
            postfilter=read("postfilter-result") or {},
            message=message,
        )


@frozen(kw_only=True)
class WatchEvent:
    """One change: ``kind`` is the simulator's plural (``pods``, ``nodes``, …)."""

    kind: str
    event_type: str  # ADDED | MODIFIED | DELETED
    obj: KubeObject

    def to_wire(self) -> dict[str, Any]:
        """The real simulator's NDJSON shape: ``{"Kind", "EventType", "Obj"}``."""
        return {"Kind": self.kind, "EventType": self.event_type, "Obj": self.obj.raw}


@frozen(kw_only=True)
class ImportResult:
    """What an import did: a warning for each thing read leniently (an older scheduler
    configuration's dropped fields, as the real simulator's non-strict decoding drops them)."""

    warnings: list[str] = field(factory=list)


@define(kw_only=True, repr=False)
class ResourcesForLoad:
    """The simulator's export/import document; missing lists mean empty."""

    pods: list[dict[str, Any]] = field(factory=list)
    nodes: list[dict[str, Any]] = field(factory=list)
    pvs: list[dict[str, Any]] = field(factory=list)
    pvcs: list[dict[str, Any]] = field(factory=list)
    storage_classes: list[dict[str, Any]] = field(factory=list)
    priority_classes: list[dict[str, Any]] = field(factory=list)
    namespaces: list[dict[str, Any]] = field(factory=list)
    scheduler_config: dict[str, Any] | None = None

    _WIRE = {
        "storage_classes": "storageClasses",
        "priority_classes": "priorityClasses",
        "scheduler_config": "schedulerConfig",
    }

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{len(getattr(self, n))} {n}"
            for n in ("nodes", "pods", "pvs", "pvcs", "storage_classes", "priority_classes")
            if getattr(self, n)
        )
        return f"ResourcesForLoad({counts or 'empty'})"

    def count(self) -> int:
        """How many objects it holds."""
        return sum(
            len(getattr(self, n))
            for n in ("pods", "nodes", "pvs", "pvcs", "storage_classes", "priority_classes")
        ) + len(self.namespaces)

    def to_pandas(self) -> Any:
        """One row per object: kind, namespace, name, and a pod's node (pandas)."""
        from ..._display import frame

        rows = []
        for kind in ("namespaces", "nodes", "pods", "pvs", "pvcs", "storage_classes"):
            for obj in getattr(self, kind):
                meta = obj.get("metadata") or {}
                rows.append(
                    {
                        "kind": kind,
                        "namespace": meta.get("namespace"),
                        "name": meta.get("name"),
                        "node": (obj.get("spec") or {}).get("nodeName") if kind == "pods" else None,
                    }
                )
        return frame(rows, columns=["kind", "namespace", "name", "node"])

    def to_dict(self) -> dict[str, Any]:
        """The real simulator's JSON (``storageClasses``, ``schedulerConfig``…)."""
        out: dict[str, Any] = {}
        for name in (
            "pods",
            "nodes",
            "pvs",
            "pvcs",
            "storage_classes",
            "priority_classes",
            "scheduler_config",
            "namespaces",
        ):
            out[self._WIRE.get(name, name)] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourcesForLoad:
        """Read an export (missing lists are empty); ``BadRequestError`` names what is wrong."""
        from ...errors import BadRequestError

        if not isinstance(data, dict):
            raise BadRequestError("resources must be a JSON object", {"body": "not an object"})
        values: dict[str, Any] = {}
        for name in (
            "pods",
            "nodes",
            "pvs",
            "pvcs",
            "storage_classes",
            "priority_classes",
            "namespaces",
        ):
            wire = cls._WIRE.get(name, name)
            items = data.get(wire, data.get(name))
            if items is None:
                items = []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise BadRequestError(f"{wire} must be an array of objects", {wire: "invalid"})
            values[name] = items
        config = data.get("schedulerConfig", data.get("scheduler_config"))
        if config is not None and not isinstance(config, dict):
            raise BadRequestError(
                "schedulerConfig must be an object", {"schedulerConfig": "invalid"}
            )
        return cls(scheduler_config=config, **values)
