"""``client.simulator``: the scheduler simulator, typed, over any backend."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..backends.base import SimulatorBackend
from ..errors import BadRequestError
from ..kube.kinds import kind_info
from ..models.simulator import KubeObject, ResourcesForLoad, SchedulingResult, WatchEvent
from ..surfaces.simulator.config import SchedulerConfiguration, config_from_dict, config_to_dict

__all__ = ["ResourceAPI", "SimulatorAPI"]


def _document(obj: KubeObject | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(obj, KubeObject):
        return obj.raw
    if isinstance(obj, Mapping):
        return dict(obj)
    raise BadRequestError(
        "expected a Kubernetes object (a dict or KubeObject)", {"body": type(obj).__name__}
    )


class ResourceAPI:
    """Create/apply, get, list and delete one kind of object."""

    def __init__(self, backend: SimulatorBackend, kind: str) -> None:
        self._backend = backend
        self.kind = kind_info(kind).plural
        self._namespaced = kind_info(kind).namespaced

    def _ns(self, namespace: str | None) -> str | None:
        return (namespace or "default") if self._namespaced else None

    def create(self, obj: KubeObject | Mapping[str, Any]) -> KubeObject:
        """Create; an existing name is ``ConflictError``. Pods are scheduled at once."""
        return KubeObject(self._backend.create(self.kind, _document(obj)))

    def apply(self, obj: KubeObject | Mapping[str, Any]) -> KubeObject:
        """Create or replace."""
        return KubeObject(self._backend.apply(self.kind, _document(obj)))

    def get(self, name: str, namespace: str | None = None) -> KubeObject:
        return KubeObject(self._backend.get(self.kind, name, self._ns(namespace)))

    def list(self, namespace: str | None = None, *, results: bool = False) -> list[KubeObject]:
        """Every object (of ``namespace``, if given); ``results`` adds pods' result annotations."""
        namespace = namespace if self._namespaced else None
        return [KubeObject(o) for o in self._backend.list(self.kind, namespace, results)]

    def delete(self, name: str, namespace: str | None = None) -> KubeObject:
        return KubeObject(self._backend.delete(self.kind, name, self._ns(namespace)))


class PodsAPI(ResourceAPI):
    def result(self, name: str, namespace: str | None = None) -> SchedulingResult:
        """The pod's last scheduling result: selected node, filter and score detail."""
        return self.get(name, namespace).scheduling_result()


class SimulatorAPI:
    """The scheduler simulator: configuration, reset, export/import, watch, objects."""

    def __init__(self, backend: SimulatorBackend) -> None:
        self._backend = backend
        self.pods = PodsAPI(backend, "pods")
        self.nodes = ResourceAPI(backend, "nodes")
        self.pvs = ResourceAPI(backend, "persistentvolumes")
        self.pvcs = ResourceAPI(backend, "persistentvolumeclaims")
        self.storage_classes = ResourceAPI(backend, "storageclasses")
        self.priority_classes = ResourceAPI(backend, "priorityclasses")
        self.namespaces = ResourceAPI(backend, "namespaces")

    def config(self) -> SchedulerConfiguration:
        """The current ``KubeSchedulerConfiguration``."""
        return config_from_dict(self._backend.get_config())

    def update_config(self, config: SchedulerConfiguration | Mapping[str, Any]) -> None:
        """Apply the ``profiles`` and ``extenders`` of a configuration; invalid: 400."""
        if isinstance(config, SchedulerConfiguration):
            data = config_to_dict(config)
        else:
            data = dict(config)
        config_from_dict(data)  # the same check as the server, before sending
        self._backend.update_config(data)

    def reset(self) -> None:
        """Back to the initial objects and configuration."""
        self._backend.reset()

    def export(self) -> ResourcesForLoad:
        return self._backend.export()

    def import_(self, resources: ResourcesForLoad | Mapping[str, Any]) -> None:
        """Load a ``ResourcesForLoad`` (model or JSON dict); bound pods stay bound and the
        rest are scheduled."""
        if not isinstance(resources, ResourcesForLoad):
            resources = ResourcesForLoad.from_dict(dict(resources))
        self._backend.import_(resources)

    def watch(
        self,
        *,
        pods: str | None = None,
        nodes: str | None = None,
        pvs: str | None = None,
        pvcs: str | None = None,
        storage_classes: str | None = None,
        priority_classes: str | None = None,
        namespaces: str | None = None,
        timeout: float | None = None,
    ) -> Iterator[WatchEvent]:
        """Events of every kind; a kind given a resource version resumes after it, the
        others start with every object as ``ADDED``. Ends after ``timeout`` quiet seconds."""
        versions = {
            "pods": pods,
            "nodes": nodes,
            "persistentvolumes": pvs,
            "persistentvolumeclaims": pvcs,
            "storageclasses": storage_classes,
            "priorityclasses": priority_classes,
            "namespaces": namespaces,
        }
        return self._backend.watch(versions, timeout)
