"""Shared fixtures: a manual clock and a ``client`` parametrised over every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import k8sedge
from k8sedge import ManualClock

BACKENDS = ["memory"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def memory_backend(clock: ManualClock) -> k8sedge.MemoryBackend:
    return k8sedge.MemoryBackend(clock=clock, rollout_interval=1.0, grace_period=40.0)


@pytest.fixture(params=BACKENDS)
def client(
    request: pytest.FixtureRequest, memory_backend: k8sedge.MemoryBackend
) -> Iterator[k8sedge.Client]:
    """A client on each backend, all driven by the same memory cluster and clock."""
    kind = request.param
    if kind == "memory":
        with k8sedge.Client(memory_backend) as c:
            yield c
    else:  # pragma: no cover - extended by the http backend
        raise AssertionError(kind)
