"""Discovery: ``/version``, ``/api``, ``/apis`` and each group version's resources."""

from __future__ import annotations

from typing import Any

from .._version import __version__
from ..kube.kinds import KindInfo, served_kinds

__all__ = [
    "GROUPS",
    "WITH_STATUS",
    "api_group",
    "api_group_list",
    "api_versions",
    "resource_list",
    "version",
]

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
# kinds with a status subresource
WITH_STATUS = {
    "pods",
    "nodes",
    "deployments",
    "replicasets",
    "statefulsets",
    "jobs",
    "persistentvolumes",
    "persistentvolumeclaims",
    "namespaces",
    "services",
    "daemonsets",
    "cronjobs",
    "poddisruptionbudgets",
}


def _groups() -> dict[str, dict[str, list[KindInfo]]]:
    groups: dict[str, dict[str, list[KindInfo]]] = {}
    for info in served_kinds():
        group, _, group_version = info.api_version.rpartition("/")
        groups.setdefault(group, {}).setdefault(group_version, []).append(info)
    return groups


GROUPS = _groups()  # group ("" for the core group) -> version -> kinds


def version() -> dict[str, Any]:
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-k8sedge",
        "gitCommit": __version__,
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _versions(group: str) -> list[dict[str, str]]:
    return [{"groupVersion": f"{group}/{v}", "version": v} for v in GROUPS[group]]


def api_group(group: str) -> dict[str, Any]:
    entries = _versions(group)
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list() -> dict[str, Any]:
    listed = []
    for group in sorted(GROUPS):
        if group:
            entries = _versions(group)
            listed.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": listed}


def resource_list(group_version: str, infos: list[KindInfo]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for info in infos:
        resources.append(
            {
                "name": info.plural,
                "singularName": info.kind.lower(),
                "namespaced": info.namespaced,
                "kind": info.kind,
                "verbs": VERBS,
            }
        )
        if info.plural in WITH_STATUS:
            resources.append(
                {
                    "name": f"{info.plural}/status",
                    "singularName": "",
                    "namespaced": info.namespaced,
                    "kind": info.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        if info.plural == "pods" and info.api_version == "v1":
            resources.append(
                {
                    "name": "pods/binding",
                    "singularName": "",
                    "namespaced": True,
                    "kind": "Binding",
                    "verbs": ["create"],
                }
            )
            resources.append(  # kubectl drain finds the Eviction API here (group and version)
                {
                    "name": "pods/eviction",
                    "singularName": "",
                    "namespaced": True,
                    "group": "policy",
                    "version": "v1",
                    "kind": "Eviction",
                    "verbs": ["create"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
