"""The pool's controller and its writes, shared by every operation (``pool.py``).

``_reconcile`` lets the pool catch up at the start of each operation: the watchdog resets
free clusters that failed, autofill tops hosts up, stray namespaces (left by an interrupted
writer) go, and a cluster's Deployments are put back as its record says. The writes keep the
records and the workloads in step: a record first (with its ``resourceVersion``, so a stale
writer fails before it changes anything), then the namespace and Deployments.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Mapping
from typing import Any

from attrs import evolve

from ...errors import ConflictError, NotFoundError
from .models import ClusterHealth, ClusterStatus
from .network import FILLUP_TYPES, sizes_of
from .records import (
    CLUSTER_LABEL,
    SYSTEM,
    ClusterRecord,
    HostRecord,
    cluster_config_map,
    deployment,
    host_config_map,
    namespace,
    namespace_of,
    new_id,
    record_of,
    released_config_map,
    sequence,
    service,
)
from .state import HEALTH_DELAY, Live, Objects, State, load

__all__ = ["Controller"]


def host_not_found(host_id: str) -> NotFoundError:
    return NotFoundError(f"host not found with id={host_id}", {"host_id": host_id})


class Controller:
    """The pool's controller over a cluster's objects."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects

    # -- the controller ----------------------------------------------------------------------

    def _reconcile(self, now: float) -> State:
        """Read the pool and let its controller catch up at ``now``."""
        state = load(self.objects, now)
        changed = False
        for live in state.clusters:  # the watchdog: a free cluster that failed is reset
            if (
                live.free
                and live.status is ClusterStatus.RUNNING
                and (live.health is ClusterHealth.FAIL)
            ):
                with contextlib.suppress(ConflictError):
                    self._reset(live.record, state, now)
                    changed = True
        for host in state.hosts.values():  # autofill keeps a host full
            if host.autofill and len(state.of_host(host.id)) < host.capacity and state.active(host):
                self._fill(host, state, now)
                changed = True
        known = {c.record.id for c in state.clusters}
        for cluster_id in state.namespaces - known:  # left by an interrupted writer
            self._teardown(cluster_id)
            changed = True
        for live in state.clusters:  # Deployments deleted by hand, or never made
            if self._drifted(live):
                self._apply_workload(live.record, state)
                changed = True
        if any(live.pending for live in state.clusters) and self.objects.settle():
            changed = True
        return load(self.objects, now) if changed else state

    def _drifted(self, live: Live) -> bool:
        replicas = 1 if live.record.phase == "running" else 0
        for component in live.record.components:
            current = live.deployments.get(component.name)
            if current is None or (current.get("spec") or {}).get("replicas") != replicas:
                return True
        return False

    # -- writes ------------------------------------------------------------------------------

    def _host(self, state: State, host_id: str) -> HostRecord:
        host = state.hosts.get(host_id)
        if host is None:
            raise host_not_found(host_id)
        return host

    @staticmethod
    def _unique_worker(state: State, name: str, worker_api: str, own: str | None) -> None:
        for other in state.hosts.values():
            if other.worker_api == worker_api and other.id != own:
                raise ConflictError(
                    f"Failed to {'update' if own else 'create'} host {name}",
                    {"worker_api": f"{worker_api} is already host {other.id}"},
                )

    def _ensure_system(self) -> None:
        if self.objects.get("namespaces", SYSTEM, None) is None:
            with contextlib.suppress(ConflictError):
                self.objects.create(
                    "namespaces",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM}},
                )

    def _save(self, record: HostRecord | ClusterRecord) -> None:
        document = (
            host_config_map(record)
            if isinstance(record, HostRecord)
            else cluster_config_map(record)
        )
        stored = self.objects.update("configmaps", document)
        record.rv = str(stored["metadata"]["resourceVersion"])

    def _reread(self, record: ClusterRecord) -> ClusterRecord | None:
        found = self.objects.get(
            "configmaps", cluster_config_map(record)["metadata"]["name"], SYSTEM
        )
        if found is None:
            return None
        _, fresh = record_of(found)
        return fresh if isinstance(fresh, ClusterRecord) else None

    def _fill(self, host: HostRecord, state: State, now: float) -> None:
        """Create free clusters up to the host's capacity; each takes the lowest free slot,
        is named ``<host>_<slot>``, and gets a consensus and size drawn as the real dashboard
        did — at random, from a generator seeded by the backend's seed and the name."""
        missing = host.capacity - len(state.of_host(host.id))
        for slot in state.free_slots(host, max(0, missing)):
            name = f"{host.name}_{slot}"
            chance = random.Random(f"{self.objects.seed}/{name}")
            plugin, mode = chance.choice(FILLUP_TYPES)
            size = chance.choice(sizes_of("fabric-0.6"))
            self._create(host, state, name, ("fabric-0.6", plugin, mode, size), now, slot)

    def _create(
        self,
        host: HostRecord,
        state: State,
        name: str,
        config: tuple[str, str, str, int],
        now: float,
        slot: int | None = None,
    ) -> ClusterRecord | None:
        """A new cluster in ``slot`` (or the lowest free one): its record, then its
        workload. None if another writer took the slot first."""
        network_type, plugin, mode, size = config
        record = ClusterRecord(
            id=new_id(),
            name=name,
            host_id=host.id,
            slot=state.free_slots(host, 1)[0] if slot is None else slot,
            network_type=network_type,
            consensus_plugin=plugin,
            consensus_mode=mode,
            size=size,
            worker_api=host.worker_api,
            create_ts=now,
            health_at=now + HEALTH_DELAY,
            seq=sequence(),
        )
        self._ensure_system()
        try:
            stored = self.objects.create("configmaps", cluster_config_map(record))
        except ConflictError:
            return None
        record.rv = str(stored["metadata"]["resourceVersion"])
        state.clusters.append(Live(record, ClusterStatus.CREATING, ClusterHealth.UNKNOWN))
        self._apply_workload(record, state)
        return record

    def _release(self, live: Live, state: State, now: float) -> None:
        """Record the cluster in the released history, then reset it."""
        snapshot = evolve(
            live.record, release_ts=now, status=live.status.value, health=live.health.value
        )
        self._reset(live.record, state, now)
        snapshot.rv = ""
        with contextlib.suppress(ConflictError):
            self.objects.create("configmaps", released_config_map(snapshot))

    def _reset(self, record: ClusterRecord, state: State, now: float) -> None:
        """A fresh cluster in the same slot, with the same name, configuration and ports."""
        old_id = record.id
        fresh = evolve(
            record,
            id=new_id(),
            user_id="",
            create_ts=now,
            apply_ts=None,
            release_ts=None,
            phase="running",
            health_at=now + HEALTH_DELAY,
            restarts=0,
            seq=sequence(),
            status="",
            health="",
        )
        fresh.rv = record.rv
        self._save(fresh)  # a stale version: another writer acted first (ConflictError)
        self._teardown(old_id)
        self._apply_workload(fresh, state)

    def _apply_workload(self, record: ClusterRecord, state: State) -> None:
        """Make the cluster's namespace, Deployments (and Services) what the record says."""
        objects = self.objects
        space = namespace_of(record.id)
        if objects.get("namespaces", space, None) is None:
            with contextlib.suppress(ConflictError):
                objects.create("namespaces", namespace(record))
        host = state.hosts.get(record.host_id)
        selector = dict(host.node_selector) if host is not None else {}
        services = objects.serves("services")
        for component in record.components:
            wanted = deployment(record, component, selector, objects.scheduler_name)
            current = objects.get("deployments", component.name, space)
            if current is None:
                with contextlib.suppress(ConflictError):
                    objects.create("deployments", wanted)
            elif _differs(current, wanted):
                current["spec"] = {**current.get("spec", {}), **wanted["spec"]}
                objects.update("deployments", current)
            if (
                services
                and component.ports
                and objects.get("services", component.name, space) is None
            ):
                with contextlib.suppress(ConflictError):
                    objects.create("services", service(record, component))
        objects.settle()

    def _teardown(self, cluster_id: str) -> None:
        """Delete a cluster's Deployments (their pods go with them) and its namespace."""
        objects = self.objects
        space = namespace_of(cluster_id)
        selector = {CLUSTER_LABEL: cluster_id}
        if objects.serves("services"):
            for item in objects.select("services", space, selector):
                objects.delete("services", item["metadata"]["name"], space)
        for item in objects.select("deployments", space, selector):
            objects.delete("deployments", item["metadata"]["name"], space)
        with contextlib.suppress(ConflictError):  # already terminating
            objects.delete("namespaces", space, None)


def _differs(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    spec, goal = current.get("spec") or {}, wanted["spec"]
    template = (spec.get("template") or {}).get("metadata") or {}
    return bool(
        spec.get("replicas") != goal["replicas"]
        or (template.get("annotations") or {}) != goal["template"]["metadata"]["annotations"]
        or ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
        != goal["template"]["spec"].get("nodeSelector")
    )
