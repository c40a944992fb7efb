"""kube-scheduler's non-zero requests: ``resourcehelper.PodRequests`` with
``NonMissingContainerRequests`` of 100m CPU and 200Mi memory.

The defaults apply per container (and per init container) and only where the request is
*missing*; an explicit ``"0"`` stays 0. Scoring (NodeResourcesFit's strategies) and the
node's ``NonZeroRequested`` use these amounts; filtering uses the real requests.
"""

from __future__ import annotations

from typing import Any

from ..quantity import engine_units
from .types import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, PodRequest

__all__ = ["nonzero_requests"]

_DEFAULTS = (("cpu", DEFAULT_MILLI_CPU_REQUEST), ("memory", DEFAULT_MEMORY_REQUEST))


def _container(container: Any) -> tuple[int, int]:
    resources = (container.get("resources") if isinstance(container, dict) else None) or {}
    merged = dict(resources.get("limits") or {})  # a missing request defaults to its limit
    merged.update(resources.get("requests") or {})
    out = []
    for name, default in _DEFAULTS:
        raw = merged.get(name)
        out.append(default if raw is None else engine_units(raw, milli=name == "cpu"))
    return out[0], out[1]


def _from_spec(spec: dict[str, Any]) -> tuple[int, int]:
    cpu = mem = 0
    for container in spec.get("containers") or ():
        c, m = _container(container)
        cpu += c
        mem += m
    sidecar_cpu = sidecar_mem = 0
    init_cpu = init_mem = 0
    for container in spec.get("initContainers") or ():
        c, m = _container(container)
        if isinstance(container, dict) and container.get("restartPolicy") == "Always":
            cpu += c
            mem += m
            sidecar_cpu += c
            sidecar_mem += m
            c, m = sidecar_cpu, sidecar_mem
        else:
            c, m = c + sidecar_cpu, m + sidecar_mem
        init_cpu = max(init_cpu, c)
        init_mem = max(init_mem, m)
    cpu = max(cpu, init_cpu)
    mem = max(mem, init_mem)
    for name, raw in (spec.get("overhead") or {}).items():
        if name == "cpu":
            cpu += engine_units(raw, milli=True)
        elif name == "memory":
            mem += engine_units(raw, milli=False)
    return cpu, mem


def nonzero_requests(pod: PodRequest) -> tuple[int, int]:
    """The pod's non-zero (cpu millicores, memory bytes), computed once per ``PodRequest``.

    From the pod JSON when the request carries it; otherwise the summed requests stand for
    a single container (a missing or zero amount gets the default).
    """
    cached = pod.nonzero
    if cached is not None:
        return cached
    source = pod.source
    spec = source.get("spec") if isinstance(source, dict) else None
    if isinstance(spec, dict):
        value = _from_spec(spec)
    else:
        value = (
            pod.requests.get("cpu") or DEFAULT_MILLI_CPU_REQUEST,
            pod.requests.get("memory") or DEFAULT_MEMORY_REQUEST,
        )
    object.__setattr__(pod, "nonzero", value)
    return value
