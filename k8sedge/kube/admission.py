"""What the API server does to an object between validation and storage: defaulting
(``pkg/apis/*/v1/defaults.go`` for the workload kinds, Services, Namespaces, Jobs'
generated selector), ClusterIP and NodePort allocation, and the NamespaceLifecycle
admission plugin (no new content in a terminating namespace; ``default``,
``kube-system`` and ``kube-public`` may not be deleted).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from typing import Any

from ..errors import ForbiddenError
from .kinds import KINDS
from .store import ObjectStore
from .validation import InvalidError

__all__ = [
    "IMMORTAL_NAMESPACES",
    "SERVICE_CIDR",
    "admit",
    "forbid_namespace_deletion",
]

SERVICE_CIDR = "10.96.0.0/12"  # kube-apiserver's --service-cluster-ip-range in kubeadm/kind
NODE_PORTS = range(30000, 32768)
NAME_LABEL = "kubernetes.io/metadata.name"  # on every namespace (GA in v1.22)
IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
JOB_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    return spec


def _defaults(plural: str, obj: dict[str, Any]) -> None:
    spec = _spec(obj) if plural not in ("namespaces",) else obj.setdefault("spec", {})
    if plural in ("deployments", "replicasets", "statefulsets"):
        spec.setdefault("replicas", 1)
    if plural == "deployments":
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
    elif plural == "statefulsets":
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault(
            "persistentVolumeClaimRetentionPolicy",
            {"whenDeleted": "Retain", "whenScaled": "Retain"},
        )
    elif plural == "daemonsets":
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        spec.setdefault("revisionHistoryLimit", 10)
    elif plural == "jobs":
        _job_defaults(obj, spec)
    elif plural == "cronjobs":
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_spec = (spec.get("jobTemplate") or {}).get("spec")
        if isinstance(job_spec, dict):
            _job_spec_defaults(job_spec)
    elif plural == "services":
        _service_defaults(spec)
        obj.setdefault("status", {"loadBalancer": {}})


def _job_spec_defaults(spec: dict[str, Any]) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault(
        "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )


def _job_defaults(obj: dict[str, Any], spec: dict[str, Any]) -> None:
    _job_spec_defaults(spec)
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if not obj["metadata"].get("labels") and isinstance(template_labels, dict):
        obj["metadata"]["labels"] = dict(template_labels)


def _job_selector(obj: dict[str, Any], uid: str) -> None:
    """``generateSelector``: a Job's pods are selected by its uid (unless ``manualSelector``)."""
    spec = _spec(obj)
    if spec.get("manualSelector"):
        return
    name = str(obj["metadata"].get("name") or obj["metadata"].get("generateName") or "")
    template = spec.setdefault("template", {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    for key in JOB_UID_LABELS:
        labels.setdefault(key, uid)
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, name)
    if spec.get("selector") is None:
        spec["selector"] = {"matchLabels": {JOB_UID_LABELS[0]: uid}}
    if not obj["metadata"].get("labels"):
        obj["metadata"]["labels"] = {k: labels[k] for k in (*JOB_UID_LABELS, *JOB_NAME_LABELS)}


def _service_defaults(spec: dict[str, Any]) -> None:
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)


def _invalid(plural: str, obj: dict[str, Any], field: str, message: str) -> InvalidError:
    return InvalidError(KINDS[plural], str(obj["metadata"].get("name", "")), [(field, message)])


def _used_ips(store: ObjectStore, skip: tuple[str, str] | None) -> set[str]:
    used = set()
    for svc in store.items("services"):
        meta = svc["metadata"]
        if skip == (meta.get("namespace"), meta["name"]):
            continue
        for ip in (svc.get("spec") or {}).get("clusterIPs") or [
            (svc.get("spec") or {}).get("clusterIP")
        ]:
            if ip and ip != "None":
                used.add(str(ip))
    return used


def _used_ports(store: ObjectStore, skip: tuple[str, str] | None) -> set[int]:
    used = set()
    for svc in store.items("services"):
        meta = svc["metadata"]
        if skip == (meta.get("namespace"), meta["name"]):
            continue
        for port in (svc.get("spec") or {}).get("ports") or ():
            if isinstance(port, dict) and port.get("nodePort"):
                used.add(int(port["nodePort"]))
    return used


def _allocate_ip(obj: dict[str, Any], store: ObjectStore, cidr: str) -> None:
    """``spec.clusterIP``/``clusterIPs``: the requested address if it is free and in range,
    else the first free one (a headless ``None`` and ExternalName get none)."""
    spec = _spec(obj)
    if spec["type"] == "ExternalName":
        return
    requested = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
    network = ipaddress.ip_network(cidr)
    meta = obj["metadata"]
    used = _used_ips(store, (meta.get("namespace"), meta["name"]))
    if requested == "None":
        spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
    elif requested:
        try:
            address = ipaddress.ip_address(str(requested))
        except ValueError:
            raise _invalid(
                "services",
                obj,
                "spec.clusterIPs[0]",
                f"Invalid value: {requested!r}: must be a valid IP address, "
                "(e.g. 10.9.8.7 or 2001:db8::ffff)",
            ) from None
        if address not in network or address in (
            network.network_address,
            network.broadcast_address,
        ):
            raise _invalid(
                "services",
                obj,
                "spec.clusterIPs",
                f'Invalid value: ["{requested}"]: failed to allocate IP {requested}: the provided '
                f"IP ({requested}) is not in the valid range. The range of valid IPs is {cidr}",
            )
        if str(address) in used:
            raise _invalid(
                "services",
                obj,
                "spec.clusterIPs",
                f'Invalid value: ["{requested}"]: failed to allocate IP {requested}: provided IP '
                "is already allocated",
            )
        spec["clusterIP"], spec["clusterIPs"] = str(address), [str(address)]
    else:
        free = next((str(a) for a in network.hosts() if str(a) not in used), None)
        if free is None:
            raise _invalid(
                "services",
                obj,
                "spec.clusterIPs",
                "Internal error: failed to allocate a serviceIP: range is full",
            )
        spec["clusterIP"], spec["clusterIPs"] = free, [free]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")


def _allocate_node_ports(obj: dict[str, Any], store: ObjectStore, ports: Iterable[Any]) -> None:
    spec = _spec(obj)
    if spec["type"] not in ("NodePort", "LoadBalancer"):
        return
    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False:
        return
    meta = obj["metadata"]
    used = _used_ports(store, (meta.get("namespace"), meta["name"]))
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        wanted = port.get("nodePort")
        if wanted:
            if int(wanted) not in NODE_PORTS:
                raise _invalid(
                    "services",
                    obj,
                    f"spec.ports[{i}].nodePort",
                    f"Invalid value: {wanted}: provided port is not in the valid range. The "
                    "range of valid ports is 30000-32767",
                )
            if int(wanted) in used:
                raise _invalid(
                    "services",
                    obj,
                    f"spec.ports[{i}].nodePort",
                    f"Invalid value: {wanted}: provided port is already allocated",
                )
            used.add(int(wanted))
            continue
        free = next((p for p in NODE_PORTS if p not in used), None)
        if free is None:
            raise _invalid("services", obj, f"spec.ports[{i}].nodePort", "range is full")
        port["nodePort"] = free
        used.add(free)


def _service(
    obj: dict[str, Any], existing: dict[str, Any] | None, store: ObjectStore, cidr: str
) -> None:
    spec = _spec(obj)
    if existing is not None:
        old = existing.get("spec") or {}
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if spec.get(key) in (None, "", []) and old.get(key) is not None:
                spec[key] = old[key]
        old_ports = {
            (p.get("port"), p.get("protocol")): p.get("nodePort") for p in old.get("ports") or ()
        }
        for port in spec.get("ports") or ():
            if isinstance(port, dict) and not port.get("nodePort"):
                kept = old_ports.get((port.get("port"), port.get("protocol")))
                if kept and spec["type"] in ("NodePort", "LoadBalancer"):
                    port["nodePort"] = kept
        if (
            old.get("clusterIP")
            and spec.get("clusterIP") != old.get("clusterIP")
            and old.get("type") != "ExternalName"
            and spec["type"] != "ExternalName"
        ):
            raise _invalid(
                "services",
                obj,
                "spec.clusterIPs[0]",
                f"Invalid value: {spec.get('clusterIP')!r}: may not change once set",
            )
    if not spec.get("clusterIP") or existing is None:
        _allocate_ip(obj, store, cidr)
    _allocate_node_ports(obj, store, spec.get("ports") or ())


def forbid_namespace_deletion(name: str) -> None:
    """NamespaceLifecycle: the system namespaces stay."""
    if name in IMMORTAL_NAMESPACES:
        raise ForbiddenError(
            f'namespaces "{name}" is forbidden: this namespace may not be deleted',
            {"reason": "Forbidden", "name": name, "kind": "namespaces"},
        )


def admit(
    plural: str,
    obj: dict[str, Any],
    existing: dict[str, Any] | None,
    store: ObjectStore,
    *,
    service_cidr: str = SERVICE_CIDR,
) -> str | None:
    """Default, allocate and check ``obj`` (in place) before it is stored over ``existing``
    (None on create). Returns the uid a new object must get (None: any)."""
    info = KINDS[plural]
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    if info.namespaced and existing is None:
        home = store.find("namespaces", namespace)
        if home is not None and home["metadata"].get("deletionTimestamp"):
            raise ForbiddenError(
                f'{plural} "{meta.get("name", "")}" is forbidden: unable to create new content '
                f"in namespace {namespace} because it is being terminated",
                {
                    "reason": "Forbidden",
                    "name": meta.get("name", ""),
                    "kind": plural,
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )
    _defaults(plural, obj)
    uid = None
    if plural == "namespaces":
        # kube-apiserver's Canonicalize: the label always names the namespace
        labels = meta.get("labels")
        meta["labels"] = {**(labels if isinstance(labels, dict) else {}), NAME_LABEL: meta["name"]}
        spec = obj["spec"]
        if existing is None:
            spec.setdefault("finalizers", ["kubernetes"])
            obj.setdefault("status", {})["phase"] = "Active"
        else:
            if "finalizers" not in spec and (existing.get("spec") or {}).get("finalizers"):
                spec["finalizers"] = list(existing["spec"]["finalizers"])
            if existing["metadata"].get("deletionTimestamp"):
                status = obj.get("status")
                obj["status"] = {
                    **(status if isinstance(status, dict) else {}),
                    "phase": "Terminating",
                }

    elif plural == "jobs":
        uid = str(existing["metadata"]["uid"]) if existing is not None else str(uuid.uuid4())
        _job_selector(obj, uid)
    elif plural == "services":
        _service(obj, existing, store, service_cidr)
    return uid if existing is None else None
