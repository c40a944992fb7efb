"""The memory cluster's controllers through the SDK's Kubernetes lens (``Cluster``), on a
manual clock: what kube-controller-manager does, step by step."""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge
from k8sedge.clock import ManualClock
from k8sedge.errors import ForbiddenError, K8sEdgeError, RateLimitedError
from k8sedge.kube.validation import InvalidError
from k8sedge.memory import Cluster
from k8sedge.memory.eviction import evict_pod


def make(**kwargs: Any) -> Cluster:
    cluster = Cluster(clock=ManualClock(1_700_000_000), **kwargs)
    for name in ("n1", "n2"):
        cluster.create(
            "nodes",
            {
                "metadata": {"name": name},
                "status": {"allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"}},
            },
        )
    return cluster


def workload(kind: str, name: str, replicas: int = 2, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    body: dict[str, Any] = {
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
            **spec,
        },
    }
    if kind != "daemonsets":
        body["spec"]["replicas"] = replicas
    return body


def pods(cluster: Cluster, app: str | None = None) -> list[dict[str, Any]]:
    return [
        p
        for p in cluster.list("pods")
        if app is None or (p["metadata"].get("labels") or {}).get("app") == app
    ]


def advance(cluster: Cluster, seconds: float) -> None:
    clock = cluster.clock
    assert isinstance(clock, ManualClock)
    clock.advance(seconds)
    cluster.advance()


def test_recreate_scales_old_to_zero_before_the_new_one() -> None:
    cluster = make()
    cluster.create("deployments", workload("deployments", "web", 2, strategy={"type": "Recreate"}))
    updated = cluster.get("deployments", "web")
    updated["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2"
    cluster.update("deployments", updated)
    images = {p["spec"]["containers"][0]["image"] for p in pods(cluster, "web")}
    assert images == {"busybox:2"} and len(pods(cluster, "web")) == 2
    reasons = [e["message"] for e in cluster.list("events") if e["reason"] == "ScalingReplicaSet"]
    assert any("Scaled down" in m and "from 2 to 0" in m for m in reasons)


def test_scaling_during_a_rollout_is_proportional() -> None:
    """A scaling event while two ReplicaSets are active shares the new replicas by size
    (``scale`` in pkg/controller/deployment/sync.go) rather than starting a new revision."""
    cluster = make()
    cluster.create("deployments", workload("deployments", "web", 4, minReadySeconds=100))
    advance(cluster, 100)
    d = cluster.get("deployments", "web")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2"
    cluster.update("deployments", d)
    before = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in cluster.list("replicasets")}
    assert sorted(before.values()) == [2, 3]  # surge 1 and unavailable 1, then new pods wait
    d = cluster.get("deployments", "web")
    d["spec"]["replicas"] = 8
    cluster.update("deployments", d)
    after = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in cluster.list("replicasets")}
    assert sum(after.values()) == 10  # 8 + maxSurge 25% of 8
    assert len(after) == 2 and all(after[n] > before[n] for n in before)


def test_indexed_job_runs_each_index_once() -> None:
    cluster = make(job_run_time=3)
    job = workload("jobs", "idx")
    job["spec"] = {
        "completions": 3,
        "parallelism": 2,
        "completionMode": "Indexed",
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
        },
    }
    cluster.create("jobs", job)
    indexes = sorted(
        p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        for p in cluster.list("pods")
    )
    assert indexes == ["0", "1"]
    advance(cluster, 3)
    assert cluster.get("jobs", "idx")["status"]["completedIndexes"] == "0-1"
    advance(cluster, 3)
    status = cluster.get("jobs", "idx")["status"]
    assert status["completedIndexes"] == "0-2" and status["succeeded"] == 3
    assert any(c["type"] == "Complete" for c in status["conditions"])


def test_job_active_deadline_fails_it() -> None:
    cluster = make(job_run_time=1000)
    job = workload("jobs", "slow")
    job["spec"] = {
        "activeDeadlineSeconds": 30,
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
        },
    }
    cluster.create("jobs", job)
    advance(cluster, 31)
    status = cluster.get("jobs", "slow")["status"]
    failed = [c for c in status["conditions"] if c["type"] == "Failed"]
    assert failed and failed[0]["reason"] == "DeadlineExceeded"
    assert pods(cluster) == []


def test_cronjob_replace_deletes_the_running_job() -> None:
    cluster = make(job_run_time=1000)
    cluster.create(
        "cronjobs",
        {
            "metadata": {"name": "cj"},
            "spec": {
                "schedule": "@every 1m",
                "concurrencyPolicy": "Replace",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "c", "image": "x"}],
                            }
                        }
                    }
                },
            },
        },
    )
    advance(cluster, 60)
    first = [j["metadata"]["name"] for j in cluster.list("jobs")]
    advance(cluster, 60)
    second = [j["metadata"]["name"] for j in cluster.list("jobs")]
    assert len(first) == len(second) == 1 and first != second
    assert cluster.get("cronjobs", "cj")["status"]["active"][0]["name"] == second[0]


def test_invalid_schedule_is_refused() -> None:
    cluster = make()
    body = {
        "metadata": {"name": "bad"},
        "spec": {"schedule": "TZ=UTC * * * * *", "jobTemplate": {"spec": {}}},
    }
    with pytest.raises(InvalidError) as refused:
        cluster.create("cronjobs", body)
    assert "TZ" in refused.value.message


def test_events_are_aggregated_and_bounded() -> None:
    cluster = make(max_events=5)
    cluster.create(
        "pods",
        {
            "metadata": {"name": "huge"},
            "spec": {
                "containers": [
                    {"name": "c", "image": "x", "resources": {"requests": {"cpu": "64"}}}
                ]
            },
        },
    )
    for _ in range(3):
        cluster.create(
            "nodes",
            {
                "metadata": {"name": f"small-{_}"},
                "status": {"allocatable": {"cpu": "1", "pods": "1"}},
            },
        )
    failed = [e for e in cluster.list("events") if e["reason"] == "FailedScheduling"]
    assert len(failed) <= 1 + 3  # one per distinct message, repeats counted on it
    for i in range(10):
        cluster.create(
            "pods",
            {"metadata": {"name": f"p{i}"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        )
    assert len(cluster.list("events")) <= 5


def test_garbage_collector_keeps_dependents_with_another_owner() -> None:
    cluster = make()
    a = cluster.create("configmaps", {"metadata": {"name": "a"}})
    b = cluster.create("configmaps", {"metadata": {"name": "b"}})

    def ref(owner: dict[str, Any]) -> dict[str, Any]:
        meta = owner["metadata"]
        return {"apiVersion": "v1", "kind": "ConfigMap", "name": meta["name"], "uid": meta["uid"]}

    cluster.create("secrets", {"metadata": {"name": "shared", "ownerReferences": [ref(a), ref(b)]}})
    cluster.create("secrets", {"metadata": {"name": "only-a", "ownerReferences": [ref(a)]}})
    cluster.delete("configmaps", "a")
    names = {s["metadata"]["name"]: s for s in cluster.list("secrets")}
    assert "only-a" not in names
    assert [r["name"] for r in names["shared"]["metadata"]["ownerReferences"]] == ["b"]


def test_jobs_orphan_their_pods_by_default_as_batch_v1_does() -> None:
    cluster = make(job_run_time=1000)
    job = workload("jobs", "j")
    job["spec"] = {
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
        }
    }
    cluster.create("jobs", job)
    cluster.delete("jobs", "j")
    left = pods(cluster)
    assert len(left) == 1 and "ownerReferences" not in left[0]["metadata"]


def test_pdb_with_max_unavailable_percentage_uses_the_controllers_scale() -> None:
    cluster = make()
    cluster.create("deployments", workload("deployments", "web", 4))
    cluster.create(
        "poddisruptionbudgets",
        {
            "metadata": {"name": "web"},
            "spec": {"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    status = cluster.get("poddisruptionbudgets", "web")["status"]
    assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == (
        4,
        2,
        2,
    )


def test_eviction_checks_and_charges_the_budget() -> None:
    cluster = make()
    cluster.create("deployments", workload("deployments", "web", 2))
    cluster.create(
        "poddisruptionbudgets",
        {
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    first, second = sorted(p["metadata"]["name"] for p in pods(cluster, "web"))
    evict_pod(cluster, "default", first, dry_run=True)
    assert cluster.store.find("pods", first, "default") is not None
    evict_pod(cluster, "default", first)
    assert cluster.store.find("pods", first, "default") is None
    assert len(pods(cluster, "web")) == 2  # the ReplicaSet replaced it
    cluster.create(
        "poddisruptionbudgets",
        {
            "metadata": {"name": "also"},
            "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    with pytest.raises(K8sEdgeError) as two:
        evict_pod(cluster, "default", second)
    assert two.value.status == 500 and "more than one PodDisruptionBudget" in two.value.message
    cluster.delete("poddisruptionbudgets", "web")
    with pytest.raises(RateLimitedError) as refused:
        evict_pod(cluster, "default", second)
    assert refused.value.details["causes"][0]["message"] == (
        "The disruption budget also needs 2 healthy pods and has 2 currently"
    )


def test_a_pending_pod_is_evicted_without_a_budget_check() -> None:
    cluster = make()
    cluster.create(
        "pods",
        {
            "metadata": {"name": "stuck", "labels": {"app": "x"}},
            "spec": {
                "containers": [
                    {"name": "c", "image": "x", "resources": {"requests": {"cpu": "99"}}}
                ]
            },
        },
    )
    cluster.create(
        "poddisruptionbudgets",
        {
            "metadata": {"name": "x"},
            "spec": {"minAvailable": 5, "selector": {"matchLabels": {"app": "x"}}},
        },
    )
    evict_pod(cluster, "default", "stuck")
    assert cluster.store.find("pods", "stuck", "default") is None


def test_system_namespaces_may_not_be_deleted() -> None:
    cluster = make()
    for name in ("default", "kube-system", "kube-public"):
        with pytest.raises(ForbiddenError):
            cluster.delete("namespaces", name)


def test_controllers_resume_from_a_data_directory(tmp_path: Any) -> None:
    """A Job's pending completion (a timer) is not state: after a restart the controllers
    resync from the stored objects and the pod still succeeds on time."""
    clock = ManualClock(1_700_000_000)
    first = k8sedge.MemoryBackend(clock=clock, data_dir=tmp_path).cluster
    first.create(
        "nodes", {"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "2", "pods": "9"}}}
    )
    job = workload("jobs", "j")
    job["spec"] = {
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
        }
    }
    first.create("jobs", job)
    first.close()
    clock.advance(5)
    second = k8sedge.MemoryBackend(clock=clock, data_dir=tmp_path).cluster
    try:
        status = second.get("jobs", "j")["status"]
        assert any(c["type"] == "Complete" for c in status["conditions"])
        assert [s["metadata"]["name"] for s in second.list("serviceaccounts", "default")] == [
            "default"
        ]
    finally:
        second.close()
