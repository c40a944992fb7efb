"""Ported from kubernetes/kubernetes pkg/controller/deployment/util/deployment_util_test.go
(v1.32): TestResolveFenceposts, TestNewRSNewReplicas, TestDeploymentComplete,
TestDeploymentProgressing, TestDeploymentTimedOut and TestMaxUnavailable, on the memory
cluster's Deployment controller (``k8sedge.kube.deployments``). Deployments and
ReplicaSets are the JSON objects the controller reads; times are epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from k8sedge.kube.deployments import (
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    max_unavailable,
    new_rs_replicas,
    resolve_fenceposts,
)


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        ("oops", "39%", 10, None),
        ("55%", "urg", 10, None),
        (None, "39%", 10, (0, 3)),
        ("39%", None, 10, (4, 0)),
        (None, None, 10, (0, 1)),
    ],
)
def test_resolve_fenceposts(surge: Any, unavailable: Any, desired: int, expected: Any) -> None:
    """TestResolveFenceposts."""
    if expected is None:
        with pytest.raises(ValueError):
            resolve_fenceposts(surge, unavailable, desired)
    else:
        assert resolve_fenceposts(surge, unavailable, desired) == expected


def deployment(
    replicas: int | None = None,
    strategy: str = "RollingUpdate",
    surge: Any = 1,
    unavailable: Any = 1,
    status: dict[str, Any] | None = None,
    deadline: int | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"strategy": {"type": strategy}}
    if replicas is not None:
        spec["replicas"] = replicas
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    spec["progressDeadlineSeconds"] = deadline
    return {"metadata": {"name": "d", "generation": 1}, "spec": spec, "status": status or {}}


def rs(replicas: int) -> dict[str, Any]:
    return {"metadata": {"name": f"rs-{replicas}"}, "spec": {"replicas": replicas}}


@pytest.mark.parametrize(
    ("strategy", "dep", "new", "surge", "expected"),
    [
        pytest.param("RollingUpdate", 1, 5, 1, 5, id="can not scale up - to newRSReplicas"),
        pytest.param("RollingUpdate", 6, 2, 10, 6, id="scale up - to depReplicas"),
        pytest.param("Recreate", 3, 1, 1, 3, id="recreate - to depReplicas"),
    ],
)
def test_new_rs_new_replicas(strategy: str, dep: int, new: int, surge: int, expected: int) -> None:
    """TestNewRSNewReplicas: the other ReplicaSet has 5 replicas."""
    d = deployment(dep, strategy, surge=surge, unavailable=1)
    new_rs = rs(new)
    assert new_rs_replicas(d, [rs(5), new_rs], new_rs) == expected


def _status(current: int, updated: int, ready: int, available: int) -> dict[str, Any]:
    return {
        "replicas": current,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": 1,
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            (5, 5, 5, 4, 1, 0), False, id="not complete: min but not all pods become available"
        ),
        pytest.param((5, 5, 5, 3, 1, 0), False, id="not complete: min availability is not honored"),
        pytest.param((5, 5, 5, 5, 0, 0), True, id="complete"),
        pytest.param(
            (5, 5, 4, 5, 0, 0), False, id="not complete: all pods are available but not updated"
        ),
        pytest.param((1, 2, 1, 1, 0, 1), False, id="not complete: still running old pods"),
        pytest.param(
            (1, 1, 1, 0, 1, 1), False, id="not complete: one replica deployment never comes up"
        ),
    ],
)
def test_deployment_complete(args: tuple[int, ...], expected: bool) -> None:
    """TestDeploymentComplete."""
    desired, current, updated, available, unavailable, surge = args
    status = _status(current, updated, 0, available)
    d = deployment(desired, surge=surge, unavailable=unavailable, status=status)
    assert deployment_complete(d, status) is expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param((10, 4, 4, 4), (10, 6, 4, 4), True, id="progressing: updated pods"),
        pytest.param((10, 4, 4, 4), (10, 4, 4, 4), False, id="not progressing"),
        pytest.param((10, 4, 6, 6), (8, 4, 6, 6), True, id="progressing: old pods removed"),
        pytest.param((10, 7, 3, 3), (10, 6, 3, 3), False, id="not progressing: less new pods"),
        pytest.param(
            (10, 4, 7, 7), (8, 8, 5, 5), True, id="progressing: less overall but more new pods"
        ),
        pytest.param((10, 10, 9, 8), (10, 10, 10, 8), True, id="progressing: more ready pods"),
        pytest.param(
            (10, 10, 10, 9), (10, 10, 10, 10), True, id="progressing: more available pods"
        ),
    ],
)
def test_deployment_progressing(
    before: tuple[int, ...], after: tuple[int, ...], expected: bool
) -> None:
    """TestDeploymentProgressing."""
    d = deployment(10, status=_status(*before))
    assert deployment_progressing(d, _status(*after)) is expected


def _at(minute: int, second: int) -> float:
    return datetime(2016, 1, 1, 0, minute, second, tzinfo=UTC).timestamp()


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("reason", "deadline", "updated", "now", "expected"),
    [
        pytest.param(
            "",
            None,
            _at(1, 9),
            _at(1, 20),
            False,
            id="nil progressDeadlineSeconds specified - no timeout",
        ),
        pytest.param(
            "",
            2**31 - 1,
            _at(1, 9),
            _at(1, 20),
            False,
            id="infinite progressDeadlineSeconds specified - no timeout",
        ),
        pytest.param(
            "",
            10,
            _at(1, 9),
            _at(1, 20),
            True,
            id="progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s",
        ),
        pytest.param(
            "",
            10,
            _at(1, 11),
            _at(1, 20),
            False,
            id="progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s",
        ),
        pytest.param(
            "NewReplicaSetAvailable",
            None,
            0.0,
            _at(1, 20),
            False,
            id="previous status was a complete deployment",
        ),
    ],
)
def test_deployment_timed_out(
    reason: str, deadline: int | None, updated: float, now: float, expected: bool
) -> None:
    """TestDeploymentTimedOut."""
    status = {
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": reason,
                "lastUpdateTime": _stamp(updated),
            }
        ]
    }
    d = deployment(10, status=status, deadline=deadline)
    assert deployment_timed_out(d, status, now) is expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        pytest.param(deployment(10, unavailable=5), 5, id="maxUnavailable less than replicas"),
        pytest.param(deployment(10, unavailable=10), 10, id="maxUnavailable equal replicas"),
        pytest.param(deployment(5, unavailable=10), 5, id="maxUnavailable greater than replicas"),
        pytest.param(deployment(0, unavailable=10), 0, id="maxUnavailable with replicas is 0"),
        pytest.param(
            deployment(strategy="Recreate"),
            0,
            id="maxUnavailable with Recreate deployment strategy",
        ),
        pytest.param(
            deployment(10, unavailable="50%"),
            5,
            id="maxUnavailable less than replicas with percents",
        ),
        pytest.param(
            deployment(10, unavailable="100%"), 10, id="maxUnavailable equal replicas with percents"
        ),
        pytest.param(
            deployment(5, unavailable="100%"),
            5,
            id="maxUnavailable greater than replicas with percents",
        ),
    ],
)
def test_max_unavailable(d: dict[str, Any], expected: int) -> None:
    """TestMaxUnavailable (maxSurge 1)."""
    assert max_unavailable(d) == expected
