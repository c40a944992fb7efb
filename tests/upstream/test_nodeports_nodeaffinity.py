"""Ported from kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeports/node_ports_test.go
(TestNodePorts) and nodeaffinity/node_affinity_test.go (TestNodeAffinity,
TestNodeAffinityPriority), v1.28-v1.32 behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run, scores

PORTS_REASON = "node(s) didn't have free ports for the requested pod ports"


def ports(*infos: str) -> list[dict[str, Any]]:
    """``newPod``'s "PROTOCOL/hostIP/hostPort" strings."""
    out = []
    for info in infos:
        protocol, ip, port = info.split("/")
        out.append(
            {"containerPort": int(port), "hostIP": ip, "hostPort": int(port), "protocol": protocol}
        )
    return out


# pkg/scheduler/framework/plugins/nodeports/node_ports_test.go: TestNodePorts
NODE_PORTS = [
    pytest.param(["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/9090"], True, id="other port"),
    pytest.param(["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/8080"], False, id="same udp port"),
    pytest.param(["TCP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], False, id="same tcp port"),
    pytest.param(["TCP/127.0.0.1/8080"], ["TCP/127.0.0.2/8080"], True, id="different host ip"),
    pytest.param(["UDP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], True, id="different protocol"),
    pytest.param(
        ["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"],
        ["UDP/127.0.0.1/8080"],
        False,
        id="second udp port conflict",
    ),
    pytest.param(
        ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
        ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
        False,
        id="first tcp port conflict",
    ),
    pytest.param(
        ["TCP/0.0.0.0/8001"],
        ["TCP/127.0.0.1/8001"],
        False,
        id="first tcp port conflict due to 0.0.0.0 hostIP",
    ),
    pytest.param(
        ["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
        ["TCP/127.0.0.1/8001"],
        False,
        id="TCP hostPort conflict due to 0.0.0.0 hostIP",
    ),
    pytest.param(
        ["TCP/127.0.0.1/8001"],
        ["TCP/0.0.0.0/8001"],
        False,
        id="second tcp port conflict to 0.0.0.0 hostIP",
    ),
    pytest.param(
        ["UDP/127.0.0.1/8001"], ["TCP/0.0.0.0/8001"], True, id="second different protocol"
    ),
    pytest.param(
        ["UDP/127.0.0.1/8001"],
        ["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"],
        False,
        id="UDP hostPort conflict due to 0.0.0.0 hostIP",
    ),
]


@pytest.mark.parametrize(("wanted", "used", "fits"), NODE_PORTS)
def test_node_ports(wanted: Any, used: Any, fits: bool) -> None:
    result = run(
        only("NodePorts"),
        [node("m1")],
        pod("p", ports=ports(*wanted)),
        [pod(node="m1", ports=ports(*used))],
    )
    if fits:
        assert result.selected_node == "m1"
    else:
        assert result.filter["m1"]["NodePorts"] == PORTS_REASON
        assert result.message == f"0/1 nodes are available: 1 {PORTS_REASON}."


AFFINITY_REASON = "node(s) didn't match Pod's node affinity/selector"
# the plugin's PreFilterResult names only node2: node1 is not evaluated at all, and the
# scheduler reports it as absent (schedule_one.go, findNodesThatFitPod)
ABSENT = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
ENFORCED_REASON = "node(s) didn't match scheduler-enforced node affinity"


def required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
        }
    }


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": op}
    if values:
        out["values"] = list(values)
    return out


# pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go: TestNodeAffinity
NODE_AFFINITY = [
    pytest.param({}, {}, None, None, id="no selector"),
    pytest.param({"nodeSelector": {"foo": "bar"}}, {}, None, AFFINITY_REASON, id="missing labels"),
    pytest.param({"nodeSelector": {"foo": "bar"}}, {"foo": "bar"}, None, None, id="same labels"),
    pytest.param(
        {"nodeSelector": {"foo": "bar"}},
        {"foo": "bar", "baz": "blah"},
        None,
        None,
        id="node labels are superset",
    ),
    pytest.param(
        {"nodeSelector": {"foo": "bar", "baz": "blah"}},
        {"foo": "bar"},
        None,
        AFFINITY_REASON,
        id="node labels are subset",
    ),
    pytest.param(
        {"affinity": required({"matchExpressions": [expr("foo", "In", "bar", "value2")]})},
        {"foo": "bar"},
        None,
        None,
        id="Pod with matchExpressions using In operator that matches the existing node",
    ),
    pytest.param(
        {"affinity": required({"matchExpressions": [expr("kernel-version", "Gt", "0204")]})},
        {"kernel-version": "0206"},
        None,
        None,
        id="Pod with matchExpressions using Gt operator that matches the existing node",
    ),
    pytest.param(
        {"affinity": required({"matchExpressions": [expr("mem-type", "NotIn", "DDR", "DDR2")]})},
        {"mem-type": "DDR3"},
        None,
        None,
        id="Pod with matchExpressions using NotIn operator that matches the existing node",
    ),
    pytest.param(
        {"affinity": required({"matchExpressions": [expr("GPU", "Exists")]})},
        {"GPU": "NVIDIA-GRID-K1"},
        None,
        None,
        id="Pod with matchExpressions using Exists operator that matches the existing node",
    ),
    pytest.param(
        {"affinity": required({"matchExpressions": [expr("foo", "In", "value1", "value2")]})},
        {"foo": "bar"},
        None,
        AFFINITY_REASON,
        id="Pod with affinity that don't match node's labels won't schedule onto the node",
    ),
    pytest.param(
        {"affinity": required()},
        {"foo": "bar"},
        None,
        AFFINITY_REASON,
        id="Pod with empty MatchExpressions is not a valid value will match no objects and "
        "won't schedule onto the node",
    ),
    pytest.param(
        {"affinity": required({})},
        {"foo": "bar"},
        None,
        AFFINITY_REASON,
        id="Pod with no Affinity will schedule onto a node (empty term matches nothing)",
    ),
    pytest.param(
        {
            "affinity": required(
                {"matchExpressions": [expr("GPU", "Exists"), expr("GPU", "NotIn", "AMD", "INTER")]}
            )
        },
        {"GPU": "NVIDIA-GRID-K1"},
        None,
        None,
        id="Pod with multiple matchExpressions ANDed that matches the existing node",
    ),
    pytest.param(
        {
            "affinity": required(
                {"matchExpressions": [expr("GPU", "Exists"), expr("GPU", "In", "AMD", "INTER")]}
            )
        },
        {"GPU": "NVIDIA-GRID-K1"},
        None,
        AFFINITY_REASON,
        id="Pod with multiple matchExpressions ANDed that doesn't match the existing node",
    ),
    pytest.param(
        {
            "affinity": required(
                {"matchExpressions": [expr("foo", "In", "bar", "value2")]},
                {"matchExpressions": [expr("diffkey", "In", "wrong", "value2")]},
            )
        },
        {"foo": "bar"},
        None,
        None,
        id="Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and "
        "will schedule onto the node",
    ),
    pytest.param(
        {
            "nodeSelector": {"foo": "bar"},
            "affinity": required({"matchExpressions": [expr("foo", "Exists")]}),
        },
        {"foo": "bar"},
        None,
        None,
        id="Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are "
        "deprecating) both are satisfied, will schedule onto the node",
    ),
    pytest.param(
        {
            "nodeSelector": {"foo": "bar"},
            "affinity": required({"matchExpressions": [expr("foo", "Exists")]}),
        },
        {"foo": "barrrrrr"},
        None,
        AFFINITY_REASON,
        id="Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old "
        "thing that we are deprecating) is not satisfied, won't schedule onto the node",
    ),
    pytest.param(
        {"affinity": required({"matchFields": [expr("metadata.name", "In", "node1")]})},
        {},
        None,
        None,
        id="Pod with matchFields using In operator that matches the existing node",
    ),
    pytest.param(
        {"affinity": required({"matchFields": [expr("metadata.name", "In", "node2")]})},
        {},
        None,
        ABSENT,
        id="Pod with matchFields using In operator that does not match the existing node",
    ),
    pytest.param(
        {
            "affinity": required(
                {"matchFields": [expr("metadata.name", "In", "node2")]},
                {"matchExpressions": [expr("foo", "In", "bar")]},
            )
        },
        {"foo": "bar"},
        None,
        None,
        id="Pod with two terms: matchFields does not match, but matchExpressions matches",
    ),
    pytest.param(
        {
            "affinity": required(
                {
                    "matchFields": [expr("metadata.name", "In", "node2")],
                    "matchExpressions": [expr("foo", "In", "bar")],
                }
            )
        },
        {"foo": "bar"},
        None,
        ABSENT,
        id="Pod with one term: matchFields does not match, but matchExpressions matches",
    ),
    pytest.param(
        {
            "affinity": required(
                {
                    "matchFields": [expr("metadata.name", "In", "node1")],
                    "matchExpressions": [expr("foo", "In", "bar")],
                }
            )
        },
        {"foo": "bar"},
        None,
        None,
        id="Pod with one term: both matchFields and matchExpressions match",
    ),
    pytest.param(
        {},
        {"zone": "foo"},
        {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [expr("zone", "In", "foo")]}]
            }
        },
        None,
        id="Matches added affinity and Pod's node affinity",
    ),
    pytest.param(
        {"affinity": required({"matchExpressions": [expr("zone", "In", "bar")]})},
        {"zone": "foo"},
        {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [expr("zone", "In", "foo")]}]
            }
        },
        AFFINITY_REASON,
        id="Matches added affinity but not Pod's node affinity",
    ),
    pytest.param(
        {},
        {"zone": "bar"},
        {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [expr("zone", "In", "foo")]}]
            }
        },
        ENFORCED_REASON,
        id="Doesn't match added affinity",
    ),
]


@pytest.mark.parametrize(("spec", "labels", "added", "want"), NODE_AFFINITY)
def test_node_affinity(spec: Any, labels: Any, added: Any, want: Any) -> None:
    args = {"addedAffinity": added} if added is not None else None
    result = run(only("NodeAffinity", args), [node("node1", labels=labels)], pod("p", **spec))
    if want is None:
        assert result.selected_node == "node1"
    else:
        if want == ABSENT:
            assert "node1" not in result.filter
        else:
            assert result.filter["node1"]["NodeAffinity"] == want
        assert result.message == f"0/1 nodes are available: 1 {want}."


def preferred(*terms: tuple[int, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": w, "preference": {"matchExpressions": e}} for w, e in terms
            ]
        }
    }


LABEL1 = {"foo": "bar"}
LABEL2 = {"key": "value"}
LABEL3 = {"az": "az1"}
LABEL4 = {"abc": "az11", "def": "az22"}
LABEL5 = {"foo": "bar", "key": "value", "az": "az1"}
AFFINITY1 = preferred((2, [expr("foo", "In", "bar")]))
AFFINITY2 = preferred(
    (2, [expr("foo", "In", "bar")]),
    (4, [expr("key", "In", "value")]),
    (5, [expr("foo", "In", "bar"), expr("key", "In", "value"), expr("az", "In", "az1")]),
)

# pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go: TestNodeAffinityPriority
PRIORITY = [
    pytest.param(
        {"affinity": AFFINITY1},
        {"node1": LABEL1, "node2": LABEL2, "node3": LABEL3},
        None,
        {"node1": 100, "node2": 0, "node3": 0},
        id="only node1 matches the preferred scheduling requirements of pod",
    ),
    pytest.param(
        {"affinity": AFFINITY2},
        {"node1": LABEL1, "node5": LABEL5, "node2": LABEL2},
        None,
        {"node1": 18, "node5": 100, "node2": 36},
        id="all nodes matches the preferred scheduling requirements of pod but with different "
        "priorities ",
    ),
    pytest.param(
        {"affinity": preferred((1, [expr("key", "In", "value")]))},
        {"node1": LABEL4, "node2": LABEL4, "node3": LABEL4},
        None,
        {"node1": 0, "node2": 0, "node3": 0},
        id="no node matches the preferred scheduling requirements of pod",
    ),
    pytest.param(
        {},
        {"node1": LABEL1, "node2": LABEL2, "node3": {"foo": "bar", "key": "value"}},
        {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 2, "preference": {"matchExpressions": [expr("key", "In", "value")]}}
            ]
        },
        {"node1": 0, "node2": 100, "node3": 100},
        id="added affinity",
    ),
    pytest.param(
        {"affinity": AFFINITY1},
        {"node1": LABEL1, "node2": LABEL2, "node3": {"foo": "bar", "key": "value"}},
        {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 3, "preference": {"matchExpressions": [expr("key", "In", "value")]}}
            ]
        },
        {"node1": 40, "node2": 60, "node3": 100},
        id="added affinity and pod has default affinity",
    ),
]


@pytest.mark.parametrize(("spec", "nodes", "added", "want"), PRIORITY)
def test_node_affinity_priority(spec: Any, nodes: Any, added: Any, want: Any) -> None:
    args = {"addedAffinity": added} if added is not None else None
    result = run(
        only("NodeAffinity", args, points=("preScore", "score")),
        [node(n, labels=labels) for n, labels in nodes.items()],
        pod("p", **spec),
    )
    assert scores(result, "NodeAffinity") == want
