"""The scheduler-simulator surface — on every backend."""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge
from k8sedge.engine import Plugin as PluginRef, Plugins, PluginSet, SchedulerProfile
from k8sedge.surfaces.simulator.models import ResourcesForLoad


def node(name: str, cpu: str = "4", memory: str = "8Gi", **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
        },
    }


def pod(name: str, cpu: str = "500m", namespace: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": cpu, "memory": "256Mi"}},
                }
            ],
            **spec,
        },
    }


def test_pods_are_scheduled_with_results(any_client: k8sedge.Client) -> None:
    sim = any_client.simulator
    for i in range(3):
        sim.nodes.create(node(f"node-{i}"))
    created = sim.pods.create(pod("web-1"))
    assert created.node_name in {"node-0", "node-1", "node-2"}
    assert created.status["phase"] == "Running"
    result = sim.pods.result("web-1")
    assert result.scheduled and result.selected_node == created.node_name
    assert set(result.filter) == {"node-0", "node-1", "node-2"}
    assert all(v == "passed" for v in result.filter["node-0"].values())
    assert result.final_score[created.node_name]["TaintToleration"] == 300
    annotations = sim.pods.get("web-1").annotations
    assert annotations["kube-scheduler-simulator.sigs.k8s.io/selected-node"] == created.node_name

    too_big = sim.pods.create(pod("huge", cpu="64"))
    assert too_big.node_name is None
    unschedulable = sim.pods.result("huge")
    assert not unschedulable.scheduled
    assert unschedulable.message == (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )
    assert unschedulable.filter["node-1"]["NodeResourcesFit"] == "Insufficient cpu"
    # room appears: the pending pod is retried
    sim.nodes.create(node("big-node", cpu="128"))
    assert sim.pods.get("huge").node_name == "big-node"


def test_crud_for_every_kind(any_client: k8sedge.Client) -> None:
    sim = any_client.simulator
    objects = {
        sim.namespaces: {"metadata": {"name": "team-a"}},
        sim.priority_classes: {"metadata": {"name": "high"}, "value": 1000},
        sim.storage_classes: {
            "metadata": {"name": "local"},
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "WaitForFirstConsumer",
        },
        sim.pvs: {
            "metadata": {"name": "pv-1"},
            "spec": {
                "capacity": {"storage": "10Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "local",
            },
        },
        sim.pvcs: {
            "metadata": {"name": "claim-1", "namespace": "team-a"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "local",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
        sim.nodes: node("node-a"),
    }
    for api, obj in objects.items():
        created = api.create(obj)
        assert created.uid and created.resource_version
        namespace = created.namespace
        fetched = api.get(created.name, namespace)
        assert fetched.raw == created.raw
        assert created.name in [o.name for o in api.list()]
        with pytest.raises(k8sedge.ConflictError):
            api.create(obj)
        changed = dict(created.raw)
        changed["metadata"] = {**created.metadata, "labels": {"touched": "yes"}}
        applied = api.apply(changed)
        expected = {"touched": "yes"}
        if api is sim.namespaces:  # kube-apiserver keeps this label on every namespace
            expected["kubernetes.io/metadata.name"] = created.name
        assert applied.labels == expected
        assert int(applied.resource_version or 0) > int(created.resource_version or 0)
        assert applied.uid == created.uid
    assert [p.name for p in any_client.simulator.pvcs.list("team-a")] == ["claim-1"]
    assert any_client.simulator.pvcs.list("default") == []
    for api, obj in reversed(objects.items()):
        name = obj["metadata"]["name"]
        namespace = obj["metadata"].get("namespace")
        api.delete(name, namespace)
        with pytest.raises(k8sedge.NotFoundError):
            api.get(name, namespace)
    with pytest.raises(k8sedge.NotFoundError):
        any_client.simulator.pods.create(pod("lost", namespace="no-such-namespace"))
    with pytest.raises(k8sedge.BadRequestError):
        any_client.simulator.nodes.create({"metadata": {}})


def test_priority_class_sets_pod_priority(any_client: k8sedge.Client) -> None:
    sim = any_client.simulator
    sim.nodes.create(node("n"))
    sim.priority_classes.create({"metadata": {"name": "high"}, "value": 1000})
    assert sim.pods.create(pod("p", priorityClassName="high")).spec["priority"] == 1000
    with pytest.raises(k8sedge.NotFoundError):
        sim.pods.create(pod("q", priorityClassName="missing"))


def test_configuration_update_validation_and_reset(any_client: k8sedge.Client) -> None:
    sim = any_client.simulator
    config = sim.config()
    assert config.profiles[0].scheduler_name == "default-scheduler"
    assert config.parallelism == 16
    profile = SchedulerProfile(
        scheduler_name="default-scheduler",
        plugins=Plugins(
            score=PluginSet(disabled=[PluginRef(name="NodeResourcesBalancedAllocation")])
        ),
    )
    sim.update_config(k8sedge.SchedulerConfiguration(profiles=[profile], parallelism=3))
    updated = sim.config()
    assert updated.parallelism == 16  # only profiles and extenders are honoured
    assert "NodeResourcesBalancedAllocation" in [
        p.name for p in updated.profiles[0].plugins.score.disabled
    ]  # type: ignore[union-attr]
    sim.nodes.create(node("n"))
    sim.pods.create(pod("p"))
    assert "NodeResourcesBalancedAllocation" not in sim.pods.result("p").final_score.get("n", {})
    with pytest.raises(k8sedge.BadRequestError) as info:
        sim.update_config({"profiles": [{"plugins": {"filter": {"enabled": [{"name": "Bogus"}]}}}]})
    assert any("enabled[0]" in key for key in info.value.details)
    with pytest.raises(k8sedge.BadRequestError):
        sim.update_config({"profiles": [], "surprise": True})
    assert sim.config() == updated  # a rejected configuration changes nothing
    sim.reset()
    assert sim.config() == config
    assert sim.nodes.list() == [] and sim.pods.list() == []
    assert {n.name for n in sim.namespaces.list()} >= {"default", "kube-system"}


def test_export_filters_and_import_round_trips(any_client: k8sedge.Client) -> None:
    sim = any_client.simulator
    sim.namespaces.create({"metadata": {"name": "team-a"}})
    sim.priority_classes.create({"metadata": {"name": "high"}, "value": 1000})
    sim.nodes.create(
        {
            **node("node-a"),
            "spec": {"podCIDR": "10.0.0.0/24"},
            "metadata": {
                "name": "node-a",
                "labels": {"zone": "a"},
                "annotations": {"x-custom": "kept"},
            },
        }
    )
    sim.pods.create(pod("bound", nodeName="node-a"))
    sim.pods.create(
        {
            **pod("free"),
            "metadata": {"name": "free", "namespace": "default", "labels": {"app": "web"}},
        }
    )
    exported = sim.export()
    names = {
        k: [o["metadata"]["name"] for o in getattr(exported, k)]
        for k in ("namespaces", "priority_classes", "nodes", "pods")
    }
    assert names["namespaces"] == ["team-a"]  # default and kube-* are filtered
    assert names["priority_classes"] == ["high"]  # system-* are filtered
    assert sorted(names["pods"]) == ["bound", "free"]
    assert exported.scheduler_config is not None
    assert exported.scheduler_config["kind"] == "KubeSchedulerConfiguration"
    wire = exported.to_dict()
    assert set(wire) == {
        "pods",
        "nodes",
        "pvs",
        "pvcs",
        "storageClasses",
        "priorityClasses",
        "schedulerConfig",
        "namespaces",
    }

    sim.reset()
    sim.import_(wire)
    nodes = sim.nodes.list()
    assert [n.name for n in nodes] == ["node-a"]
    assert nodes[0].annotations == {"x-custom": "kept"}
    assert nodes[0].spec == {"podCIDR": "10.0.0.0/24"}  # fields the engine ignores survive
    original_uid = next(n for n in exported.nodes)["metadata"]["uid"]
    assert nodes[0].uid != original_uid  # import drops uid
    pods = {p.name: p for p in sim.pods.list()}
    assert pods["bound"].node_name == "node-a"
    assert pods["free"].node_name == "node-a"  # scheduled on import
    assert pods["free"].labels == {"app": "web"}


def test_import_tolerates_the_legacy_shape(any_client: k8sedge.Client) -> None:
    legacy = {  # the 2022 sample: no namespaces key, no apiVersion/kind, a bound PV and PVC
        "pods": [],
        "nodes": [],
        "storageClasses": [],
        "priorityClasses": [],
        "pvcs": [
            {
                "metadata": {
                    "name": "pvc1",
                    "namespace": "default",
                    "uid": "eaeda676",
                    "resourceVersion": "1490",
                },
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "volumeName": "pv1",
                    "resources": {"requests": {"storage": "1Gi"}},
                },
                "status": {"phase": "Bound"},
            }
        ],
        "pvs": [
            {
                "metadata": {"name": "pv1"},
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "claimRef": {"name": "pvc1", "namespace": "default", "uid": "eaeda676"},
                },
                "status": {"phase": "Bound"},
            }
        ],
        "schedulerConfig": {"profiles": [{"schedulerName": "default-scheduler"}]},
    }
    any_client.simulator.import_(legacy)
    pvc = any_client.simulator.pvcs.get("pvc1")
    pv = any_client.simulator.pvs.get("pv1")
    assert pvc.uid != "eaeda676"
    assert pv.spec["claimRef"]["uid"] == pvc.uid  # rewritten to the new claim
    assert any_client.simulator.export().namespaces == []
    with pytest.raises(k8sedge.BadRequestError):
        any_client.simulator.import_({"pods": "not-a-list"})
    any_client.simulator.import_(ResourcesForLoad())  # everything missing means empty


def test_watch_lists_then_resumes(any_client: k8sedge.Client) -> None:
    sim = any_client.simulator
    first = sim.nodes.create(node("n1"))
    events = list(sim.watch(timeout=0.2))
    kinds = {(e.kind, e.obj.name) for e in events}
    assert ("nodes", "n1") in kinds and ("namespaces", "default") in kinds
    assert all(e.event_type == "ADDED" for e in events)
    version = first.resource_version
    sim.nodes.create(node("n2", cpu="16"))  # the pod below prefers the emptier node
    sim.pods.create(pod("p"))
    sim.nodes.delete("n1")
    resumed = list(
        sim.watch(
            pods=version,
            nodes=version,
            namespaces=version,
            pvs=version,
            pvcs=version,
            storage_classes=version,
            priority_classes=version,
            timeout=0.2,
        )
    )
    seen = [(e.kind, e.event_type, e.obj.name) for e in resumed]
    assert ("nodes", "ADDED", "n2") in seen
    assert ("pods", "ADDED", "p") in seen
    assert ("pods", "MODIFIED", "p") in seen  # bound by the scheduler
    assert ("nodes", "DELETED", "n1") in seen
    assert ("nodes", "ADDED", "n1") not in seen
    bound = [e for e in resumed if e.kind == "pods" and e.event_type == "MODIFIED"]
    assert bound[-1].obj.node_name == "n2"
