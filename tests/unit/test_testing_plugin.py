"""``k8sedge.testing``: the pytest plugin users test their own code with."""

from __future__ import annotations

import pytest

import k8sedge
from k8sedge.testing import cluster, served

pytest_plugins = ["pytester"]


def test_the_plugin_gives_a_cluster_and_its_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import k8sedge

        def test_a_node_goes_offline(k8sedge_client, k8sedge_clock):
            node = k8sedge_client.edge.nodes.register(name="edge-1", address="10.0.0.1")
            k8sedge_client.edge.nodes.heartbeat(node.id)
            k8sedge_clock.advance(60)
            assert k8sedge_client.edge.nodes.get(node.id).status == "offline"

        def test_over_http(k8sedge_server):
            with k8sedge.connect(k8sedge_server.url, token=k8sedge_server.token) as client:
                client.edge.nodes.register(name="edge-1", address="10.0.0.1")
            assert k8sedge_server.client.edge.nodes.list().pagination.total == 1
        """
    )
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=2)


def test_context_managers_outside_pytest() -> None:
    with cluster() as (client, clock):
        node = client.edge.nodes.register(name="edge-1", address="10.0.0.1")
        clock.advance(60)
        assert client.edge.nodes.get(node.id).status is k8sedge.NodeStatus.OFFLINE
    with served() as server:
        assert server.client.edge.health().status == "healthy"
        assert server.url.startswith("http://127.0.0.1:")
