"""``simulator.compare``: one scenario under several configurations — on every backend."""

from __future__ import annotations

import asyncio

import pytest

import k8sedge

BIN_PACKING = {
    "profiles": [
        {
            "schedulerName": "default-scheduler",
            "plugins": {
                "score": {
                    "disabled": [
                        {"name": "PodTopologySpread"},
                        {"name": "NodeResourcesBalancedAllocation"},
                    ]
                }
            },
            "pluginConfig": [
                {
                    "name": "NodeResourcesFit",
                    "args": {
                        "scoringStrategy": {
                            "type": "MostAllocated",
                            "resources": [
                                {"name": "cpu", "weight": 1},
                                {"name": "memory", "weight": 1},
                            ],
                        }
                    },
                }
            ],
        }
    ]
}


def _scenario(client: k8sedge.Client) -> None:
    for i in range(3):
        client.simulator.nodes.create(
            {
                "metadata": {"name": f"node-{i}", "labels": {"kubernetes.io/hostname": f"n{i}"}},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
        )
    for i in range(4):
        client.simulator.pods.create(
            {
                "metadata": {"name": f"pod-{i}"},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "1"}}}
                    ]
                },
            }
        )
    client.simulator.pods.create(
        {
            "metadata": {"name": "too-big"},
            "spec": {
                "containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "9"}}}]
            },
        }
    )


def test_compare_schedules_the_scenario_under_each_configuration(
    any_client: k8sedge.Client,
) -> None:
    _scenario(any_client)
    before = any_client.simulator.export()
    comparison = any_client.simulator.compare({"default": {}, "bin-packing": BIN_PACKING})
    assert comparison.names == ["default", "bin-packing"]
    spread = comparison.outcomes["default"].pods_per_node()
    packed = comparison.outcomes["bin-packing"].pods_per_node()
    assert sum(spread.values()) == sum(packed.values()) == 4
    assert len(packed) == 1 and len(spread) == 3
    for outcome in comparison.outcomes.values():
        assert outcome.unschedulable == ["default/too-big"]
        assert "Insufficient cpu" in outcome.messages["default/too-big"]
        node = outcome.placements["default/pod-0"]
        assert node is not None
        assert "NodeResourcesFit" in outcome.scores["default/pod-0"][node]
    assert set(comparison.differences()) <= {f"default/pod-{i}" for i in range(4)}
    assert comparison.differences()
    # the simulator itself is untouched
    assert any_client.simulator.export().pods == before.pods


def test_compare_on_given_resources_and_to_pandas(client: k8sedge.Client) -> None:
    _scenario(client)
    scenario = client.simulator.export().to_dict()
    client.simulator.reset()
    comparison = client.simulator.compare([{}, BIN_PACKING], scenario)
    frame = comparison.to_pandas()
    assert set(frame["config"]) == {"config-0", "config-1"}
    assert len(frame) == 10
    placed = frame[frame["node"].notna()]
    assert (placed["NodeResourcesFit"] >= 0).all()


def test_a_bad_configuration_is_refused_before_any_work(client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.BadRequestError):
        client.simulator.compare(
            {"bad": {"profiles": [{"plugins": {"score": {"enabled": [{"name": "Nope"}]}}}]}}
        )


def test_compare_on_the_async_client(memory_backend: k8sedge.MemoryBackend) -> None:
    _scenario(k8sedge.Client(memory_backend))

    async def scenario() -> k8sedge.Comparison:
        async with k8sedge.AsyncClient(memory_backend) as client:
            return await client.simulator.compare({"default": {}, "packed": BIN_PACKING})

    comparison = asyncio.run(scenario())
    assert len(comparison.outcomes["packed"].pods_per_node()) == 1
