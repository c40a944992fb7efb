"""Server-side printing: ``Table`` answers for ``kubectl get``, with the columns kube-apiserver
prints for each kind (ported from kubernetes ``pkg/printers/internalversion/printers.go``,
v1.32): every served kind, and Service, ServiceAccount, DaemonSet, CronJob,
PodDisruptionBudget and Event as soon as the registry has them. Other kinds get name and age.

Rows carry the object as ``includeObject`` asks: ``Metadata`` (default, a
``PartialObjectMetadata``), ``Object`` (whole, for ``kubectl get --sort-by``) or ``None``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["COLUMNS", "human_duration", "table_for"]

Row = Callable[[dict[str, Any], float], list[Any]]


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _epoch(timestamp: Any) -> float | None:
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _since(timestamp: Any, now: float) -> str:
    """``translateTimestampSince``: ``<unknown>`` for no time."""
    when = _epoch(timestamp)
    return "<unknown>" if when is None else human_duration(now - when)


def _age(obj: dict[str, Any], now: float) -> str:
    return _since(obj["metadata"].get("creationTimestamp"), now)


def _column(name: str, priority: int = 0, kind: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "format": "name" if name == "Name" else "",
        "description": name,
        "priority": priority,
    }


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``."""
    if not isinstance(selector, dict):
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


def _labels(labels: Any) -> str:
    if not isinstance(labels, dict) or not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _template(obj: dict[str, Any]) -> tuple[str, str]:
    """Container names and images of a workload's pod template."""
    pod_spec = (_spec(obj).get("template") or {}).get("spec") or {}
    containers = [c for c in pod_spec.get("containers") or () if isinstance(c, dict)]
    return (
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    )


def _condition(obj: dict[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in _status(obj).get("conditions") or ()
        if isinstance(c, dict)
    )


# -- workloads ----------------------------------------------------------------------------------


def _pod_row(pod: dict[str, Any], now: float) -> list[Any]:
    spec, status = _spec(pod), _status(pod)
    meta = pod["metadata"]
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for condition in status.get("conditions") or ():
        if condition.get("type") == "PodScheduled" and condition.get("reason") == (
            "SchedulingGated"
        ):
            reason = "SchedulingGated"
    restarts, ready, running = 0, 0, False
    statuses = [c for c in status.get("containerStatuses") or () if isinstance(c, dict)]
    for container in reversed(statuses):
        restarts += _int(container.get("restartCount"))
        state = container.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if isinstance(waiting, dict) and waiting.get("reason"):
            reason = waiting["reason"]
        elif isinstance(terminated, dict) and terminated.get("reason"):
            reason = terminated["reason"]
        elif isinstance(terminated, dict):
            signal = _int(terminated.get("signal"))
            code = _int(terminated.get("exitCode"))
            reason = f"Signal:{signal}" if signal else f"ExitCode:{code}"
        elif container.get("ready") and state.get("running") is not None:
            running = True
            ready += 1
    if reason == "Completed" and running:
        reason = "Running" if _condition(pod, "Ready") else "NotReady"
    containers = spec.get("containers") or []
    if not statuses and phase == "Running" and _condition(pod, "Ready"):
        ready = len(containers)  # the simulated kubelet reports readiness by condition only
    if meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    ips = status.get("podIPs") or []
    ip = (ips[0].get("ip") if ips and isinstance(ips[0], dict) else None) or status.get("podIP")
    gates = spec.get("readinessGates") or []
    gated = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
        true = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        gated = f"{true}/{len(gates)}"
    return [
        meta["name"],
        f"{ready}/{len(containers)}",
        reason or "Pending",
        str(restarts),
        _age(pod, now),
        ip or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gated,
    ]


def _deployment_row(obj: dict[str, Any], now: float) -> list[Any]:
    status = _status(obj)
    names, images = _template(obj)
    desired = _spec(obj).get("replicas")
    return [
        obj["metadata"]["name"],
        f"{_int(status.get('readyReplicas'))}/{_int(1 if desired is None else desired)}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _age(obj, now),
        names,
        images,
        _selector(_spec(obj).get("selector")),
    ]


def _replicaset_row(obj: dict[str, Any], now: float) -> list[Any]:
    status = _status(obj)
    names, images = _template(obj)
    desired = _spec(obj).get("replicas")
    return [
        obj["metadata"]["name"],
        _int(1 if desired is None else desired),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _age(obj, now),
        names,
        images,
        _selector(_spec(obj).get("selector")),
    ]


def _statefulset_row(obj: dict[str, Any], now: float) -> list[Any]:
    names, images = _template(obj)
    desired = _spec(obj).get("replicas")
    ready = _int(_status(obj).get("readyReplicas"))
    return [
        obj["metadata"]["name"],
        f"{ready}/{_int(1 if desired is None else desired)}",
        _age(obj, now),
        names,
        images,
    ]


def _daemonset_row(obj: dict[str, Any], now: float) -> list[Any]:
    status = _status(obj)
    names, images = _template(obj)
    node_selector = ((_spec(obj).get("template") or {}).get("spec") or {}).get("nodeSelector")
    return [
        obj["metadata"]["name"],
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        _labels(node_selector),
        _age(obj, now),
        names,
        images,
        _selector(_spec(obj).get("selector")),
    ]


def _job_status(obj: dict[str, Any]) -> str:
    if _condition(obj, "Complete"):
        return "Complete"
    if _condition(obj, "Failed"):
        return "Failed"
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _condition(obj, kind):
            return kind
    return "Running"


def _job_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _template(obj)
    succeeded = _int(status.get("succeeded"))
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    if completions is not None:
        done = f"{succeeded}/{_int(completions)}"
    elif parallelism is not None and _int(parallelism) > 1:
        done = f"{succeeded}/1 of {_int(parallelism)}"
    else:
        done = f"{succeeded}/1"
    start, end = _epoch(status.get("startTime")), _epoch(status.get("completionTime"))
    took = "" if start is None else human_duration((now if end is None else end) - start)
    return [
        obj["metadata"]["name"],
        _job_status(obj),
        done,
        took,
        _age(obj, now),
        names,
        images,
        _selector(spec.get("selector")),
    ]


def _cronjob_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    containers = ((job_spec.get("template") or {}).get("spec") or {}).get("containers") or []
    last = status.get("lastScheduleTime")
    return [
        obj["metadata"]["name"],
        spec.get("schedule") or "",
        spec.get("timeZone") or "<none>",
        bool(spec.get("suspend")),
        len(status.get("active") or []),
        _since(last, now) if last else "<none>",
        _age(obj, now),
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
        _selector(job_spec.get("selector")),
    ]


def _pdb_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec = _spec(obj)
    least, most = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [
        obj["metadata"]["name"],
        "N/A" if least is None else str(least),
        "N/A" if most is None else str(most),
        _int(_status(obj).get("disruptionsAllowed")),
        _age(obj, now),
    ]


# -- services and configuration -----------------------------------------------------------------


def _service_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec = _spec(obj)
    kind = spec.get("type") or "ClusterIP"
    external = list(spec.get("externalIPs") or [])
    if kind == "LoadBalancer":
        ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
        external += [i.get("ip") or i.get("hostname") for i in ingress if isinstance(i, dict)]
        shown = ",".join(str(e) for e in external if e) or "<pending>"
    elif kind == "ExternalName":
        shown = spec.get("externalName") or "<none>"
    else:
        shown = ",".join(external) or "<none>"
    ports = []
    for port in spec.get("ports") or ():
        protocol = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            ports.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            ports.append(f"{port.get('port')}/{protocol}")
    return [
        obj["metadata"]["name"],
        kind,
        spec.get("clusterIP") or "<none>",
        shown,
        ",".join(ports) or "<none>",
        _age(obj, now),
        _labels(spec.get("selector")),
    ]


def _event_row(obj: dict[str, Any], now: float) -> list[Any]:
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    series = obj.get("series") or {}
    last = (
        series.get("lastObservedTime")
        or obj.get("lastTimestamp")
        or obj.get("eventTime")
        or obj.get("deprecatedLastTimestamp")
    )
    first = obj.get("firstTimestamp") or obj.get("eventTime") or obj.get("deprecatedFirstTimestamp")
    source = obj.get("source") or obj.get("deprecatedSource") or {}
    origin = source.get("component") or obj.get("reportingController") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    count = series.get("count") or obj.get("count") or obj.get("deprecatedCount") or 1
    return [
        _since(last, now),
        obj.get("type") or "",
        obj.get("reason") or "",
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        involved.get("fieldPath") or "",
        f"{origin}, {host}" if host else origin,
        (obj.get("message") or obj.get("note") or "").strip(),
        _since(first, now),
        str(count),
        obj["metadata"]["name"],
    ]


def _node_row(node: dict[str, Any], now: float) -> list[Any]:
    meta, status = node["metadata"], _status(node)
    ready = "Unknown"
    for condition in status.get("conditions") or ():
        if condition.get("type") == "Ready":
            ready = "Ready" if condition.get("status") == "True" else "NotReady"
    if not status.get("conditions"):
        ready = "Ready"  # a node written without conditions is taken as ready by the engine
    if _spec(node).get("unschedulable"):
        ready += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1]
        for k in (meta.get("labels") or {})
        if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1]
    )
    role = (meta.get("labels") or {}).get("kubernetes.io/role")
    if role:
        roles.append(role)
    info = status.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or ()}
    return [
        meta["name"],
        ready,
        ",".join(roles) or "<none>",
        _age(node, now),
        info.get("kubeletVersion") or "",
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _access_modes(modes: Any) -> str:
    short = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    return ",".join(short.get(m, m) for m in modes or ())


def _pv_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    claim = spec.get("claimRef") or {}
    return [
        obj["metadata"]["name"],
        str((spec.get("capacity") or {}).get("storage", "")),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "Retain",
        status.get("phase") or "Pending",
        f"{claim.get('namespace')}/{claim.get('name')}" if claim.get("name") else "",
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason") or "",
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _pvc_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    bound = status.get("phase") == "Bound"
    return [
        obj["metadata"]["name"],
        status.get("phase") or "Pending",
        spec.get("volumeName") or "",
        str((status.get("capacity") or {}).get("storage", "")) if bound else "",
        _access_modes(status.get("accessModes")) if bound else "",
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _storageclass_row(obj: dict[str, Any], now: float) -> list[Any]:
    annotations = obj["metadata"].get("annotations") or {}
    name = obj["metadata"]["name"]
    if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        obj.get("provisioner") or "",
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion")),
        _age(obj, now),
    ]


def _name_row(*cells: Callable[[dict[str, Any]], Any]) -> Row:
    def row(obj: dict[str, Any], now: float) -> list[Any]:
        return [obj["metadata"]["name"], *(cell(obj) for cell in cells), _age(obj, now)]

    return row


def _name_age(obj: dict[str, Any], now: float) -> list[Any]:
    return [obj["metadata"]["name"], _age(obj, now)]


def _c(*names: str, wide: tuple[str, ...] = (), ints: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [_column(n, kind="integer" if n in ints else "string") for n in names] + [
        _column(n, 1) for n in wide
    ]


_WORKLOAD_WIDE = ("Containers", "Images", "Selector")
COLUMNS: dict[str, tuple[list[dict[str, Any]], Row]] = {
    "pods": (
        _c(
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            wide=("IP", "Node", "Nominated Node", "Readiness Gates"),
        ),
        _pod_row,
    ),
    "nodes": (
        _c(
            "Name",
            "Status",
            "Roles",
            "Age",
            "Version",
            wide=("Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"),
        ),
        _node_row,
    ),
    "namespaces": (
        _c("Name", "Status", "Age"),
        _name_row(lambda o: _status(o).get("phase") or "Active"),
    ),
    "deployments": (
        _c(
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            wide=_WORKLOAD_WIDE,
            ints=("Up-to-date", "Available"),
        ),
        _deployment_row,
    ),
    "replicasets": (
        _c(
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Age",
            wide=_WORKLOAD_WIDE,
            ints=("Desired", "Current", "Ready"),
        ),
        _replicaset_row,
    ),
    "statefulsets": (_c("Name", "Ready", "Age", wide=("Containers", "Images")), _statefulset_row),
    "daemonsets": (
        _c(
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age",
            wide=_WORKLOAD_WIDE,
            ints=("Desired", "Current", "Ready", "Up-to-date", "Available"),
        ),
        _daemonset_row,
    ),
    "jobs": (
        _c("Name", "Status", "Completions", "Duration", "Age", wide=_WORKLOAD_WIDE),
        _job_row,
    ),
    "cronjobs": (
        [
            *_c("Name", "Schedule", "Timezone"),
            _column("Suspend", kind="boolean"),
            *_c("Active", "Last Schedule", "Age", wide=_WORKLOAD_WIDE, ints=("Active",)),
        ],
        _cronjob_row,
    ),
    "poddisruptionbudgets": (
        _c(
            "Name",
            "Min Available",
            "Max Unavailable",
            "Allowed Disruptions",
            "Age",
            ints=("Allowed Disruptions",),
        ),
        _pdb_row,
    ),
    "services": (
        _c("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", wide=("Selector",)),
        _service_row,
    ),
    "serviceaccounts": (
        _c("Name", "Secrets", "Age", ints=("Secrets",)),
        _name_row(lambda o: len(o.get("secrets") or [])),
    ),
    "events": (
        _c("Last Seen", "Type", "Reason", "Object", wide=("Subobject", "Source"))
        + _c("Message")
        + _c(wide=("First Seen", "Count", "Name")),
        _event_row,
    ),
    "configmaps": (
        _c("Name", "Data", "Age", ints=("Data",)),
        _name_row(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
    ),
    "secrets": (
        _c("Name", "Type", "Data", "Age", ints=("Data",)),
        _name_row(lambda o: o.get("type") or "Opaque", lambda o: len(o.get("data") or {})),
    ),
    "persistentvolumes": (
        _c(
            "Name",
            "Capacity",
            "Access Modes",
            "Reclaim Policy",
            "Status",
            "Claim",
            "StorageClass",
            "VolumeAttributesClass",
            "Reason",
            "Age",
            wide=("VolumeMode",),
        ),
        _pv_row,
    ),
    "persistentvolumeclaims": (
        _c(
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            wide=("VolumeMode",),
        ),
        _pvc_row,
    ),
    "storageclasses": (
        [
            *_c("Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode"),
            _column("AllowVolumeExpansion", kind="boolean"),
            _column("Age"),
        ],
        _storageclass_row,
    ),
    "priorityclasses": (
        [
            *_c("Name", "Value", ints=("Value",)),
            _column("Global-Default", kind="boolean"),
            _column("Age"),
            _column("PreemptionPolicy"),
        ],
        lambda o, n: [
            o["metadata"]["name"],
            _int(o.get("value")),
            bool(o.get("globalDefault")),
            _age(o, n),
            o.get("preemptionPolicy") or "PreemptLowerPriority",
        ],
    ),
    "leases": (
        _c("Name", "Holder", "Age"),
        _name_row(lambda o: _spec(o).get("holderIdentity") or ""),
    ),
}


def table_for(
    plural: str,
    items: list[dict[str, Any]],
    resource_version: str,
    now: float | None = None,
    include: str = "Metadata",
    *,
    columns: bool = True,
) -> dict[str, Any]:
    """A ``Table`` of ``items`` of one kind (``include``: ``Metadata``, ``Object``, ``None``;
    ``columns=False`` leaves the column definitions out, as later watch events do)."""
    now = time.time() if now is None else now
    definitions, row = COLUMNS.get(plural, (_c("Name", "Age"), _name_age))
    rows = []
    for item in items:
        entry: dict[str, Any] = {"cells": row(item, now)}
        if include == "Object":
            entry["object"] = item
        elif include != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": item["metadata"],
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions if columns else [],
        "rows": rows,
    }
