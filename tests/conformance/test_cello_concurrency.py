"""Users applying at once never get the same cluster: real threads, on every backend, and
across replicas of a server on one Kubernetes cluster."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.kubeapi import create_kube_app, write_kubeconfig

from .test_cello import pool

USERS = 10
CAPACITY = 6


def race(apply: Callable[[str], str], users: list[str]) -> tuple[dict[str, str], list[str]]:
    """Every user applies at the same moment, from its own thread: ``({user: cluster id},
    [users refused])``."""
    barrier = threading.Barrier(len(users))
    got: dict[str, str] = {}
    refused: list[str] = []
    errors: list[BaseException] = []

    def run(user: str) -> None:
        barrier.wait()
        try:
            got[user] = apply(user)
        except k8sedge.BadRequestError as exc:
            assert exc.message == f"No available res for {user}"
            refused.append(user)
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return got, refused


def test_users_applying_at_once_never_share_a_cluster(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    pool(any_client, clock, capacity=CAPACITY)
    users = [f"user-{i}" for i in range(USERS)]
    got, refused = race(lambda user: any_client.cello.apply(user_id=user).id, users)
    assert len(got) == CAPACITY and len(set(got.values())) == CAPACITY
    assert len(refused) == USERS - CAPACITY
    holders = {c.id: c.user_id for c in any_client.cello.clusters.list()}
    assert holders == {cluster: user for user, cluster in got.items()}


@pytest.fixture
def replicas(
    request: pytest.FixtureRequest,
    memory_backend: k8sedge.MemoryBackend,
    tmp_path: Path,
    clock: ManualClock,
) -> Iterator[list[k8sedge.Client]]:
    """Two kubernetes backends (two replicas of a server: their own locks and state) on one
    cluster (the Kubernetes API facade over the memory cluster)."""
    switch, url = request.getfixturevalue("socket_server")
    switch.app = create_kube_app(memory_backend.cluster)
    config = write_kubeconfig(tmp_path / "kubeconfig", url)
    clients = [
        k8sedge.connect("kubernetes://k8sedge", kubeconfig=str(config), clock=clock)
        for _ in range(2)
    ]
    yield clients
    for client in clients:
        client.close()


def test_replicas_on_one_kubernetes_cluster_never_share_a_cluster(
    replicas: list[k8sedge.Client], clock: ManualClock
) -> None:
    first, second = replicas
    pool(first, clock, capacity=CAPACITY)
    users = [f"user-{i}" for i in range(USERS)]

    def apply(user: str) -> str:
        replica = first if int(user.rsplit("-", 1)[1]) % 2 else second
        cluster: Any = replica.cello.apply(user_id=user)
        return str(cluster.id)

    got, refused = race(apply, users)
    assert len(got) == CAPACITY and len(set(got.values())) == CAPACITY
    assert len(refused) == USERS - CAPACITY
    assert {c.id: c.user_id for c in second.cello.clusters.list()} == {
        cluster: user for user, cluster in got.items()
    }
