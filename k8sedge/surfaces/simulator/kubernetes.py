"""The simulator surface on a Kubernetes cluster, with k8sedge's engine as a secondary
scheduler.

Objects map onto the cluster's objects. The engine runs as a secondary scheduler named
``k8sedge-scheduler``: pods created through this backend without a ``schedulerName`` get that
name, and the backend schedules them with the engine against the cluster's nodes and pods,
binds them through the Binding API and writes the results as the simulator's annotations. The
scheduler configuration lives in the ConfigMap ``k8sedge-scheduler-config`` in
``kube-system``. See ``docs/backends/kubernetes.md``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson

from ...backends.kubernetes import CONFIG_MAP, SCHEDULER_NAME, kube_path as _path
from ...engine import NodeTable, Scheduler, ScheduleResult
from ...errors import BadRequestError, ExpiredError, NotFoundError, UnsupportedError
from ...kube.kinds import SIMULATOR_KINDS, KindInfo, kind_info
from ...kube.scheduling import controller_selector, schedule_pod
from ...kube.snapshot import export_resources, fix_claim_ref, import_plan, strip_results
from ...kube.translate import pod_request, sync_node, unschedulable_status
from ...memory.nodes import UNREACHABLE
from .config import (
    config_from_dict,
    config_to_dict,
    default_configuration,
    lenient_config,
    with_defaults,
)
from .models import ANNOTATION_PREFIX, ImportResult, KubeObject, ResourcesForLoad, WatchEvent

__all__ = ["KubernetesSimulator"]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class KubernetesSimulator:
    """The simulator surface on a cluster, with k8sedge's engine as a secondary scheduler."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.rest = context.rest
        self.allow_reset = context.allow_reset
        self.seed = context.seed
        self.lock = threading.RLock()

    def unreachable(self) -> set[str]:
        """Names of edge nodes whose heartbeats stopped (tainted unreachable for the engine)."""
        names: set[str] = self.context.service("edge").offline_names()
        return names

    # -- configuration -----------------------------------------------------------------------

    def _config(self) -> Any:
        namespace, name = CONFIG_MAP
        try:
            cm = self.rest.request("GET", f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        except NotFoundError:
            return default_configuration()
        return with_defaults(config_from_dict(orjson.loads((cm.get("data") or {})["config.json"])))

    def get_config(self) -> dict[str, Any]:
        return config_to_dict(self._config())

    def update_config(self, config: dict[str, Any]) -> None:
        from attrs import evolve

        given = config_from_dict(config)
        candidate = with_defaults(
            evolve(self._config(), profiles=given.profiles, extenders=given.extenders)
        )
        Scheduler(NodeTable(), candidate)  # validates; raises BadRequestError
        self._write_config(candidate)
        self._schedule_pending()

    def _write_config(self, config: Any) -> None:
        namespace, name = CONFIG_MAP
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"config.json": orjson.dumps(config_to_dict(config)).decode()},
        }
        path = f"/api/v1/namespaces/{namespace}/configmaps"
        try:
            self.rest.request("PUT", f"{path}/{name}", body)
        except NotFoundError:
            self.rest.request("POST", path, body)

    # -- objects -----------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        info = kind_info(kind)
        obj: dict[str, Any] = self.rest.request("GET", _path(info, namespace, name))
        return obj

    def list(self, kind: str, namespace: str | None, results: bool) -> list[dict[str, Any]]:
        info = kind_info(kind)
        items: list[dict[str, Any]] = self.rest.request("GET", _path(info, namespace))["items"]
        for item in items:
            item.setdefault("apiVersion", info.api_version)
            item.setdefault("kind", info.kind)
        return items if results or info.plural != "pods" else [strip_results(i) for i in items]

    def _prepare(self, info: KindInfo, obj: dict[str, Any]) -> dict[str, Any]:
        obj = orjson.loads(orjson.dumps(obj))
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise BadRequestError(f"a {info.kind} must be a JSON object", {"body": "invalid"})
        obj.setdefault("apiVersion", info.api_version)
        obj.setdefault("kind", info.kind)
        if info.plural == "pods":
            spec = obj.setdefault("spec", {})
            if not spec.get("nodeName"):
                spec.setdefault("schedulerName", SCHEDULER_NAME)
        return obj

    def _namespace(self, info: KindInfo, obj: dict[str, Any]) -> str | None:
        if not info.namespaced:
            return None
        return str((obj.get("metadata") or {}).get("namespace") or "default")

    def create(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        info = kind_info(kind)
        obj = self._prepare(info, obj)
        namespace = self._namespace(info, obj)
        created = self.rest.request("POST", _path(info, namespace), obj)
        return self._settle(info, created)

    def apply(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        info = kind_info(kind)
        obj = self._prepare(info, obj)
        namespace = self._namespace(info, obj)
        name = str((obj.get("metadata") or {}).get("name") or "")
        try:
            current = self.rest.request("GET", _path(info, namespace, name))
        except NotFoundError:
            return self.create(kind, obj)
        obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        updated = self.rest.request("PUT", _path(info, namespace, name), obj)
        return self._settle(info, updated)

    def _settle(self, info: KindInfo, obj: dict[str, Any]) -> dict[str, Any]:
        """Schedule what the change made schedulable, then read the object back."""
        if info.plural in ("pods", "nodes"):
            self._schedule_pending()
            meta = obj["metadata"]
            fresh: dict[str, Any] = self.rest.request(
                "GET", _path(info, meta.get("namespace"), meta["name"])
            )
            return fresh
        return obj

    def delete(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        info = kind_info(kind)
        deleted: dict[str, Any] = self.rest.request("DELETE", _path(info, namespace, name))
        if info.plural == "pods":
            self._schedule_pending()
        return deleted

    # -- scheduling --------------------------------------------------------------------------

    def _schedule_pending(self) -> None:
        with self.lock:
            pods = self.rest.request("GET", "/api/v1/pods")["items"]
            pending = [
                p
                for p in pods
                if not (p.get("spec") or {}).get("nodeName")
                and (p.get("spec") or {}).get("schedulerName") == SCHEDULER_NAME
            ]
            if not pending:
                return
            table = NodeTable()
            scheduler = Scheduler(table, self._config(), seed=self.seed)
            offline = self.unreachable()
            for node in self.rest.request("GET", "/api/v1/nodes")["items"]:
                row = sync_node(table, node)
                if node["metadata"]["name"] in offline:
                    table.set_taints(row, [*table.taints[row], UNREACHABLE])
            for pod in pods:
                node_name = (pod.get("spec") or {}).get("nodeName")
                if node_name and node_name in table.row_of:
                    meta = pod["metadata"]
                    scheduler.assume(
                        node_name, pod_request(pod), f"{meta['namespace']}/{meta['name']}"
                    )
            pending.sort(key=lambda p: -int((p.get("spec") or {}).get("priority") or 0))
            for pod in pending:
                self._schedule_one(scheduler, pod)

    def _schedule_one(self, scheduler: Scheduler, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        spread = controller_selector(pod, self._find)
        request = pod_request(pod, default_spread=spread)
        schedule_pod(scheduler, pod, request, key, _RestBinder(self.rest))

    def _find(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.rest.request(
                "GET", _path(kind_info(plural), namespace, name)
            )
        except NotFoundError:
            return None
        return found

    # -- reset, export, import ---------------------------------------------------------------

    def reset(self) -> None:
        if not self.allow_reset:
            raise UnsupportedError(
                "reset on the kubernetes backend deletes every pod, node, volume, claim, class "
                "and namespace of the cluster; connect with allow_reset=True to allow it"
            )
        for plural in (
            "pods",
            "persistentvolumeclaims",
            "persistentvolumes",
            "nodes",
            "storageclasses",
            "priorityclasses",
            "namespaces",
        ):
            info = kind_info(plural)
            for obj in self.rest.request("GET", _path(info))["items"]:
                meta = obj["metadata"]
                if plural == "namespaces" and (
                    meta["name"].startswith("kube-") or meta["name"] == "default"
                ):
                    continue
                if plural == "priorityclasses" and meta["name"].startswith("system-"):
                    continue
                with contextlib.suppress(NotFoundError):
                    self.rest.request("DELETE", _path(info, meta.get("namespace"), meta["name"]))
        namespace, name = CONFIG_MAP
        with contextlib.suppress(NotFoundError):
            self.rest.request("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/{name}")

    def export(self) -> ResourcesForLoad:
        return export_resources(
            lambda plural: self.list(plural, None, results=True), self.get_config()
        )

    def import_(self, resources: ResourcesForLoad) -> ImportResult:
        warnings: list[str] = []
        if resources.scheduler_config is not None:
            config, warnings = lenient_config(resources.scheduler_config)
            self.update_config(config)
        claim_uids: dict[str, str] = {}
        for plural, raw in import_plan(resources):
            info = kind_info(plural)
            obj = self._prepare(info, raw)
            if plural == "persistentvolumes":
                fix_claim_ref(obj, claim_uids)
            namespace = self._namespace(info, obj)
            name = str(obj["metadata"].get("name", ""))
            try:
                current = self.rest.request("GET", _path(info, namespace, name))
                obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                stored = self.rest.request("PUT", _path(info, namespace, name), obj)
            except NotFoundError:
                stored = self.rest.request("POST", _path(info, namespace), obj)
            if plural == "persistentvolumeclaims":
                claim_uids[f"{namespace}/{name}"] = stored["metadata"]["uid"]
        self._schedule_pending()
        return ImportResult(warnings=warnings)

    # -- watch -------------------------------------------------------------------------------

    def watch(self, versions: dict[str, str | None], timeout: float | None) -> Iterator[WatchEvent]:
        events: queue.Queue[WatchEvent | BaseException | None] = queue.Queue()

        def follow(plural: str) -> None:
            info = SIMULATOR_KINDS[plural]
            try:
                version = versions.get(plural)
                if not version:
                    listed = self.rest.request("GET", _path(info))
                    for item in listed["items"]:
                        item.setdefault("apiVersion", info.api_version)
                        item.setdefault("kind", info.kind)
                        events.put(
                            WatchEvent(kind=plural, event_type="ADDED", obj=KubeObject(item))
                        )
                    version = listed["metadata"]["resourceVersion"]
                query = [("watch", "1"), ("resourceVersion", str(version))]
                if timeout is not None:
                    query.append(("timeoutSeconds", str(max(1, int(timeout)))))
                for event in self.rest.stream(_path(info), query, timeout):
                    if event.get("type") == "ERROR":
                        status = event.get("object") or {}
                        raise ExpiredError(
                            str(status.get("message", "watch expired")),
                            {"resourceVersion": str(version)},
                        )
                    if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                        events.put(
                            WatchEvent(
                                kind=plural,
                                event_type=event["type"],
                                obj=KubeObject(event["object"]),
                            )
                        )
            except BaseException as exc:  # handed to the consumer
                events.put(exc)
            finally:
                events.put(None)

        threads = [threading.Thread(target=follow, args=(p,), daemon=True) for p in SIMULATOR_KINDS]
        for thread in threads:
            thread.start()
        running = len(threads)
        while running:
            item = events.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item


class _RestBinder:
    """A scheduling cycle's effects through the API server."""

    def __init__(self, rest: Any) -> None:
        self.rest = rest

    @staticmethod
    def _base(pod: dict[str, Any]) -> str:
        meta = pod["metadata"]
        return f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"

    def evict(self, key: str, node: str) -> None:
        namespace, name = key.split("/", 1)
        with contextlib.suppress(NotFoundError):
            self.rest.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}")

    def nominate(self, pod: dict[str, Any], node: str) -> dict[str, Any]:
        patch = {"status": {"nominatedNodeName": node}}
        updated: dict[str, Any] = self.rest.request(
            "PATCH", f"{self._base(pod)}/status", patch, content_type=_MERGE
        )
        return updated

    def _annotate(self, pod: dict[str, Any], result: ScheduleResult) -> None:
        annotations = result.annotations(ANNOTATION_PREFIX)
        self.rest.request(
            "PATCH",
            self._base(pod),
            {"metadata": {"annotations": annotations}},
            content_type=_MERGE,
        )

    def bind(self, pod: dict[str, Any], node: str, result: ScheduleResult) -> None:
        self._annotate(pod, result)
        meta = pod["metadata"]
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }
        self.rest.request("POST", f"{self._base(pod)}/binding", binding)

    def unschedulable(self, pod: dict[str, Any], result: ScheduleResult) -> None:
        self._annotate(pod, result)
        status = unschedulable_status(pod.get("status") or {}, result.message, _now())
        self.rest.request(
            "PATCH", f"{self._base(pod)}/status", {"status": status}, content_type=_MERGE
        )


_MERGE = "application/merge-patch+json"
