"""Edge operations shared by every backend that keeps metrics and tokens itself (memory,
kubernetes): recording samples, windowed queries, and reading a token's claims."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ...errors import BadRequestError
from ...memory.metrics import FIELDS, MetricsStore, Window
from ...timeutil import parse_duration, to_datetime
from .models import (
    AggregatedMetrics,
    ContainerMetrics,
    MetricPoint,
    MetricsSample,
    NodeMetrics,
    NodeMetricsSummary,
    RecordResult,
    TokenValidation,
    Workload,
    WorkloadStatus,
)

MAX_METRIC = float(2**53)  # the largest value a metric may have (exact in a float)

__all__ = [
    "aggregate_view",
    "node_metrics_view",
    "record_samples",
    "token_validation",
    "window",
    "workload_view",
]


def _points(series: list[tuple[float, float]]) -> list[MetricPoint]:
    return [MetricPoint(timestamp=to_datetime(t), value=v) for t, v in series]


def _sample_values(sample: MetricsSample) -> list[float]:
    network = sample.network
    raw: dict[str, float | None] = {
        "cpu_usage": sample.cpu_usage,
        "memory_usage": sample.memory_usage,
        "memory_total": sample.memory_total,
        "disk_usage": sample.disk_usage,
        "disk_total": sample.disk_total,
        "network_rx_bytes": None if network is None else float(network.rx_bytes),
        "network_tx_bytes": None if network is None else float(network.tx_bytes),
    }
    for name, value in raw.items():
        if value is not None and value < 0:
            raise BadRequestError(f"{name} must not be negative", {name: "must not be negative"})
        if value is not None and not value <= MAX_METRIC:  # sums of them stay finite
            raise BadRequestError(
                f"{name} must be at most 2^53", {name: "must be a finite number up to 2^53"}
            )
    return [math.nan if (v := raw[f]) is None else float(v) for f in FIELDS]


def record_samples(
    store: MetricsStore, node_id: str, samples: Sequence[MetricsSample], now: float
) -> RecordResult:
    """Validate and store samples of one node; ``timestamp`` defaults to ``now``."""
    if not samples:
        raise BadRequestError("no samples given", {"samples": "must not be empty"})
    values = [_sample_values(s) for s in samples]
    stamps = [now if s.timestamp is None else s.timestamp.timestamp() for s in samples]
    if len(samples) == 1:
        store.append(node_id, stamps[0], values[0], now)
    else:
        store.extend(node_id, np.asarray(stamps), np.asarray(values).T, now)
    if samples[-1].containers:
        store.latest_containers[node_id] = [
            {"name": c.name, "cpu_usage": c.cpu_usage, "memory_usage": c.memory_usage}
            for c in samples[-1].containers
        ]
    return RecordResult(success=True, recorded_at=to_datetime(stamps[-1]))


def window(now: float, timeframe: str, resolution: str) -> Window:
    return Window(
        now,
        parse_duration(timeframe, field="timeframe"),
        parse_duration(resolution, field="resolution"),
    )


def node_metrics_view(
    store: MetricsStore,
    node_id: str,
    node_name: str,
    query: Window,
    timeframe: str,
    resolution: str,
) -> NodeMetrics:
    series = store.node_series(node_id, query)
    containers: list[dict[str, Any]] = store.latest_containers.get(node_id, [])
    return NodeMetrics(
        node_id=node_id,
        node_name=node_name,
        timeframe=timeframe,
        resolution=resolution,
        metrics={name: _points(points) for name, points in series.items()},
        containers=[ContainerMetrics(**c) for c in containers],
    )


def aggregate_view(
    store: MetricsStore, names: Mapping[str, str], query: Window, timeframe: str, resolution: str
) -> AggregatedMetrics:
    """Cross-node aggregates; ``names`` maps the ids of the nodes that still exist to names."""
    series, per_node = store.aggregate(query)
    summaries = {
        node_id: NodeMetricsSummary(
            name=names[node_id],
            cpu_usage_avg=values.get("cpu_usage"),
            memory_usage_avg=values.get("memory_usage"),
        )
        for node_id, values in per_node.items()
        if node_id in names
    }
    return AggregatedMetrics(
        timeframe=timeframe,
        resolution=resolution,
        nodes_count=len(summaries),
        aggregated={f"{name}_avg": _points(points) for name, points in series.items()},
        nodes=summaries,
    )


def token_validation(
    claims: dict[str, Any] | None, reason: str | None, node_exists: Callable[[str], bool]
) -> TokenValidation:
    """The answer of ``validate`` for decoded claims (or the reason they are not valid)."""
    if claims is None:
        return TokenValidation(valid=False, reason=reason)
    subject = str(claims["sub"])
    scope = str(claims.get("scope", "node"))
    if scope == "node" and not node_exists(subject):
        return TokenValidation(valid=False, node_id=subject, reason="unknown node")
    return TokenValidation(
        valid=True,
        node_id=subject if scope == "node" else None,
        expires_at=to_datetime(float(claims["exp"])),
        scope=scope,
    )


def workload_view(
    spec: Any,
    *,
    workload_id: str,
    status: WorkloadStatus,
    message: str | None,
    nodes: list[str],
    ready: int,
    revision: int,
    deployment_id: str | None,
    created_at: float,
    updated_at: float,
) -> Workload:
    """A workload as the API answers it; ``spec`` is anything with the spec's fields (the
    stored ``WorkloadSpec``, or the memory cluster's record)."""
    return Workload(
        id=workload_id,
        name=spec.name,
        namespace=spec.namespace,
        type=spec.type,
        image=spec.image,
        replicas=spec.replicas,
        resources=spec.resources,
        placement=spec.placement,
        status=status,
        nodes=nodes,
        ready_replicas=ready,
        message=message,
        revision=revision,
        deployment_id=deployment_id,
        created_at=to_datetime(created_at),
        updated_at=to_datetime(updated_at),
    )
