"""Test your own code against a simulated cluster, as moto users test against AWS.

Installed with k8sedge, this module is a pytest plugin (no ``conftest.py`` needed):

- ``k8sedge_clock``: a ``ManualClock``; ``advance(seconds)`` moves heartbeats, liveness,
  rollouts, token expiry and metric windows forward without sleeping.
- ``k8sedge_client``: a ``k8sedge.Client`` on a fresh memory cluster driven by that clock.
- ``k8sedge_server``: the same cluster served by ``k8sedge serve``'s app on a real socket on
  127.0.0.1 (needs ``k8sedge[server]``): ``.url``, ``.token`` (an admin token) and
  ``.client`` (an http client of it), for code that talks HTTP.

Outside pytest, ``cluster()`` and ``served()`` give the same as context managers::

    from k8sedge.testing import cluster

    with cluster() as (client, clock):
        node = client.edge.nodes.register(name="edge-1", address="10.0.0.1")
        clock.advance(60)
        assert client.edge.nodes.get(node.id).status == "offline"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from attrs import frozen

from ._client import Client
from .backends.memory import MemoryBackend
from .clock import ManualClock

__all__ = ["Served", "cluster", "served"]

START = 1_700_000_000.0  # a fixed moment, so that tests are reproducible


@frozen
class Served:
    """A memory cluster served over HTTP on 127.0.0.1."""

    url: str
    token: str
    client: Client
    backend: MemoryBackend


@contextmanager
def cluster(
    clock: ManualClock | None = None, **options: Any
) -> Iterator[tuple[Client, ManualClock]]:
    """A client on a fresh memory cluster and the ``ManualClock`` that drives it."""
    clock = clock or ManualClock(START)
    with Client(MemoryBackend(clock=clock, **options)) as client:
        yield client, clock


@contextmanager
def served(clock: ManualClock | None = None, **options: Any) -> Iterator[Served]:
    """A fresh memory cluster behind the server, on a real socket (rate limit off)."""
    try:
        from .backends.http import HttpBackend
        from .server import create_app
        from .server.threaded import serve_in_thread
    except ImportError as exc:
        from .errors import UnsupportedError

        raise UnsupportedError(
            f"served() needs the server extra: pip install 'k8sedge[server]' ({exc})"
        ) from exc

    backend = MemoryBackend(clock=clock or ManualClock(START), **options)
    app = create_app(backend, rate_limit="off")
    with serve_in_thread(app) as url:
        token = app.state.admin_token
        with Client(HttpBackend(url, token=token)) as client:
            yield Served(url=url, token=token, client=client, backend=backend)


try:  # the pytest plugin (this module is registered under the ``pytest11`` entry point)
    import pytest
except ImportError:  # pragma: no cover - pytest is not installed
    pass
else:

    @pytest.fixture
    def k8sedge_clock() -> ManualClock:
        """A ``ManualClock`` at a fixed moment."""
        return ManualClock(START)

    @pytest.fixture
    def k8sedge_client(k8sedge_clock: ManualClock) -> Iterator[Client]:
        """A client on a fresh memory cluster driven by ``k8sedge_clock``."""
        with cluster(k8sedge_clock) as (client, _):
            yield client

    @pytest.fixture
    def k8sedge_server(k8sedge_clock: ManualClock) -> Iterator[Served]:
        """A fresh memory cluster served over HTTP on 127.0.0.1, driven by ``k8sedge_clock``."""
        with served(k8sedge_clock) as server:
            yield server
