"""The Cello pool over a cluster's objects: one implementation for every backend.

``CelloPool`` implements ``CelloService`` on an ``Objects`` (the memory cluster or the
Kubernetes API, ``state.py``). Each operation is a transaction: it reads the pool, lets the
pool's controller catch up (``_reconcile``: the watchdog resets free clusters that failed,
autofill tops hosts up, lost Deployments and stray namespaces are repaired), then acts.
Writes of records carry their ``resourceVersion``, so two writers never both win: two users
applying at once get two clusters, on one process (one lock) as on several replicas of a
server on the same Kubernetes cluster (the API server refuses the stale write).
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from ...errors import BadRequestError, ConflictError, NotFoundError
from .controller import Controller, host_not_found
from .filters import check_filter, matches
from .models import Cluster, ClusterHealth, ClusterStatus, Host
from .network import check_apply, check_config
from .records import (
    SYSTEM,
    ClusterRecord,
    HostRecord,
    cluster_config_map,
    host_config_map,
    new_id,
    sequence,
)
from .state import (
    HEALTH_DELAY,
    Live,
    cluster_view,
    host_view,
    live_view,
    load,
    released_view as _released_view,
)
from .validation import host_fields

__all__ = ["CelloPool"]

_CLUSTER_FIELDS = tuple(Cluster(id="").to_dict())
_HOST_FIELDS = tuple(Host(id="").to_dict())


def _not_found(cluster_id: str) -> NotFoundError:
    return NotFoundError(f"cluster not found with id={cluster_id}", {"cluster_id": cluster_id})


class CelloPool(Controller):
    """Cello's operations over a cluster's objects (see the module docstring)."""

    # -- users -------------------------------------------------------------------------------

    def apply(
        self,
        user_id: str = "",
        consensus_plugin: str = "",
        consensus_mode: str = "",
        size: int | None = None,
        allow_multiple: bool = False,
    ) -> Cluster:
        check_apply(user_id, consensus_plugin, consensus_mode, size)
        wanted: dict[str, Any] = {
            "consensus_plugin": consensus_plugin or None,
            "consensus_mode": consensus_mode or None,
            "size": size,
        }

        def fits(live: Live) -> bool:
            return all(v is None or getattr(live.record, k) == v for k, v in wanted.items())

        with self.objects.transaction() as now:
            state = self._reconcile(now)
            if not allow_multiple:
                for live in state.clusters:
                    if (
                        live.record.user_id == user_id
                        and live.health is ClusterHealth.OK
                        and fits(live)
                    ):
                        return live_view(live)
            for live in state.clusters:
                host = state.hosts.get(live.record.host_id)
                if (
                    live.free
                    and live.status is ClusterStatus.RUNNING
                    and live.health is ClusterHealth.OK
                    and fits(live)
                    and host is not None
                    and host.schedulable
                    and state.active(host)
                ):
                    claimed = self._claim(live.record, user_id, now)
                    if claimed is not None:
                        return cluster_view(claimed, live.status, live.health)
        raise BadRequestError(f"No available res for {user_id}", {"user_id": user_id})

    def _claim(self, record: ClusterRecord, user_id: str, now: float) -> ClusterRecord | None:
        """Take a free cluster for a user; None if another writer took or changed it first."""
        for _ in range(2):
            claimed = evolve(record, user_id=user_id, apply_ts=now)
            claimed.rv = record.rv
            try:
                self._save(claimed)
                return claimed
            except ConflictError:
                fresh = self._reread(record)
                if fresh is None or fresh.id != record.id or fresh.user_id:
                    return None
                record = fresh
        return None

    def release(self, cluster_id: str = "", user_id: str = "") -> None:
        if not cluster_id and not user_id:
            raise BadRequestError("No cluster_id is given", {"cluster_id": "required"})
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            if cluster_id:
                live = state.find(cluster_id)
                if live is None:
                    raise _not_found(cluster_id)
                targets = [live]
            else:
                targets = [c for c in state.clusters if c.record.user_id == user_id]
            for live in targets:
                self._release(live, state, now)

    def start(self, cluster_id: str = "") -> None:
        self._run(cluster_id, "running", restart=False)

    def stop(self, cluster_id: str = "") -> None:
        self._run(cluster_id, "stopped", restart=False)

    def restart(self, cluster_id: str = "") -> None:
        self._run(cluster_id, "running", restart=True)

    def _run(self, cluster_id: str, phase: str, *, restart: bool) -> None:
        if not cluster_id:
            raise BadRequestError("No cluster_id is given", {"cluster_id": "required"})
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            live = state.find(cluster_id)
            if live is None:
                raise _not_found(cluster_id)
            record = live.record
            if phase == "running" and (record.phase != "running" or restart):
                record.health_at = now + HEALTH_DELAY
            record.restarts += 1 if restart else 0
            record.phase = phase
            self._save(record)
            self._apply_workload(record, state)

    def list_clusters(self, filter: dict[str, Any]) -> list[Cluster]:
        filter = dict(filter)
        collection = filter.pop("state", "active")
        if collection not in ("active", "released"):
            raise BadRequestError(
                f"Unknown cluster state={collection}", {"state": "one of active, released"}
            )
        wanted = check_filter(filter, _CLUSTER_FIELDS, "cluster")
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            if collection == "released":
                views = [_released_view(r) for r in state.released]
            else:
                views = [live_view(c) for c in state.clusters]
        return [v for v in views if matches(v.to_dict(), wanted)]

    def get_cluster(self, cluster_id: str) -> Cluster:
        with self.objects.transaction() as now:
            live = self._reconcile(now).find(cluster_id)
            if live is None:
                raise _not_found(cluster_id)
            return live_view(live)

    # -- operators: clusters -----------------------------------------------------------------

    def create_cluster(
        self,
        name: str = "",
        host_id: str = "",
        network_type: str = "",
        consensus_plugin: str = "",
        consensus_mode: str = "",
        size: int | None = None,
    ) -> Cluster:
        if not (name and host_id and network_type and consensus_plugin and size is not None):
            raise BadRequestError(
                "cluster post without enough data",
                {"required": "name, host_id, network_type, consensus_plugin, size"},
            )
        mode = check_config(network_type, consensus_plugin, consensus_mode, size)
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            host = state.hosts.get(host_id)
            if host is None:
                raise host_not_found(host_id)
            if not state.active(host):
                raise BadRequestError(
                    f"Failed to create cluster {name}", {"host_id": "the host is not active"}
                )
            if len(state.of_host(host.id)) >= host.capacity:
                raise BadRequestError(
                    f"Failed to create cluster {name}",
                    {"host_id": f"the host is full (capacity {host.capacity})"},
                )
            config = (network_type, consensus_plugin, mode, size)
            record = self._create(host, state, name, config, now)
            if record is None:
                raise ConflictError(
                    f"Failed to create cluster {name}", {"host_id": "no free slot, try again"}
                )
            state = load(self.objects, now)
            live = state.find(record.id)
            return (
                live_view(live)
                if live is not None
                else cluster_view(record, ClusterStatus.CREATING, ClusterHealth.UNKNOWN)
            )

    def delete_cluster(self, cluster_id: str = "", col_name: str = "active") -> None:
        if not cluster_id:
            raise BadRequestError("cluster operation post without enough data", {"id": "required"})
        if col_name not in ("active", "released"):
            raise BadRequestError(
                f"Unknown col_name={col_name}", {"col_name": "one of active, released"}
            )
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            if col_name == "released":
                if not any(r.id == cluster_id for r in state.released):
                    raise _not_found(cluster_id)
                self.objects.delete("configmaps", f"released-{cluster_id}", SYSTEM)
                return
            live = state.find(cluster_id)
            if live is None:
                raise _not_found(cluster_id)
            if not live.free:
                raise ConflictError(
                    f"Failed to delete cluster {cluster_id}",
                    {"user_id": f"applied by {live.record.user_id}; release it first"},
                )
            self.objects.delete(
                "configmaps", cluster_config_map(live.record)["metadata"]["name"], SYSTEM
            )
            self._teardown(live.record.id)

    # -- operators: hosts --------------------------------------------------------------------

    def create_host(
        self,
        name: str = "",
        worker_api: str = "",
        capacity: int | None = None,
        host_type: str = "docker",
        autofill: bool = False,
        schedulable: bool = False,
        log_level: str = "INFO",
        log_type: str = "local",
        log_server: str = "",
        node_selector: dict[str, str] | None = None,
    ) -> Host:
        if not name or not worker_api or capacity is None or not log_type:
            raise BadRequestError(
                "host POST without enough data", {"required": "name, worker_api, capacity"}
            )
        values = host_fields(
            worker_api=worker_api,
            capacity=capacity,
            host_type=host_type,
            log_level=log_level,
            log_type=log_type,
            log_server=log_server,
            node_selector=node_selector,
        )
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            self._unique_worker(state, name, values["worker_api"], None)
            record = HostRecord(
                id=new_id(),
                name=name,
                type=values.pop("host_type"),
                autofill=autofill,
                schedulable=schedulable,
                create_ts=now,
                seq=sequence(),
                **values,
            )
            self._ensure_system()
            record.rv = self.objects.create("configmaps", host_config_map(record))["metadata"][
                "resourceVersion"
            ]
            state.hosts[record.id] = record
            if record.autofill and record.capacity > 0 and state.active(record):
                self._fill(record, state, now)
            return host_view(record, load(self.objects, now))

    def list_hosts(self, filter: dict[str, Any]) -> list[Host]:
        wanted = check_filter(filter, _HOST_FIELDS, "host")
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            views = [host_view(h, state) for h in state.hosts.values()]
        return [v for v in views if matches(v.to_dict(), wanted)]

    def get_host(self, host_id: str) -> Host:
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            return host_view(self._host(state, host_id), state)

    def update_host(
        self,
        host_id: str = "",
        name: str | None = None,
        worker_api: str | None = None,
        capacity: int | None = None,
        autofill: bool | None = None,
        schedulable: bool | None = None,
        log_level: str | None = None,
        log_type: str | None = None,
        log_server: str | None = None,
        node_selector: dict[str, str] | None = None,
    ) -> Host:
        if not host_id:
            raise BadRequestError("host PUT without enough data", {"id": "required"})
        if name is not None and not name:
            raise BadRequestError("name must not be empty", {"name": "must not be empty"})
        values = host_fields(
            worker_api=worker_api,
            capacity=capacity,
            log_level=log_level,
            log_type=log_type,
            log_server=log_server,
            node_selector=node_selector,
        )
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            host = self._host(state, host_id)
            count = len(state.of_host(host.id))
            if capacity is not None and capacity < count:
                raise BadRequestError(
                    f"Failed to update host {host.name}",
                    {"capacity": f"smaller than its {count} clusters"},
                )
            if "worker_api" in values:
                self._unique_worker(state, host.name, values["worker_api"], host.id)
            changes = {k: v for k, v in values.items() if v is not None}
            if log_type == "local":
                changes["log_server"] = ""
            flags = (("name", name), ("autofill", autofill), ("schedulable", schedulable))
            changes.update({key: value for key, value in flags if value is not None})
            updated = evolve(host, **changes)
            updated.rv = host.rv
            self._save(updated)
            state.hosts[host.id] = updated
            if updated.node_selector != host.node_selector:  # the pods move to the new nodes
                for live in state.of_host(host.id):
                    self._apply_workload(live.record, state)
            if updated.autofill and state.active(updated):
                self._fill(updated, state, now)
            return host_view(updated, load(self.objects, now))

    def delete_host(self, host_id: str = "") -> None:
        if not host_id:
            raise BadRequestError("host delete without enough data", {"id": "required"})
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            host = self._host(state, host_id)
            count = len(state.of_host(host.id))
            if count:
                raise ConflictError(
                    f"Failed to delete host {host_id}",
                    {"clusters": f"the host still has {count} clusters; clean it first"},
                )
            self.objects.delete("configmaps", host_config_map(host)["metadata"]["name"], SYSTEM)

    def fillup_host(self, host_id: str = "") -> Host:
        return self._host_op(host_id, "fillup")

    def clean_host(self, host_id: str = "") -> Host:
        return self._host_op(host_id, "clean")

    def reset_host(self, host_id: str = "") -> Host:
        return self._host_op(host_id, "reset")

    def _host_op(self, host_id: str, action: str) -> Host:
        if not host_id:
            raise BadRequestError("host POST without enough data", {"id": "required"})
        with self.objects.transaction() as now:
            state = self._reconcile(now)
            host = self._host(state, host_id)
            if action != "reset" and not state.active(host):
                raise BadRequestError(
                    f"Failed to {action} the host.", {"status": "the host is not active"}
                )
            if action == "fillup":
                self._fill(host, state, now)
            elif action == "clean":
                if host.autofill:
                    host.autofill = False
                    self._save(host)
                for live in state.of_host(host.id):
                    if live.free:
                        name = cluster_config_map(live.record)["metadata"]["name"]
                        self.objects.delete("configmaps", name, SYSTEM)
                        self._teardown(live.record.id)
            else:
                for live in state.of_host(host.id):
                    if live.free:
                        self._reset(live.record, state, now)
            return host_view(host, load(self.objects, now))
