"""Servers for the hostile tests: a real uvicorn socket on 127.0.0.1 per test, the memory
backend on a manual clock, and a snapshot of everything stored (to assert that a refused
request changed nothing)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from attrs import define

import k8sedge
from k8sedge import ManualClock
from k8sedge.kubeapi import create_kube_app
from k8sedge.server import create_app
from k8sedge.server.threaded import serve_in_thread

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (.ci/run installs Debian's kubernetes-client)"
)


@define
class Served:
    url: str
    token: str
    backend: k8sedge.MemoryBackend
    app: Any
    http: httpx.Client

    def snapshot(self) -> Any:
        """Every stored object (resource versions included) and every edge record."""
        cluster = self.backend.cluster
        with cluster.lock:
            objects = {
                plural: sorted(
                    (o["metadata"].get("namespace", ""), o["metadata"]["name"], str(o))
                    for o in cluster.store.items(plural)
                )
                for plural in cluster.store.objects
            }
            workloads = sorted((w.id, w.replicas, w.image) for w in cluster.workloads)
            return objects, workloads, cluster.store.version


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_688_169_600.0)


@pytest.fixture
def backend(clock: ManualClock) -> k8sedge.MemoryBackend:
    return k8sedge.MemoryBackend(clock=clock)


@pytest.fixture
def served(backend: k8sedge.MemoryBackend) -> Iterator[Served]:
    """The documented APIs on a socket (rate limits off unless a test sets its own)."""
    app = create_app(backend, rate_limit="off")
    with serve_in_thread(app) as url:
        headers = {"Authorization": f"Bearer {app.state.admin_token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            yield Served(url, app.state.admin_token, backend, app, http)


@pytest.fixture
def kube(backend: k8sedge.MemoryBackend) -> Iterator[Served]:
    """The Kubernetes API facade on a socket, over the same cluster."""
    app = create_kube_app(backend.cluster)
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield Served(url, "", backend, app, http)
