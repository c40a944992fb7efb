"""kube-scheduler plugins on small hand-checked clusters, through ``client.simulator``."""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge

MB = 1024 * 1024


def node(
    name: str,
    cpu: str = "4",
    *,
    zone: str | None = None,
    taints: Any = None,
    images: Any = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_labels = {"kubernetes.io/hostname": name, **(labels or {})}
    if zone:
        all_labels["topology.kubernetes.io/zone"] = zone
    obj: dict[str, Any] = {
        "metadata": {"name": name, "labels": all_labels},
        "spec": {"taints": taints or []},
        "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": "110"}},
    }
    if images:
        obj["status"]["images"] = images
    return obj


def pod(
    name: str, cpu: str = "100m", labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "labels": labels or {}},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": spec.pop("image", "app:1"),
                    "resources": {"requests": {"cpu": cpu}},
                    "ports": spec.pop("ports", []),
                }
            ],
            **spec,
        },
    }


@pytest.fixture
def sim() -> k8sedge.simulator.api.SimulatorAPI:  # type: ignore[name-defined]
    return k8sedge.connect(clock=k8sedge.ManualClock()).simulator


def test_topology_spread_filter_keeps_skew(sim: Any) -> None:
    for name, zone in (("a1", "a"), ("b1", "b"), ("c1", "c")):
        sim.nodes.create(node(name, zone=zone))
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    placed = [
        sim.pods.create(
            pod(f"web-{i}", labels={"app": "web"}, topologySpreadConstraints=spread)
        ).node_name
        for i in range(6)
    ]
    zones = [p[0] for p in placed if p]
    assert sorted(zones) == ["a", "a", "b", "b", "c", "c"]  # skew never above 1
    # zone c becomes unusable: a and b may not get ahead of it by more than maxSkew
    sim.nodes.apply({**node("c1", zone="c"), "spec": {"unschedulable": True}})
    for extra in ("web-x1", "web-x2"):  # a and b reach 3, one ahead of c
        assert sim.pods.create(
            pod(extra, labels={"app": "web"}, topologySpreadConstraints=spread)
        ).node_name in ("a1", "b1")
    stuck = sim.pods.create(pod("web-x", labels={"app": "web"}, topologySpreadConstraints=spread))
    result = stuck.scheduling_result()
    assert stuck.node_name is None
    assert (
        result.filter["a1"]["PodTopologySpread"]
        == "node(s) didn't match pod topology spread constraints"
    )
    assert result.filter["c1"]["NodeUnschedulable"] == "node(s) were unschedulable"
    sim.nodes.create(node("nolabel"))
    again = sim.pods.create(pod("web-y", labels={"app": "web"}, topologySpreadConstraints=spread))
    assert again.scheduling_result().filter["nolabel"]["PodTopologySpread"] == (
        "node(s) didn't match pod topology spread constraints (missing required label)"
    )


def test_topology_spread_score_by_hand(sim: Any) -> None:
    sim.nodes.create(node("n1"))
    sim.nodes.create(node("n2"))
    for i in range(2):
        sim.pods.create(pod(f"old-{i}", labels={"app": "web"}, nodeName="n1"))
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    new = sim.pods.create(pod("new", labels={"app": "web"}, topologySpreadConstraints=spread))
    result = new.scheduling_result()
    # raw = round(count * log(2 nodes + 2) + (maxSkew - 1)): n1 = round(2 * 1.386) = 3, n2 = 0
    assert result.score["n1"]["PodTopologySpread"] == 3
    assert result.score["n2"]["PodTopologySpread"] == 0
    # normalised 100 * (max + min - s) / max, weight 2
    assert result.final_score["n1"]["PodTopologySpread"] == 0
    assert result.final_score["n2"]["PodTopologySpread"] == 200
    assert new.node_name == "n2"


def test_inter_pod_affinity_and_anti_affinity(sim: Any) -> None:
    for name, zone in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        sim.nodes.create(node(name, zone=zone))
    sim.pods.create(pod("db", labels={"app": "db"}, nodeName="a2"))
    near = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "db"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    assert sim.pods.create(pod("cache", affinity=near)).node_name == "a2"
    far = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "db"}},
                    "topologyKey": "topology.kubernetes.io/zone",
                }
            ]
        }
    }
    away = sim.pods.create(pod("backup", affinity=far))
    assert away.node_name == "b1"
    assert away.scheduling_result().filter["a1"]["InterPodAffinity"] == (
        "node(s) didn't match pod anti-affinity rules"
    )
    missing = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "nothing-like-this"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    lonely = sim.pods.create(pod("lonely", affinity=missing))
    assert lonely.node_name is None
    assert lonely.scheduling_result().filter["b1"]["InterPodAffinity"] == (
        "node(s) didn't match pod affinity rules"
    )
    # an existing pod's anti-affinity keeps matching pods off its node
    loner = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "web"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    sim.pods.create(pod("loner", nodeName="b1", affinity=loner))
    web = sim.pods.create(
        pod("web", labels={"app": "web"}, nodeSelector={"kubernetes.io/hostname": "b1"})
    )
    assert web.node_name is None
    assert web.scheduling_result().filter["b1"]["InterPodAffinity"] == (
        "node(s) didn't satisfy existing pods anti-affinity rules"
    )


def test_preferred_pod_affinity_score(sim: Any) -> None:
    sim.nodes.create(node("n1"))
    sim.nodes.create(node("n2"))
    sim.pods.create(pod("db", labels={"app": "db"}, nodeName="n2"))
    prefer = {
        "podAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 50,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": "db"}},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        }
    }
    placed = sim.pods.create(pod("app", affinity=prefer))
    result = placed.scheduling_result()
    assert result.score["n2"]["InterPodAffinity"] == 50
    assert result.score["n1"]["InterPodAffinity"] == 0
    assert result.final_score["n2"]["InterPodAffinity"] == 200  # normalised 100, weight 2
    assert placed.node_name == "n2"


def test_preemption_evicts_lower_priority_pods(sim: Any) -> None:
    sim.nodes.create(node("only", cpu="2"))
    sim.priority_classes.create({"metadata": {"name": "low"}, "value": 10})
    sim.priority_classes.create({"metadata": {"name": "high"}, "value": 1000})
    sim.pods.create(pod("small-low", cpu="500m", priorityClassName="low"))
    sim.pods.create(pod("big-low", cpu="1", priorityClassName="low"))
    polite = sim.pods.create(
        pod("polite", cpu="1500m", priorityClassName="high", preemptionPolicy="Never")
    )
    assert polite.node_name is None
    # PodEligibleToPreemptOthers says why, as upstream's PostFilter status does
    assert (polite.scheduling_result().message or "").endswith(
        " preemption: not eligible due to preemptionPolicy=Never."
    )
    sim.pods.delete("polite")
    urgent = sim.pods.create(pod("urgent", cpu="1500m", priorityClassName="high"))
    assert urgent.node_name == "only"
    assert urgent.status.get("nominatedNodeName") == "only"
    left = {p.name for p in sim.pods.list()}
    # removing both frees 2 cpu; small-low is reprieved (1.5 still fits), big-low is the victim
    assert left == {"small-low", "urgent"}
    sim.pods.create(pod("equal", cpu="1", priorityClassName="high"))  # only 0 cpu is left
    blocked = sim.pods.get("equal").scheduling_result()
    # small-low is a possible victim, but without it 0.5 cpu is free: the filter's reason
    assert blocked.message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 Insufficient cpu."
    )


def test_preemption_picks_the_least_important_victims(sim: Any) -> None:
    sim.nodes.create(node("n1", cpu="2"))
    sim.nodes.create(node("n2", cpu="2"))
    for value, name in ((10, "p10"), (20, "p20"), (1000, "p1000")):
        sim.priority_classes.create({"metadata": {"name": name}, "value": value})
    sim.pods.create(pod("on-n1", cpu="2", priorityClassName="p20", nodeName="n1"))
    sim.pods.create(pod("on-n2", cpu="2", priorityClassName="p10", nodeName="n2"))
    urgent = sim.pods.create(pod("urgent", cpu="1", priorityClassName="p1000"))
    assert urgent.node_name == "n2"  # the lower highest-victim priority
    assert {p.name for p in sim.pods.list()} == {"on-n1", "urgent"}


def test_volume_binding_wait_for_first_consumer(sim: Any) -> None:
    for name in ("n1", "n2"):
        sim.nodes.create(node(name))
    sim.storage_classes.create(
        {
            "metadata": {"name": "local"},
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
    )
    sim.pvs.create(
        {
            "metadata": {"name": "disk-n2"},
            "spec": {
                "capacity": {"storage": "10Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "local",
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/hostname",
                                        "operator": "In",
                                        "values": ["n2"],
                                    }
                                ]
                            }
                        ]
                    }
                },
            },
        }
    )
    sim.pvcs.create(
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "local",
                "resources": {"requests": {"storage": "5Gi"}},
            },
        }
    )
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    placed = sim.pods.create(pod("db", volumes=volumes))
    assert placed.node_name == "n2"
    assert placed.scheduling_result().filter["n1"]["VolumeBinding"] == (
        "node(s) didn't find available persistent volumes to bind"
    )
    claim = sim.pvcs.get("data")
    assert claim.spec["volumeName"] == "disk-n2" and claim.status["phase"] == "Bound"
    assert sim.pvs.get("disk-n2").spec["claimRef"]["uid"] == claim.uid
    # a second pod on the bound claim must follow the volume's node affinity
    again = sim.pods.create(pod("db-2", volumes=volumes))
    assert again.node_name == "n2"
    assert again.scheduling_result().filter["n1"]["VolumeBinding"] == (
        "node(s) had volume node affinity conflict"
    )


def test_volume_binding_prefilter_failures_and_provisioning(sim: Any) -> None:
    sim.nodes.create(node("n1"))
    missing = sim.pods.create(
        pod("a", volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": "nope"}}])
    )
    assert missing.scheduling_result().message == (
        '0/1 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/1 nodes '
        "are available: 1 Preemption is not helpful for scheduling."
    )
    sim.storage_classes.create({"metadata": {"name": "fast"}, "provisioner": "ebs.csi.aws.com"})
    sim.pvcs.create(
        {
            "metadata": {"name": "now"},
            "spec": {
                "storageClassName": "fast",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    )
    immediate = sim.pods.create(
        pod("b", volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": "now"}}])
    )
    assert "pod has unbound immediate PersistentVolumeClaims" in (
        immediate.scheduling_result().message or ""
    )
    sim.storage_classes.create(
        {
            "metadata": {"name": "lazy"},
            "provisioner": "ebs.csi.aws.com",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
    )
    sim.pvcs.create(
        {
            "metadata": {"name": "later"},
            "spec": {
                "storageClassName": "lazy",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "3Gi"}},
            },
        }
    )
    provisioned = sim.pods.create(
        pod("c", volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": "later"}}])
    )
    assert provisioned.node_name == "n1"
    volume_name = sim.pvcs.get("later").spec["volumeName"]
    assert sim.pvs.get(volume_name).spec["capacity"] == {"storage": "3Gi"}


def test_node_ports_and_image_locality(sim: Any) -> None:
    sim.nodes.create(
        node("with-image", images=[{"names": ["registry.local/web:1.27"], "sizeBytes": 500 * MB}])
    )
    sim.nodes.create(node("without"))
    first = sim.pods.create(
        pod(
            "web-1",
            image="registry.local/web:1.27",
            ports=[{"containerPort": 80, "hostPort": 8080}],
        )
    )
    result = first.scheduling_result()
    # spread 1/2 -> 250 MB; (250 - 23) * 100 / (1000 - 23) = 23
    assert result.score["with-image"]["ImageLocality"] == 23
    assert result.score["without"]["ImageLocality"] == 0
    assert first.node_name == "with-image"
    second = sim.pods.create(
        pod(
            "web-2",
            image="registry.local/web:1.27",
            ports=[{"containerPort": 80, "hostPort": 8080}],
        )
    )
    assert second.node_name == "without"
    assert second.scheduling_result().filter["with-image"]["NodePorts"] == (
        "node(s) didn't have free ports for the requested pod ports"
    )
