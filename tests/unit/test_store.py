"""The object store: versions, conflicts, the event log and 410 Expired."""

from __future__ import annotations

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.kube.store import ObjectStore


def store(log_size: int = 1000) -> ObjectStore:
    s = ObjectStore(ManualClock(1_700_000_000), log_size=log_size)
    s.create("namespaces", {"metadata": {"name": "default"}})
    return s


def test_versions_increase_and_stale_updates_conflict() -> None:
    s = store()
    created = s.create("pods", {"metadata": {"name": "p"}, "spec": {}})
    assert created["metadata"]["uid"] and created["metadata"]["generation"] == 1
    assert created["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"
    version = int(created["metadata"]["resourceVersion"])
    fresh = {"metadata": {"name": "p", "resourceVersion": str(version)}, "spec": {"x": 1}}
    updated = s.update("pods", fresh)
    assert int(updated["metadata"]["resourceVersion"]) > version
    assert updated["metadata"]["generation"] == 2  # spec changed
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    stale = {"metadata": {"name": "p", "resourceVersion": str(version)}, "spec": {"x": 2}}
    with pytest.raises(k8sedge.ConflictError) as info:
        s.update("pods", stale)
    assert info.value.details["reason"] == "Conflict"
    with pytest.raises(k8sedge.ConflictError) as exists:
        s.create("pods", {"metadata": {"name": "p"}})
    assert exists.value.details["reason"] == "AlreadyExists"
    same_spec = {"metadata": {"name": "p"}, "spec": {"x": 1}, "status": {"phase": "Running"}}
    assert s.update("pods", same_spec)["metadata"]["generation"] == 2  # status only


def test_event_log_resumes_and_expires() -> None:
    s = store(log_size=5)
    first = int(s.create("nodes", {"metadata": {"name": "a"}})["metadata"]["resourceVersion"])
    for name in "bcd":
        s.create("nodes", {"metadata": {"name": name}})
    events = s.events_since(first)
    assert [(e[2], e[3]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("ADDED", "c"),
        ("ADDED", "d"),
    ]
    assert s.events_since(s.version) == []
    for name in "efgh":
        s.create("nodes", {"metadata": {"name": name}})
    with pytest.raises(k8sedge.ExpiredError) as info:
        s.events_since(first)
    assert info.value.status == 410
    deleted = s.delete("nodes", "h")
    assert s.events_since(s.version - 1)[0][2] == "DELETED"
    assert deleted["metadata"]["name"] == "h"
