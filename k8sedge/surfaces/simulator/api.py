"""``client.simulator``: the scheduler simulator, typed, over any backend."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from ..._facade import Facade, Runner, Task
from ...errors import BadRequestError
from ...kube.kinds import kind_info
from .compare import Comparison, comparison_plan, run_comparison
from .config import SchedulerConfiguration, config_from_dict, config_to_dict
from .models import ImportResult, KubeObject, ResourcesForLoad, SchedulingResult, WatchEvent
from .service import SimulatorService as S

__all__ = ["ResourceAPI", "SimulatorAPI"]


def _document(obj: KubeObject | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(obj, KubeObject):
        return obj.raw
    if isinstance(obj, Mapping):
        return dict(obj)
    raise BadRequestError(
        "expected a Kubernetes object (a dict or KubeObject)", {"body": type(obj).__name__}
    )


def _objects(items: list[dict[str, Any]]) -> list[KubeObject]:
    return [KubeObject(o) for o in items]


def _result(pod: dict[str, Any]) -> SchedulingResult:
    return SchedulingResult.from_pod(pod)


class ResourceAPI(Facade):
    """Create/apply, get, list and delete one kind of object."""

    def __init__(self, runner: Runner, kind: str) -> None:
        super().__init__(runner)
        self.kind = kind_info(kind).plural
        self._namespaced = kind_info(kind).namespaced

    def _ns(self, namespace: str | None) -> str | None:
        return (namespace or "default") if self._namespaced else None

    def create(self, obj: KubeObject | Mapping[str, Any]) -> KubeObject:
        """Create; an existing name is ``ConflictError``. Pods are scheduled at once."""
        return self._then(KubeObject, S.create, self.kind, _document(obj))

    def apply(self, obj: KubeObject | Mapping[str, Any]) -> KubeObject:
        """Create or replace."""
        return self._then(KubeObject, S.apply, self.kind, _document(obj))

    def get(self, name: str, namespace: str | None = None) -> KubeObject:
        """One object by name (and namespace, for namespaced kinds); ``NotFoundError`` if there is
        none."""
        return self._then(KubeObject, S.get, self.kind, name, self._ns(namespace))

    def list(self, namespace: str | None = None, *, results: bool = False) -> list[KubeObject]:
        """Every object (of ``namespace``, if given); ``results`` adds pods' result annotations."""
        namespace = namespace if self._namespaced else None
        return self._then(_objects, S.list, self.kind, namespace, results)

    def delete(self, name: str, namespace: str | None = None) -> KubeObject:
        """Delete an object; answers it as it was."""
        return self._then(KubeObject, S.delete, self.kind, name, self._ns(namespace))


class PodsAPI(ResourceAPI):
    """Pods: create, apply, get, list and delete, and each pod's scheduling ``result``."""

    def result(self, name: str, namespace: str | None = None) -> SchedulingResult:
        """The pod's last scheduling result: selected node, filter and score detail."""
        return self._then(_result, S.get, self.kind, name, self._ns(namespace))


class SimulatorAPI(Facade):
    """The scheduler simulator: configuration, reset, export/import, watch, objects."""

    pods: PodsAPI
    nodes: ResourceAPI
    pvs: ResourceAPI
    pvcs: ResourceAPI
    storage_classes: ResourceAPI
    priority_classes: ResourceAPI
    namespaces: ResourceAPI

    def __init__(self, runner: Runner) -> None:
        super().__init__(runner)
        self.pods = PodsAPI(runner, "pods")
        self.nodes = ResourceAPI(runner, "nodes")
        self.pvs = ResourceAPI(runner, "persistentvolumes")
        self.pvcs = ResourceAPI(runner, "persistentvolumeclaims")
        self.storage_classes = ResourceAPI(runner, "storageclasses")
        self.priority_classes = ResourceAPI(runner, "priorityclasses")
        self.namespaces = ResourceAPI(runner, "namespaces")

    def config(self) -> SchedulerConfiguration:
        """The current ``KubeSchedulerConfiguration``."""
        return self._then(config_from_dict, S.get_config)

    def update_config(self, config: SchedulerConfiguration | Mapping[str, Any]) -> None:
        """Apply the ``profiles`` and ``extenders`` of a configuration; invalid: 400."""
        if isinstance(config, SchedulerConfiguration):
            data = config_to_dict(config)
        else:
            data = dict(config)
        config_from_dict(data)  # the same check as the server, before sending
        return self._call(S.update_config, data)

    def reset(self) -> None:
        """Back to the initial objects and configuration."""
        return self._call(S.reset)

    def export(self) -> ResourcesForLoad:
        """Every object and the scheduler configuration, as the real simulator exports them
        (``ResourcesForLoad``)."""
        return self._call(S.export)

    def import_(
        self, resources: ResourcesForLoad | Mapping[str, Any], *, progress: bool | None = None
    ) -> ImportResult:
        """Load a ``ResourcesForLoad`` (model or JSON dict); bound pods stay bound and the
        rest are scheduled. An older exported configuration (v1beta2/v1beta3, with fields v1
        dropped) is read leniently; the result lists what was dropped. A progress bar shows
        while it runs when someone is watching (``progress`` decides otherwise)."""
        if not isinstance(resources, ResourcesForLoad):
            resources = ResourcesForLoad.from_dict(dict(resources))
        task = Task("importing", resources.count(), progress, "objects")
        return self._tracked(task, S.import_, resources)

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
        return self._stream(S.watch, versions, timeout)

    def compare(
        self,
        configs: Mapping[str, SchedulerConfiguration | Mapping[str, Any]]
        | Sequence[SchedulerConfiguration | Mapping[str, Any]],
        resources: ResourcesForLoad | Mapping[str, Any] | None = None,
        *,
        reschedule: bool = True,
        seed: int = 0,
        progress: bool | None = None,
    ) -> Comparison:
        """Schedule one scenario under each configuration (named, or ``config-<i>``) and
        compare placements, unschedulable pods and per-plugin scores. The scenario is
        ``resources``, or this simulator's current objects (its export); each configuration
        runs on a fresh in-process cluster, so the simulator itself is not changed."""
        plan = comparison_plan(configs)
        run = partial(run_comparison, plan, reschedule=reschedule, seed=seed, progress=progress)
        if resources is None:
            return self._then(run, S.export, heavy=True)
        if not isinstance(resources, ResourcesForLoad):
            resources = ResourcesForLoad.from_dict(dict(resources))
        return self._local(run, resources)
