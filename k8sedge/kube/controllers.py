"""Workload controllers of the memory cluster: Deployments own ReplicaSets, ReplicaSets,
StatefulSets and Jobs own pods, as kube-controller-manager's controllers do.

Pods in the simulated cluster are ready as soon as they are bound, so a Deployment's rolling
update completes in one pass: a ReplicaSet per pod-template hash, the current one scaled to
``spec.replicas`` and the old ones to zero. A pod deleted from a ReplicaSet (or preempted) is
replaced, which is what users of the scheduler simulator ask for.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Protocol

import orjson

from .store import ADDED, DELETED, MODIFIED, copy_object

__all__ = ["Controllers"]


class Writer(Protocol):
    """What the controllers need from the service that owns the store."""

    def find(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None: ...

    def items(self, plural: str, namespace: str | None) -> list[dict[str, Any]]: ...

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    def delete(self, plural: str, name: str, namespace: str | None) -> None: ...


def _hash(template: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(template, option=orjson.OPT_SORT_KEYS)).hexdigest()[:10]


def _owner(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    uid = owner["metadata"].get("uid")
    return any(
        ref.get("uid") == uid and ref.get("controller")
        for ref in obj["metadata"].get("ownerReferences") or ()
    )


class Controllers:
    """Reacts to changes of workload objects and of the pods they own."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self._busy = False

    def changed(self, plural: str, event: str, obj: dict[str, Any]) -> None:
        if self._busy:  # changes made by a controller are reconciled by that controller
            return
        self._busy = True
        try:
            if plural == "deployments" and event != DELETED:
                self._deployment(obj)
            elif plural in ("replicasets", "statefulsets", "jobs") and event != DELETED:
                self._pods_of(plural, obj)
            elif event == DELETED:
                self._orphaned(plural, obj)
            if plural == "pods" and event in (DELETED, MODIFIED, ADDED):
                self._pod_changed(obj, event)
        finally:
            self._busy = False

    # -- deployments -------------------------------------------------------------------------

    def _deployment(self, deployment: dict[str, Any]) -> None:
        writer, meta = self.writer, deployment["metadata"]
        namespace = meta["namespace"]
        spec = deployment.get("spec") or {}
        template = copy_object(spec.get("template") or {})
        template_hash = _hash(template)
        replicas = int(spec.get("replicas", 1))
        current_name = f"{meta['name']}-{template_hash}"
        owned = [rs for rs in writer.items("replicasets", namespace) if _owned_by(rs, deployment)]
        for rs in owned:
            if rs["metadata"]["name"] != current_name and (rs.get("spec") or {}).get("replicas"):
                scaled = copy_object(rs)
                scaled["spec"]["replicas"] = 0
                self._pods_of("replicasets", writer.update("replicasets", scaled))
        current = writer.find("replicasets", current_name, namespace)
        if current is None:
            labels = {
                **(template.get("metadata") or {}).get("labels", {}),
                "pod-template-hash": template_hash,
            }
            template.setdefault("metadata", {})["labels"] = labels
            selector = copy_object(spec.get("selector") or {"matchLabels": {}})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = template_hash
            current = writer.create(
                "replicasets",
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "metadata": {
                        "name": current_name,
                        "namespace": namespace,
                        "labels": labels,
                        "ownerReferences": [_owner(deployment)],
                    },
                    "spec": {"replicas": replicas, "selector": selector, "template": template},
                },
            )
        elif (current.get("spec") or {}).get("replicas") != replicas:
            scaled = copy_object(current)
            scaled["spec"]["replicas"] = replicas
            current = writer.update("replicasets", scaled)
        ready = self._pods_of("replicasets", current)
        status = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, replicas - ready),
        }
        if deployment.get("status") != status:
            updated = copy_object(deployment)
            updated["status"] = status
            writer.update("deployments", updated)

    # -- pods of replica sets, stateful sets and jobs ----------------------------------------

    def _pods_of(self, plural: str, owner: dict[str, Any]) -> int:
        """Create or delete pods to match the owner; returns how many are scheduled."""
        writer, meta = self.writer, owner["metadata"]
        namespace = meta["namespace"]
        spec = owner.get("spec") or {}
        if plural == "jobs":
            wanted = int(spec.get("parallelism", 1) or 1)
        else:
            wanted = int(spec.get("replicas", 1))
        pods = [p for p in writer.items("pods", namespace) if _owned_by(p, owner)]
        template = spec.get("template") or {}
        names = {p["metadata"]["name"] for p in pods}
        for ordinal in range(max(0, wanted - len(pods)) if plural != "statefulsets" else wanted):
            if plural == "statefulsets":
                name = f"{meta['name']}-{ordinal}"
                if name in names:
                    continue
            else:
                name = f"{meta['name']}-{uuid.uuid4().hex[:5]}"  # generateName, as upstream
            pod = copy_object(template)
            pod_meta = pod.setdefault("metadata", {})
            pod_meta.update(
                {"name": name, "namespace": namespace, "ownerReferences": [_owner(owner)]}
            )
            pod["apiVersion"], pod["kind"] = "v1", "Pod"
            if plural == "statefulsets":
                pod.setdefault("spec", {})["hostname"] = name
            names.add(name)
            pods.append(writer.create("pods", pod))
        if plural != "statefulsets" and len(pods) > wanted:
            surplus = sorted(
                pods,
                key=lambda p: (bool((p.get("spec") or {}).get("nodeName")), p["metadata"]["name"]),
            )[: len(pods) - wanted]
            for pod in surplus:
                writer.delete("pods", pod["metadata"]["name"], namespace)
                pods.remove(pod)
        if plural == "statefulsets":
            for pod in [
                p
                for p in pods
                if int(
                    p["metadata"]["name"].rsplit("-", 1)[-1]
                    if p["metadata"]["name"].rsplit("-", 1)[-1].isdigit()
                    else 0
                )
                >= wanted
            ]:
                writer.delete("pods", pod["metadata"]["name"], namespace)
                pods.remove(pod)
        ready = sum(1 for p in pods if (p.get("spec") or {}).get("nodeName"))
        status = {
            "replicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": meta.get("generation", 1),
        }
        if plural == "jobs":
            status = {"active": len(pods)}
        current = writer.find(plural, meta["name"], namespace)
        if current is not None and current.get("status") != status:
            updated = copy_object(current)
            updated["status"] = status
            writer.update(plural, updated)
        return ready

    def _pod_changed(self, pod: dict[str, Any], event: str) -> None:
        """A pod of a controller went away or changed: its owner reconciles."""
        namespace = pod["metadata"].get("namespace")
        for ref in pod["metadata"].get("ownerReferences") or ():
            plural = {
                "ReplicaSet": "replicasets",
                "StatefulSet": "statefulsets",
                "Job": "jobs",
            }.get(str(ref.get("kind")))
            owner = self.writer.find(plural, ref["name"], namespace) if plural else None
            if plural and owner is not None and owner["metadata"].get("uid") == ref.get("uid"):
                self._pods_of(plural, owner)
                self._owner_deployment(owner)

    def _owner_deployment(self, rs: dict[str, Any]) -> None:
        for ref in rs["metadata"].get("ownerReferences") or ():
            if ref.get("kind") == "Deployment":
                deployment = self.writer.find(
                    "deployments", ref["name"], rs["metadata"]["namespace"]
                )
                if deployment is not None:
                    self._deployment(deployment)

    def _orphaned(self, plural: str, owner: dict[str, Any]) -> None:
        """Garbage collection: dependents of a deleted owner are deleted (background)."""
        children = {
            "deployments": "replicasets",
            "replicasets": "pods",
            "statefulsets": "pods",
            "jobs": "pods",
        }.get(plural)
        if children is None:
            return
        namespace = owner["metadata"].get("namespace")
        for child in self.writer.items(children, namespace):
            if _owned_by(child, owner):
                self.writer.delete(children, child["metadata"]["name"], namespace)
                self._orphaned(children, child)
