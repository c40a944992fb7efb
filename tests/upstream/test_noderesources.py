"""Ported from kubernetes/kubernetes pkg/scheduler/framework/plugins/noderesources/*_test.go
(v1.28-v1.32 behaviour): NodeResourcesFit (filter; LeastAllocated, MostAllocated and
RequestedToCapacityRatio scoring) and NodeResourcesBalancedAllocation.

Score tables call the plugin's Score directly upstream (no Filter), so the profile runs the
plugin at preScore and score only. Cases that test argument validation errors are in
``test_config_validation.py``; cases needing feature gates newer than v1.32 (best-effort
skip, DRA extended resources, numeric toleration operators) are left out.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run, scores

DEFAULT = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
EXTENDED = "intel.com/foo"
EXTENDED_SET = [*DEFAULT, {"name": EXTENDED, "weight": 1}]


def cap(cpu: str, memory: str, **extra: str) -> dict[str, str]:
    return {"cpu": cpu, "memory": memory, **{k.replace("_", "/"): v for k, v in extra.items()}}


def fit_scores(strategy: dict[str, Any], nodes: list[Any], incoming: Any, existing: Any) -> Any:
    config = only("NodeResourcesFit", {"scoringStrategy": strategy}, points=("preScore", "score"))
    result = run(config, nodes, incoming, existing)
    return scores(result, "NodeResourcesFit", normalized=False)


N1, N2 = "node1", "node2"
REQ_3000_5000 = [{"cpu": "1000", "memory": "2000"}, {"cpu": "2000", "memory": "3000"}]

# pkg/scheduler/framework/plugins/noderesources/least_allocated_test.go: TestLeastAllocatedScoringStrategy  # noqa: E501
LEAST_ALLOCATED = [
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("4000", "10000"))],
        pod(),
        [],
        DEFAULT,
        {N1: 100, N2: 100},
        id="nothing scheduled, nothing requested",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("6000", "10000"))],
        pod(req=REQ_3000_5000),
        [],
        DEFAULT,
        {N1: 37, N2: 50},
        id="nothing scheduled, resources requested, differently sized nodes",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("4000", "10000"))],
        pod(),
        [pod(node=N1), pod(node=N1), pod(node=N2), pod(node=N2)],
        DEFAULT,
        {N1: 100, N2: 100},
        id="no resources requested, pods scheduled",
    ),
    pytest.param(
        [node(N1, capacity=cap("10000", "20000")), node(N2, capacity=cap("10000", "20000"))],
        pod(),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 70, N2: 57},
        id="no resources requested, pods scheduled with resources",
    ),
    pytest.param(
        [node(N1, capacity=cap("10000", "20000")), node(N2, capacity=cap("10000", "20000"))],
        pod(req=REQ_3000_5000),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 57, N2: 45},
        id="resources requested, pods scheduled with resources",
    ),
    pytest.param(
        [node(N1, capacity=cap("10000", "20000")), node(N2, capacity=cap("10000", "50000"))],
        pod(req=REQ_3000_5000),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 57, N2: 60},
        id="resources requested, pods scheduled with resources, differently sized nodes",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("4000", "10000"))],
        pod(req=[{"cpu": "3000", "memory": "0"}]),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 50, N2: 25},
        id="requested resources exceed node capacity",
    ),
    pytest.param(
        [node(N1), node(N2)],
        pod(),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 0, N2: 0},
        id="zero node resources, pods scheduled with resources",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("6000", "10000"))],
        pod(req=REQ_3000_5000),
        [],
        [{"name": "memory", "weight": 2}, {"name": "cpu", "weight": 1}],
        {N1: 41, N2: 50},
        id="nothing scheduled, resources requested with different weight on CPU and memory, "
        "differently sized nodes",
    ),
    pytest.param(
        [
            node(N1, capacity=cap("6000", "10000")),
            node(N2, capacity={**cap("6000", "10000"), EXTENDED: "4"}),
        ],
        pod(req=REQ_3000_5000),
        [],
        EXTENDED_SET,
        {N1: 50, N2: 50},
        id="bypass extended resource if the pod does not request",
    ),
    pytest.param(
        [
            node(N1, capacity={**cap("6000", "10000"), EXTENDED: "4"}),
            node(N2, capacity={**cap("6000", "10000"), EXTENDED: "10"}),
        ],
        pod(req=[{"cpu": "3000", "memory": "5000", EXTENDED: "2"}]),
        [],
        EXTENDED_SET,
        {N1: 50, N2: 60},
        id="honor extended resource if the pod requests",
    ),
    pytest.param(
        [
            node(N1, capacity=cap("6000", "10000")),
            node(N2, capacity={**cap("6000", "10000"), EXTENDED: "4"}),
        ],
        pod(req=[{"cpu": "3000", "memory": "4000"}]),
        [],
        [{"name": EXTENDED, "weight": 2}, *DEFAULT],
        {N1: 55, N2: 55},
        id="if the node doesn't have a resource",
    ),
]


@pytest.mark.parametrize(("nodes", "incoming", "existing", "resources", "want"), LEAST_ALLOCATED)
def test_least_allocated(
    nodes: Any, incoming: Any, existing: Any, resources: Any, want: Any
) -> None:
    strategy = {"type": "LeastAllocated", "resources": resources}
    assert fit_scores(strategy, nodes, incoming, existing) == want


# pkg/scheduler/framework/plugins/noderesources/most_allocated_test.go: TestMostAllocatedScoringStrategy  # noqa: E501
MOST_ALLOCATED = [
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("4000", "10000"))],
        pod(),
        [],
        DEFAULT,
        {N1: 0, N2: 0},
        id="nothing scheduled, nothing requested",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("6000", "10000"))],
        pod(req=REQ_3000_5000),
        [],
        DEFAULT,
        {N1: 62, N2: 50},
        id="nothing scheduled, resources requested, differently sized nodes",
    ),
    pytest.param(
        [node(N1, capacity=cap("10000", "20000")), node(N2, capacity=cap("10000", "20000"))],
        pod(),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 30, N2: 42},
        id="no resources requested, pods scheduled with resources",
    ),
    pytest.param(
        [node(N1, capacity=cap("10000", "20000")), node(N2, capacity=cap("10000", "20000"))],
        pod(req=REQ_3000_5000),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "0"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        {N1: 42, N2: 55},
        id="resources requested, pods scheduled with resources",
    ),
    pytest.param(
        [node(N1, capacity=cap("5000", "10000")), node(N2, capacity=cap("10000", "9000"))],
        pod(req=[{"cpu": "2000", "memory": "4000"}, {"cpu": "3000", "memory": "5000"}]),
        [],
        DEFAULT,
        {N1: 95, N2: 75},
        id="resources requested equal node capacity",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("6000", "10000"))],
        pod(req=REQ_3000_5000),
        [],
        [{"name": "memory", "weight": 2}, {"name": "cpu", "weight": 1}],
        {N1: 58, N2: 50},
        id="nothing scheduled, resources requested, differently sized nodes (weighted)",
    ),
    pytest.param(
        [node(N1, capacity=cap("250m", "1000Mi")), node(N2, capacity=cap("250m", "1000Mi"))],
        pod(req=[None]),
        [pod(node=N1, req=[None]), pod(node=N1, req=[None])],
        DEFAULT,
        {N1: 80, N2: 30},
        id="no resources requested, pods scheduled, nonzero request for resource",
    ),
    pytest.param(
        [
            node(N1, capacity=cap("6000", "10000")),
            node(N2, capacity={**cap("6000", "10000"), EXTENDED: "4"}),
        ],
        pod(req=REQ_3000_5000),
        [],
        EXTENDED_SET,
        {N1: 50, N2: 50},
        id="bypass extended resource if the pod does not request",
    ),
    pytest.param(
        [
            node(N1, capacity={**cap("6000", "10000"), EXTENDED: "4"}),
            node(N2, capacity={**cap("6000", "10000"), EXTENDED: "10"}),
        ],
        pod(req=[{"cpu": "3000", "memory": "5000", EXTENDED: "2"}]),
        [],
        EXTENDED_SET,
        {N1: 50, N2: 40},
        id="honor extended resource if the pod request",
    ),
    pytest.param(
        [
            node(N1, capacity=cap("6000", "10000")),
            node(N2, capacity={**cap("6000", "10000"), EXTENDED: "4"}),
        ],
        pod(req=[{"cpu": "3000", "memory": "4000"}]),
        [],
        [{"name": EXTENDED, "weight": 2}, *DEFAULT],
        {N1: 45, N2: 45},
        id="if the node doesn't have a resource",
    ),
]


@pytest.mark.parametrize(("nodes", "incoming", "existing", "resources", "want"), MOST_ALLOCATED)
def test_most_allocated(
    nodes: Any, incoming: Any, existing: Any, resources: Any, want: Any
) -> None:
    strategy = {"type": "MostAllocated", "resources": resources}
    assert fit_scores(strategy, nodes, incoming, existing) == want


LEAST_SHAPE = [{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}]
BIN_PACKING = [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 1}]
FOO, BAR = "intel.com/foo", "intel.com/bar"


def mk(name: str, milli_cpu: int, memory: int, extended: dict[str, int]) -> dict[str, Any]:
    """test_util.go's makeNode."""
    capacity = {k: str(v) for k, v in extended.items()}
    capacity.update({"cpu": f"{milli_cpu}m", "memory": str(memory)})
    return node(name, capacity=capacity)


MI = 1024 * 1024

# pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio_test.go
RATIO = [
    # TestRequestedToCapacityRatioScoringStrategy
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("4000", "10000"))],
        pod(),
        [pod(node=N1), pod(node=N1)],
        DEFAULT,
        LEAST_SHAPE,
        {N1: 100, N2: 100},
        id="TestRequestedToCapacityRatioScoringStrategy: nothing scheduled, nothing requested "
        "(default - least requested nodes have priority)",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("6000", "10000"))],
        pod(req=REQ_3000_5000),
        [pod(node=N1), pod(node=N1)],
        DEFAULT,
        LEAST_SHAPE,
        {N1: 38, N2: 50},
        id="TestRequestedToCapacityRatioScoringStrategy: nothing scheduled, resources requested, "
        "differently sized nodes (default - least requested nodes have priority)",
    ),
    pytest.param(
        [node(N1, capacity=cap("4000", "10000")), node(N2, capacity=cap("6000", "10000"))],
        pod(),
        [
            pod(node=N1, req=[{"cpu": "3000", "memory": "5000"}]),
            pod(node=N2, req=[{"cpu": "3000", "memory": "5000"}]),
        ],
        DEFAULT,
        LEAST_SHAPE,
        {N1: 38, N2: 50},
        id="TestRequestedToCapacityRatioScoringStrategy: no resources requested, pods scheduled "
        "with resources (default - least requested nodes have priority)",
    ),
    # TestResourceBinPackingSingleExtended
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8}), mk(N2, 4000, 10000 * MI, {FOO: 4})],
        pod(),
        [],
        [{"name": FOO, "weight": 1}],
        BIN_PACKING,
        {N1: 0, N2: 0},
        id="TestResourceBinPackingSingleExtended: nothing scheduled, nothing requested",
    ),
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8}), mk(N2, 4000, 10000 * MI, {FOO: 4})],
        pod(req=[{FOO: "2"}]),
        [pod()],
        [{"name": FOO, "weight": 1}],
        BIN_PACKING,
        {N1: 2, N2: 5},
        id="TestResourceBinPackingSingleExtended: resources requested, pods scheduled with "
        "less resources",
    ),
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8}), mk(N2, 4000, 10000 * MI, {FOO: 4})],
        pod(req=[{FOO: "2"}]),
        [pod(node=N2, req=[{FOO: "2"}])],
        [{"name": FOO, "weight": 1}],
        BIN_PACKING,
        {N1: 2, N2: 10},
        id="TestResourceBinPackingSingleExtended: resources requested, pods scheduled with "
        "resources, on node with existing pod running",
    ),
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8}), mk(N2, 4000, 10000 * MI, {FOO: 4})],
        pod(req=[{FOO: "4"}]),
        [pod()],
        [{"name": FOO, "weight": 1}],
        BIN_PACKING,
        {N1: 5, N2: 10},
        id="TestResourceBinPackingSingleExtended: resources requested, pods scheduled with "
        "more resources",
    ),
    # TestResourceBinPackingMultipleExtended
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8, BAR: 4}), mk(N2, 4000, 10000 * MI, {FOO: 4, BAR: 8})],
        pod(),
        [],
        [{"name": FOO, "weight": 3}, {"name": BAR, "weight": 5}],
        BIN_PACKING,
        {N1: 0, N2: 0},
        id="TestResourceBinPackingMultipleExtended: nothing scheduled, nothing requested",
    ),
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8, BAR: 4}), mk(N2, 4000, 10000 * MI, {FOO: 4, BAR: 8})],
        pod(req=[{FOO: "2", BAR: "2"}]),
        [pod()],
        [{"name": FOO, "weight": 3}, {"name": BAR, "weight": 5}],
        BIN_PACKING,
        {N1: 4, N2: 3},
        id="TestResourceBinPackingMultipleExtended: resources requested, pods scheduled with "
        "less resources",
    ),
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8, BAR: 4}), mk(N2, 4000, 10000 * MI, {FOO: 4, BAR: 8})],
        pod(req=[{FOO: "2", BAR: "2"}]),
        [pod(node=N2, req=[{FOO: "2", BAR: "2"}])],
        [{"name": FOO, "weight": 3}, {"name": BAR, "weight": 5}],
        BIN_PACKING,
        {N1: 4, N2: 7},
        id="TestResourceBinPackingMultipleExtended: resources requested, pods scheduled with "
        "resources, on node with existing pod running",
    ),
    pytest.param(
        [mk(N1, 4000, 10000 * MI, {FOO: 8, BAR: 4}), mk(N2, 4000, 10000 * MI, {FOO: 4, BAR: 8})],
        pod(req=[{FOO: "4", BAR: "2"}]),
        [pod()],
        [{"name": FOO, "weight": 3}, {"name": BAR, "weight": 5}],
        BIN_PACKING,
        {N1: 5, N2: 5},
        id="TestResourceBinPackingMultipleExtended: resources requested, pods scheduled with "
        "more resources",
    ),
]


@pytest.mark.parametrize(("nodes", "incoming", "existing", "resources", "shape", "want"), RATIO)
def test_requested_to_capacity_ratio(
    nodes: Any, incoming: Any, existing: Any, resources: Any, shape: Any, want: Any
) -> None:
    strategy = {
        "type": "RequestedToCapacityRatio",
        "resources": resources,
        "requestedToCapacityRatio": {"shape": shape},
    }
    assert fit_scores(strategy, nodes, incoming, existing) == want


CPU_ONLY = [{"cpu": "1000m", "memory": "0"}, {"cpu": "2000m", "memory": "0"}]
CPU_AND_MEMORY = [{"cpu": "1000m", "memory": "2000"}, {"cpu": "2000m", "memory": "3000"}]
CPU_MEMORY_GPU = [
    {"cpu": "1000m", "memory": "2000"},
    {"cpu": "2000m", "memory": "3000", "nvidia.com/gpu": "3"},
]
GPU = "nvidia.com/gpu"
WITH_GPU = [*DEFAULT, {"name": GPU, "weight": 1}]

# pkg/scheduler/framework/plugins/noderesources/balanced_allocation_test.go: TestNodeResourcesBalancedAllocation  # noqa: E501
BALANCED = [
    pytest.param(
        [mk(N1, 4000, 10000, {}), mk(N2, 6000, 10000, {})],
        pod(req=CPU_AND_MEMORY),
        [],
        DEFAULT,
        {N1: 87, N2: 100},
        id="nothing scheduled, resources requested, differently sized nodes",
    ),
    pytest.param(
        [mk(N1, 10000, 20000, {}), mk(N2, 10000, 20000, {})],
        pod(req=CPU_AND_MEMORY),
        [pod(node=N1, req=CPU_ONLY), pod(node=N2, req=CPU_AND_MEMORY)],
        DEFAULT,
        {N1: 82, N2: 95},
        id="resources requested, pods scheduled with resources",
    ),
    pytest.param(
        [mk(N1, 10000, 20000, {}), mk(N2, 10000, 50000, {})],
        pod(req=CPU_AND_MEMORY),
        [pod(node=N1, req=CPU_ONLY), pod(node=N2, req=CPU_AND_MEMORY)],
        DEFAULT,
        {N1: 82, N2: 80},
        id="resources requested, pods scheduled with resources, differently sized nodes",
    ),
    pytest.param(
        [mk(N1, 6000, 10000, {}), mk(N2, 6000, 10000, {})],
        pod(req=CPU_ONLY),
        [pod(node=N1, req=CPU_ONLY), pod(node=N2, req=CPU_AND_MEMORY)],
        DEFAULT,
        {N1: 50, N2: 75},
        id="requested resources at node capacity",
    ),
    pytest.param(
        [mk(N1, 3500, 40000, {GPU: 8}), mk(N2, 3500, 40000, {GPU: 8})],
        pod(req=[{"memory": "0", GPU: "1"}]),
        [pod(node=N2, req=CPU_AND_MEMORY), pod(node=N1, req=CPU_MEMORY_GPU)],
        WITH_GPU,
        {N1: 70, N2: 65},
        id="include scalar resource on a node for balanced resource allocation",
    ),
    pytest.param(
        [mk(N1, 3500, 40000, {GPU: 8}), mk(N2, 3500, 40000, {})],
        pod(req=CPU_AND_MEMORY),
        [],
        WITH_GPU,
        {N1: 63, N2: 63},
        id="node without the scalar resource should skip the scalar resource",
    ),
]


@pytest.mark.parametrize(("nodes", "incoming", "existing", "resources", "want"), BALANCED)
def test_balanced_allocation(
    nodes: Any, incoming: Any, existing: Any, resources: Any, want: Any
) -> None:
    config = only(
        "NodeResourcesBalancedAllocation", {"resources": resources}, points=("preScore", "score")
    )
    result = run(config, nodes, incoming, existing)
    assert scores(result, "NodeResourcesBalancedAllocation", normalized=False) == want


def fit_node(name: str = "machine1") -> dict[str, Any]:
    """TestEnoughRequests' node: makeAllocatableResources(10, 20, 32, 5, 20, 5)."""
    return node(
        name,
        capacity={
            "cpu": "10m",
            "memory": "20",
            "pods": "32",
            "example.com/aaa": "5",
            "ephemeral-storage": "20",
            "hugepages-2Mi": "5",
        },
    )


def res(cpu: int = 0, memory: int = 0, **scalar: int) -> dict[str, str]:
    out = {"cpu": f"{cpu}m", "memory": str(memory)}
    out.update({k: str(v) for k, v in scalar.items()})
    return out


A = "example.com/aaa"
B = "example.com/bbb"
K8S_A = "kubernetes.io/something"
K8S_B = "subdomain.kubernetes.io/something"
HUGE = "hugepages-2Mi"

# pkg/scheduler/framework/plugins/noderesources/fit_test.go: TestEnoughRequests
ENOUGH = [
    pytest.param(pod(), [res(10, 20)], [], None, id="no resources requested always fits"),
    pytest.param(
        pod(req=[res(1, 1)]),
        [res(10, 20)],
        [],
        ["Insufficient cpu", "Insufficient memory"],
        id="too many resources fails",
    ),
    pytest.param(
        pod(req=[res(1, 1)], init=[res(3, 1)]),
        [res(8, 19)],
        [],
        ["Insufficient cpu"],
        id="too many resources fails due to init container cpu",
    ),
    pytest.param(
        pod(req=[res(1, 1)], init=[res(3, 1), res(2, 1)]),
        [res(8, 19)],
        [],
        ["Insufficient cpu"],
        id="too many resources fails due to highest init container cpu",
    ),
    pytest.param(
        pod(req=[res(1, 1)], init=[res(1, 3)]),
        [res(9, 19)],
        [],
        ["Insufficient memory"],
        id="too many resources fails due to init container memory",
    ),
    pytest.param(
        pod(req=[res(1, 1)], init=[res(1, 3), res(1, 2)]),
        [res(9, 19)],
        [],
        ["Insufficient memory"],
        id="too many resources fails due to highest init container memory",
    ),
    pytest.param(
        pod(req=[res(1, 1)], init=[res(1, 1)]),
        [res(9, 19)],
        [],
        None,
        id="init container fits because it's the max, not sum, of containers and init containers",
    ),
    pytest.param(
        pod(req=[res(1, 1)], init=[res(1, 1), res(1, 1)]),
        [res(9, 19)],
        [],
        None,
        id="multiple init containers fit because it's the max, not sum, of containers and init "
        "containers",
    ),
    pytest.param(pod(req=[res(1, 1)]), [res(5, 5)], [], None, id="both resources fit"),
    pytest.param(
        pod(req=[res(2, 1)]), [res(9, 5)], [], ["Insufficient cpu"], id="one resource memory fits"
    ),
    pytest.param(
        pod(req=[res(1, 2)]),
        [res(5, 19)],
        [],
        ["Insufficient memory"],
        id="one resource cpu fits",
    ),
    pytest.param(pod(req=[res(5, 1)]), [res(5, 19)], [], None, id="equal edge case"),
    pytest.param(
        pod(req=[res(4, 1)], init=[res(5, 1)]),
        [res(5, 19)],
        [],
        None,
        id="equal edge case for init container",
    ),
    pytest.param(
        pod(req=[{"example.com/aaa": "1"}]), [res()], [], None, id="extended resource fits"
    ),
    pytest.param(
        pod(req=[res()], init=[{"example.com/aaa": "1"}]),
        [res()],
        [],
        None,
        id="extended resource fits for init container",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{A: 10})]),
        [res(0, 0, **{A: 0})],
        [],
        ["Insufficient example.com/aaa"],
        id="extended resource capacity enforced",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{A: 10})]),
        [res(0, 0, **{A: 0})],
        [],
        ["Insufficient example.com/aaa"],
        id="extended resource capacity enforced for init container",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{A: 1})]),
        [res(0, 0, **{A: 5})],
        [],
        ["Insufficient example.com/aaa"],
        id="extended resource allocatable enforced",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{A: 1})]),
        [res(0, 0, **{A: 5})],
        [],
        ["Insufficient example.com/aaa"],
        id="extended resource allocatable enforced for init container",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{A: 3}), res(1, 1, **{A: 3})]),
        [res(0, 0, **{A: 2})],
        [],
        ["Insufficient example.com/aaa"],
        id="extended resource allocatable enforced for multiple containers",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{A: 3}), res(1, 1, **{A: 3})]),
        [res(0, 0, **{A: 2})],
        [],
        None,
        id="extended resource allocatable admits multiple init containers",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{A: 6}), res(1, 1, **{A: 3})]),
        [res(0, 0, **{A: 2})],
        [],
        ["Insufficient example.com/aaa"],
        id="extended resource allocatable enforced for multiple init containers",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{B: 1})]),
        [res()],
        [],
        ["Insufficient example.com/bbb"],
        id="extended resource allocatable enforced for unknown resource",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{B: 1})]),
        [res()],
        [],
        ["Insufficient example.com/bbb"],
        id="extended resource allocatable enforced for unknown resource for init container",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{K8S_A: 10})]),
        [res()],
        [],
        ["Insufficient kubernetes.io/something"],
        id="kubernetes.io resource capacity enforced",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{K8S_B: 10})]),
        [res()],
        [],
        ["Insufficient subdomain.kubernetes.io/something"],
        id="kubernetes.io resource capacity enforced for init container",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{HUGE: 10})]),
        [res(0, 0, **{HUGE: 0})],
        [],
        ["Insufficient hugepages-2Mi"],
        id="hugepages resource capacity enforced",
    ),
    pytest.param(
        pod(req=[res()], init=[res(1, 1, **{HUGE: 10})]),
        [res(0, 0, **{HUGE: 0})],
        [],
        ["Insufficient hugepages-2Mi"],
        id="hugepages resource capacity enforced for init container",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{HUGE: 3}), res(1, 1, **{HUGE: 3})]),
        [res(0, 0, **{HUGE: 2})],
        [],
        ["Insufficient hugepages-2Mi"],
        id="hugepages resource allocatable enforced for multiple containers",
    ),
    pytest.param(
        pod(req=[res(1, 1, **{B: 1})]),
        [res()],
        ["example.com/bbb"],
        None,
        id="skip checking ignored extended resource",
    ),
    pytest.param(
        pod(req=[res(1, 1)], overhead={"cpu": "3m", "memory": "13"}),
        [res(5, 5)],
        [],
        None,
        id="resources + pod overhead fits",
    ),
    pytest.param(
        pod(req=[res(1, 1)], overhead={"cpu": "1m", "memory": "15"}),
        [res(5, 5)],
        [],
        ["Insufficient memory"],
        id="requests + overhead does not fit for memory",
    ),
]


@pytest.mark.parametrize(("incoming", "used", "ignored", "want"), ENOUGH)
def test_enough_requests(incoming: Any, used: Any, ignored: Any, want: Any) -> None:
    args = {"ignoredResources": ignored} if ignored else {}
    config = only("NodeResourcesFit", args, points=("preFilter", "filter"))
    existing = [pod(node="machine1", req=used)]
    result = run(config, [fit_node()], incoming, existing)
    if want is None:
        assert result.selected_node == "machine1"
        return
    assert result.selected_node is None
    assert result.filter["machine1"]["NodeResourcesFit"] == ", ".join(want)
    histogram = ", ".join(sorted(f"1 {r}" for r in want))
    assert result.message == f"0/1 nodes are available: {histogram}."


NOT_ENOUGH_PODS = [
    pytest.param(
        pod(),
        res(10, 20),
        id="even without specified resources, predicate fails when there's no space for additional "
        "pod",
    ),
    pytest.param(
        pod(req=[res(1, 1)]),
        res(5, 5),
        id="even if both resources fit, predicate fails when there's no space for additional pod",
    ),
    pytest.param(
        pod(req=[res(5, 1)]),
        res(5, 19),
        id="even for equal edge case, predicate fails when there's no space for additional pod",
    ),
    pytest.param(
        pod(req=[res(5, 1)], init=[res(5, 1)]),
        res(5, 19),
        id="even for equal edge case, predicate fails when there's no space for additional pod due "
        "to init container",
    ),
]


# pkg/scheduler/framework/plugins/noderesources/fit_test.go: TestNotEnoughRequests
@pytest.mark.parametrize(("incoming", "used"), NOT_ENOUGH_PODS)
def test_not_enough_requests(incoming: Any, used: Any) -> None:
    config = only("NodeResourcesFit", points=("preFilter", "filter"))
    node_ = node(
        "machine1",
        capacity={
            "cpu": "10m",
            "memory": "20",
            "pods": "1",
            "example.com/aaa": "0",
            "ephemeral-storage": "0",
            "hugepages-2Mi": "0",
        },
    )
    result = run(config, [node_], incoming, [pod(node="machine1", req=[used])])
    assert result.filter["machine1"]["NodeResourcesFit"] == "Too many pods"
    assert result.message == "0/1 nodes are available: 1 Too many pods."
