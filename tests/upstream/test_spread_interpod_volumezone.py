"""Ported from kubernetes/kubernetes pkg/scheduler/framework/plugins/
podtopologyspread/filtering_test.go (TestSingleConstraint), interpodaffinity/filtering_test.go
(TestRequiredAffinitySingleNode) and volumezone/volume_zone_test.go (TestSingleZone),
v1.28-v1.32 behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run

MISSING = "node(s) didn't match pod topology spread constraints (missing required label)"
SKEW = "node(s) didn't match pod topology spread constraints"
OK = None


def spread(key: str, skew: int = 1, selector_key: str = "foo") -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": skew,
            "topologyKey": key,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchExpressions": [{"key": selector_key, "operator": "Exists"}]},
        }
    ]


def four_nodes(b_zone: bool = True) -> list[dict[str, Any]]:
    return [
        node("node-a", labels={"zone": "zone1", "node": "node-a"}),
        node(
            "node-b", labels={"zone": "zone1", "node": "node-b"} if b_zone else {"node": "node-b"}
        ),
        node("node-x", labels={"zone": "zone2", "node": "node-x"}),
        node("node-y", labels={"zone": "zone2", "node": "node-y"}),
    ]


def on(*nodes: str, namespace: str = "default") -> list[dict[str, Any]]:
    return [pod(node=n, namespace=namespace, labels={"foo": ""}) for n in nodes]


SPREAD = [
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("zone")},
        four_nodes(),
        [],
        {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK},
        id="no existing pods",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("zone", selector_key="bar")},
        four_nodes(),
        [],
        {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK},
        id="no existing pods, incoming pod doesn't match itself",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("zone")},
        four_nodes(),
        [*on("node-a", namespace="ns1"), *on("node-b", "node-x", "node-y", "node-y")],
        {"node-a": OK, "node-b": OK, "node-x": SKEW, "node-y": SKEW},
        id="existing pods in a different namespace do not count",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("zone")},
        four_nodes(),
        on("node-a", "node-b", "node-b", "node-x", "node-y", "node-y"),
        {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK},
        id="pods spread across zones as 3/3, all nodes fit",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("zone")},
        four_nodes(b_zone=False),
        on("node-a", "node-b", "node-x", "node-y", "node-y"),
        {"node-a": OK, "node-b": MISSING, "node-x": SKEW, "node-y": SKEW},
        id="pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("rack")},
        four_nodes(),
        on("node-a", "node-x"),
        {"node-a": MISSING, "node-b": MISSING, "node-x": MISSING, "node-y": MISSING},
        id="pod cannot be scheduled as all nodes don't have label 'rack'",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("node")},
        four_nodes(),
        on("node-a", "node-a", "node-b", "node-y", "node-y", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": SKEW},
        id="pods spread across nodes as 2/1/0/3, only node-x fits",
    ),
    pytest.param(
        {"labels": {"foo": ""}, "topologySpreadConstraints": spread("node", skew=2)},
        four_nodes(),
        on("node-a", "node-a", "node-b", "node-y", "node-y", "node-y"),
        {"node-a": SKEW, "node-b": OK, "node-x": OK, "node-y": SKEW},
        id="pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
    ),
    pytest.param(
        {"labels": {"bar": ""}, "topologySpreadConstraints": spread("node")},
        four_nodes(),
        on("node-a", "node-a", "node-b", "node-y", "node-y", "node-y"),
        {"node-a": SKEW, "node-b": OK, "node-x": OK, "node-y": SKEW},
        id="pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
    ),
    pytest.param(
        {
            "labels": {"foo": ""},
            "topologySpreadConstraints": spread("node"),
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "node",
                                        "operator": "In",
                                        "values": ["node-a", "node-y"],
                                    }
                                ]
                            }
                        ]
                    }
                }
            },
        },
        four_nodes(),
        on("node-a", "node-a", "node-b", "node-y", "node-y", "node-y"),
        # "in real case" node-b and node-x fail NodeAffinity, which is not run here
        {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": SKEW},
        id="incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
    ),
]


# pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go: TestSingleConstraint
@pytest.mark.parametrize(("spec", "nodes", "existing", "want"), SPREAD)
def test_spread_single_constraint(spec: Any, nodes: Any, existing: Any, want: Any) -> None:
    labels = spec.pop("labels")
    result = run(
        only("PodTopologySpread"),
        nodes,
        pod("p", labels=labels, **spec),
        existing,
        namespaces=[{"metadata": {"name": "ns1"}}],
    )
    got = {
        n: (None if r.get("PodTopologySpread") == "passed" else r["PodTopologySpread"])
        for n, r in result.filter.items()
    }
    assert got == want


AFF = "node(s) didn't match pod affinity rules"
ANTI = "node(s) didn't match pod anti-affinity rules"
EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules"
POD_LABEL = {"service": "securityscan"}
POD_LABEL2 = {"security": "S1"}
LABELS1 = {"region": "r1", "zone": "z11"}


def term(
    op: str, values: list[str] | None, key: str = "region", label: str = "service", **extra: Any
) -> dict[str, Any]:
    expression: dict[str, Any] = {"key": label, "operator": op}
    if values is not None:
        expression["values"] = values
    return {"labelSelector": {"matchExpressions": [expression]}, "topologyKey": key, **extra}


def affinity(req: list[dict[str, Any]] = (), anti: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    out: dict[str, Any] = {}
    if req:
        out["podAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": list(req)}
    if anti:
        out["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": list(anti)}
    return out


IPA = [
    pytest.param(
        {},
        [],
        OK,
        id="A pod that has no required pod affinity scheduling rules can schedule onto a node "
        "with no existing pods",
    ),
    pytest.param(
        affinity([term("In", ["securityscan", "value2"])]),
        [pod(node="node1", labels=POD_LABEL)],
        OK,
        id="satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using "
        "In operator that matches the existing pod",
    ),
    pytest.param(
        affinity([term("NotIn", ["securityscan3", "value3"])]),
        [pod(node="node1", labels=POD_LABEL)],
        OK,
        id="satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity "
        "using not in operator in labelSelector that matches the existing pod",
    ),
    pytest.param(
        affinity([term("In", ["securityscan", "value2"], namespaces=["DiffNameSpace"])]),
        [pod(node="node1", labels=POD_LABEL, namespace="ns")],
        AFF,
        id="Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
    ),
    pytest.param(
        affinity([term("In", ["antivirusscan", "value2"])]),
        [pod(node="node1", labels=POD_LABEL)],
        AFF,
        id="Doesn't satisfy the PodAffinity because of unmatching labelSelector with the "
        "existing pod",
    ),
    pytest.param(
        affinity([term("Exists", None), term("DoesNotExist", None, label="wrongkey")]),
        [pod(node="node1", labels=POD_LABEL)],
        OK,
        id="satisfies the PodAffinity with different label Operators in multiple "
        "RequiredDuringSchedulingIgnoredDuringExecution ",
    ),
    pytest.param(
        affinity(
            [term("In", ["securityscan", "value2"])],
            [term("In", ["antivirusscan", "value2"], key="node")],
        ),
        [pod(node="node1", labels=POD_LABEL)],
        OK,
        id="satisfies the PodAffinity and PodAntiAffinity with the existing pod",
    ),
    pytest.param(
        affinity(
            [term("In", ["securityscan", "value2"])],
            [term("In", ["securityscan", "value2"], key="zone")],
        ),
        [pod(node="node1", labels=POD_LABEL)],
        ANTI,
        id="satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing "
        "pod",
    ),
    pytest.param(
        affinity(
            [term("In", ["securityscan", "value2"])],
            [term("In", ["antivirusscan", "value2"], key="node")],
        ),
        [
            pod(
                node="node1",
                labels=POD_LABEL,
                affinity=affinity(anti=[term("In", ["S1"], key="zone", label="security")]),
            )
        ],
        EXISTING,
        id="satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity "
        "symmetry with the existing pod",
    ),
    pytest.param(
        {},
        [
            pod(
                node="node1",
                labels=POD_LABEL,
                affinity=affinity(anti=[term("In", ["S1"], key="zone", label="security")]),
            )
        ],
        EXISTING,
        id="verify that PodAntiAffinity from existing pod is respected when pod has no "
        "AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod",
    ),
    pytest.param(
        {},
        [
            pod(
                node="node1",
                labels=POD_LABEL,
                affinity=affinity(anti=[term("NotIn", ["S1"], key="zone", label="security")]),
            )
        ],
        OK,
        id="verify that PodAntiAffinity from existing pod is respected when pod has no "
        "AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
    ),
]


# pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go: TestRequiredAffinitySingleNode
@pytest.mark.parametrize(("aff", "existing", "want"), IPA)
def test_required_affinity_single_node(aff: Any, existing: Any, want: Any) -> None:
    spec = {"affinity": aff} if aff else {}
    result = run(
        only("InterPodAffinity"),
        [node("node1", labels=LABELS1)],
        pod("p", labels=POD_LABEL2, **spec),
        existing,
        namespaces=[{"metadata": {"name": "ns"}}],
    )
    if want is None:
        assert result.selected_node == "node1"
    else:
        assert result.filter["node1"]["InterPodAffinity"] == want


BETA_ZONE = "failure-domain.beta.kubernetes.io/zone"
BETA_REGION = "failure-domain.beta.kubernetes.io/region"
ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
PVS = {
    "vol-1": {BETA_ZONE: "us-west1-a"},
    "vol-2": {BETA_REGION: "us-west1-b", "uselessLabel": "none"},
    "vol-3": {BETA_REGION: "us-west1-c"},
    "vol-stable-1": {ZONE: "us-west1-a"},
    "vol-stable-2": {REGION: "us-west1-b", "uselessLabel": "none"},
    "vol-stable-3": {REGION: "us-west1-c"},
}
CONFLICT = "node(s) had no available volume zone"

VOLUME_ZONE = [
    pytest.param(None, {ZONE: "us-west1-a"}, OK, id="pod without volume"),
    pytest.param("vol-1", {}, OK, id="node without labels"),
    pytest.param(
        "vol-1", {BETA_ZONE: "us-west1-a", "uselessLabel": "none"}, OK, id="beta zone label matched"
    ),
    pytest.param(
        "vol-2",
        {BETA_REGION: "us-west1-b", "uselessLabel": "none"},
        OK,
        id="beta region label matched",
    ),
    pytest.param(
        "vol-2",
        {BETA_REGION: "no_us-west1-b", "uselessLabel": "none"},
        CONFLICT,
        id="beta region label doesn't match",
    ),
    pytest.param(
        "vol-1",
        {BETA_ZONE: "no_us-west1-a", "uselessLabel": "none"},
        CONFLICT,
        id="beta zone label doesn't match",
    ),
    pytest.param(
        "vol-stable-1", {ZONE: "us-west1-a", "uselessLabel": "none"}, OK, id="zone label matched"
    ),
    pytest.param(
        "vol-stable-2",
        {REGION: "us-west1-b", "uselessLabel": "none"},
        OK,
        id="region label matched",
    ),
    pytest.param(
        "vol-stable-2",
        {REGION: "no_us-west1-b", "uselessLabel": "none"},
        CONFLICT,
        id="region label doesn't match",
    ),
    pytest.param(
        "vol-stable-1",
        {ZONE: "no_us-west1-a", "uselessLabel": "none"},
        CONFLICT,
        id="zone label doesn't match",
    ),
    pytest.param(
        "vol-1",
        {ZONE: "us-west1-a", "uselessLabel": "none"},
        OK,
        id="pv with beta label,node with ga label, matched",
    ),
    pytest.param(
        "vol-1",
        {ZONE: "no_us-west1-a", "uselessLabel": "none"},
        CONFLICT,
        id="pv with beta label,node with ga label, don't match",
    ),
]


# pkg/scheduler/framework/plugins/volumezone/volume_zone_test.go: TestSingleZone
@pytest.mark.parametrize(("volume", "labels", "want"), VOLUME_ZONE)
def test_volume_zone_single_zone(volume: Any, labels: Any, want: Any) -> None:
    pvs = [
        {
            "metadata": {"name": name, "labels": pv_labels},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]},
        }
        for name, pv_labels in PVS.items()
    ]
    pvcs = [
        {
            "metadata": {"name": f"pvc-{name}", "namespace": "default"},
            "spec": {
                "volumeName": name,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
        for name in PVS
    ]
    spec: dict[str, Any] = {}
    if volume is not None:
        spec["volumes"] = [{"name": "v", "persistentVolumeClaim": {"claimName": f"pvc-{volume}"}}]
    result = run(
        only("VolumeZone"), [node("host1", labels=labels)], pod("p", **spec), pvs=pvs, pvcs=pvcs
    )
    if want is None:
        assert result.selected_node == "host1"
    else:
        assert result.filter["host1"]["VolumeZone"] == want


def by_node(*names: str, **extra: dict[str, str]) -> list[dict[str, Any]]:
    return [node(n, labels={"node": n, **extra.get(n.replace("-", "_"), {})}) for n in names]


FOO_NODES = {"node_a": {"foo": ""}, "node_b": {"foo": ""}, "node_x": {"foo": ""}}
TAINT = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
AFFINITY_FOO = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "foo", "operator": "In", "values": [""]}]}
            ]
        }
    }
}


def spread_c(key: str, skew: int = 1, selector_key: str | None = "foo", **extra: Any) -> Any:
    out: dict[str, Any] = {
        "maxSkew": skew,
        "topologyKey": key,
        "whenUnsatisfiable": "DoNotSchedule",
    }
    if selector_key is not None:
        out["labelSelector"] = {"matchExpressions": [{"key": selector_key, "operator": "Exists"}]}
    out.update(extra)
    return out


MORE_SPREAD = [
    pytest.param(
        {"foo": ""},
        [spread_c("zone", selector_key=None)],
        {},
        four_nodes(),
        on("node-x", "node-y"),
        {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK},
        id="TestSingleConstraint: existing pods do not match null selector",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("zone")],
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "node", "operator": "NotIn", "values": ["node-b"]}
                                ]
                            }
                        ]
                    }
                }
            }
        },
        four_nodes(),
        on("node-b", "node-b", "node-y"),
        {"node-a": OK, "node-b": OK, "node-x": SKEW, "node-y": SKEW},
        id="TestSingleConstraint: incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence "
        "node-a fits",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node", 2, minDomains=4)],
        {},
        by_node("node-a", "node-b", "node-c"),
        on("node-a", "node-a", "node-b", "node-b", "node-c"),
        {"node-a": SKEW, "node-b": SKEW, "node-c": OK},
        id="TestSingleConstraint: pods spread across nodes as 2/2/1, maxSkew is 2, and the number "
        "of domains < minDomains, then the third node fits",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node", 2, minDomains=2)],
        {},
        by_node("node-a", "node-b", "node-c"),
        on("node-a", "node-a", "node-b", "node-b", "node-c"),
        {"node-a": OK, "node-b": OK, "node-c": OK},
        id="TestSingleConstraint: pods spread across nodes as 2/2/1, maxSkew is 2, and the number "
        "of domains > minDomains, then the all nodes fit",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("zone", 2, minDomains=3)],
        {},
        four_nodes(),
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK},
        id="TestSingleConstraint: pods spread across zone as 2/1, maxSkew is 2 and the number of "
        "domains < minDomains, then the third and fourth nodes fit",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("zone", 2, minDomains=1)],
        {},
        four_nodes(),
        on("node-a", "node-b", "node-y"),
        {"node-a": OK, "node-b": OK, "node-x": OK, "node-y": OK},
        id="TestSingleConstraint: pods spread across zone as 2/1, maxSkew is 2 and the number of "
        "domains > minDomains, then the all nodes fit",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node")],
        {"nodeSelector": {"foo": ""}},
        by_node("node-a", "node-b", "node-x", "node-y", **FOO_NODES),
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK},
        id="TestSingleConstraint: NodeAffinityPolicy honored with labelSelectors",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node", nodeAffinityPolicy="Ignore")],
        {"nodeSelector": {"foo": ""}},
        by_node("node-a", "node-b", "node-x", "node-y", **FOO_NODES),
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": SKEW},
        id="TestSingleConstraint: NodeAffinityPolicy ignored with labelSelectors",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node")],
        {"affinity": AFFINITY_FOO},
        by_node("node-a", "node-b", "node-x", "node-y", **FOO_NODES),
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK},
        id="TestSingleConstraint: NodeAffinityPolicy honored with nodeAffinity",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node", nodeAffinityPolicy="Ignore")],
        {"affinity": AFFINITY_FOO},
        by_node("node-a", "node-b", "node-x", "node-y", **FOO_NODES),
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": SKEW},
        id="TestSingleConstraint: NodeAffinityPolicy ignored with labelSelectors (nodeAffinity)",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node", nodeTaintsPolicy="Honor")],
        {},
        [
            *by_node("node-a", "node-b", "node-x", **FOO_NODES),
            node("node-y", labels={"node": "node-y"}, taints=TAINT),
        ],
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": OK},
        id="TestSingleConstraint: NodeTaintsPolicy honored",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("node")],
        {},
        [
            *by_node("node-a", "node-b", "node-x", **FOO_NODES),
            node("node-y", labels={"node": "node-y"}, taints=TAINT),
        ],
        on("node-a", "node-b", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": SKEW},
        id="TestSingleConstraint: NodeTaintsPolicy ignored",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("zone"), spread_c("node")],
        {},
        four_nodes(),
        on("node-a", "node-a", "node-b", "node-y", "node-y", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": SKEW},
        id="TestMultipleConstraints: two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
    ),
    pytest.param(
        {"foo": ""},
        [spread_c("zone"), spread_c("node")],
        {},
        four_nodes(),
        on("node-a", "node-a", "node-b", "node-y", "node-y", "node-y", "node-y"),
        {"node-a": SKEW, "node-b": SKEW, "node-x": SKEW, "node-y": SKEW},
        id="TestMultipleConstraints: two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        [spread_c("zone"), spread_c("node", selector_key="bar")],
        {},
        four_nodes(),
        [pod(node="node-a", labels={"foo": ""}), pod(node="node-y", labels={"bar": ""})],
        {"node-a": SKEW, "node-b": SKEW, "node-x": OK, "node-y": SKEW},
        id="TestMultipleConstraints: Constraints hold different labelSelectors, spreads = "
        "[1/0, 1/0/0/1]",
    ),
]


# pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go: TestSingleConstraint, TestMultipleConstraints  # noqa: E501
@pytest.mark.parametrize(
    ("labels", "constraints", "spec", "nodes", "existing", "want"), MORE_SPREAD
)
def test_spread_more_constraints(
    labels: Any, constraints: Any, spec: Any, nodes: Any, existing: Any, want: Any
) -> None:
    result = run(
        only("PodTopologySpread"),
        nodes,
        pod("p", labels=labels, topologySpreadConstraints=constraints, **spec),
        existing,
    )
    got = {
        n: (None if r.get("PodTopologySpread") == "passed" else r["PodTopologySpread"])
        for n, r in result.filter.items()
    }
    assert got == want
