"""Discovery: ``/version``, ``/api``, ``/apis`` and each group version's resources."""

from __future__ import annotations

from typing import Any

from .._version import __version__
from ..kube.kinds import KindInfo, served_kinds

__all__ = [
    "CATEGORIES",
    "GROUPS",
    "REVIEWS",
    "SHORT_NAMES",
    "SUBRESOURCES",
    "WITH_SCALE",
    "WITH_STATUS",
    "api_group",
    "api_group_list",
    "api_versions",
    "resource_list",
    "version",
]

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# short names and categories as kube-apiserver registers them (pkg/registry/*/storage)
SHORT_NAMES = {
    "pods": ["po"],
    "nodes": ["no"],
    "namespaces": ["ns"],
    "persistentvolumes": ["pv"],
    "persistentvolumeclaims": ["pvc"],
    "configmaps": ["cm"],
    "events": ["ev"],
    "services": ["svc"],
    "serviceaccounts": ["sa"],
    "endpoints": ["ep"],
    "deployments": ["deploy"],
    "replicasets": ["rs"],
    "statefulsets": ["sts"],
    "daemonsets": ["ds"],
    "cronjobs": ["cj"],
    "poddisruptionbudgets": ["pdb"],
    "priorityclasses": ["pc"],
    "storageclasses": ["sc"],
}
CATEGORIES = {
    plural: ["all"]
    for plural in (
        "pods",
        "services",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
    )
}
# kinds with a scale subresource (autoscaling/v1 Scale)
WITH_SCALE = {"deployments", "replicasets", "statefulsets"}
# subresources served per kind (beyond status and scale)
SUBRESOURCES: dict[str, dict[str, tuple[str, str, list[str]]]] = {
    # plural -> subresource -> (group version of its kind, kind, verbs)
    "pods": {
        "binding": ("v1", "Binding", ["create"]),
        # kubectl drain finds the Eviction API here (its group and version)
        "eviction": ("policy/v1", "Eviction", ["create"]),
    },
}
# create-only review resources: group version -> (plural, kind, namespaced)
REVIEWS: dict[str, list[tuple[str, str, bool]]] = {
    "authorization.k8s.io/v1": [
        ("selfsubjectaccessreviews", "SelfSubjectAccessReview", False),
        ("selfsubjectrulesreviews", "SelfSubjectRulesReview", False),
    ],
    "authentication.k8s.io/v1": [("selfsubjectreviews", "SelfSubjectReview", False)],
    "v1": [("bindings", "Binding", True)],
}
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
    for served in REVIEWS:
        group, _, group_version = served.rpartition("/")
        groups.setdefault(group, {}).setdefault(group_version, [])
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


def _resource(info: KindInfo) -> dict[str, Any]:
    verbs = [v for v in VERBS if not (info.plural == "namespaces" and v == "deletecollection")]
    entry: dict[str, Any] = {
        "name": info.plural,
        "singularName": info.kind.lower(),
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": verbs,
    }
    if info.plural in SHORT_NAMES:
        entry["shortNames"] = SHORT_NAMES[info.plural]
    if info.plural in CATEGORIES:
        entry["categories"] = CATEGORIES[info.plural]
    return entry


def _sub(info: KindInfo, name: str, kind: str, verbs: list[str], gv: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{info.plural}/{name}",
        "singularName": "",
        "namespaced": info.namespaced,
        "kind": kind,
        "verbs": verbs,
    }
    group, _, version = gv.rpartition("/")
    if gv != info.api_version:
        entry["group"], entry["version"] = group, version
    return entry


def resource_list(group_version: str, infos: list[KindInfo]) -> dict[str, Any]:
    """``APIResourceList`` of a group version: its kinds, their subresources, reviews."""
    resources: list[dict[str, Any]] = []
    for info in infos:
        resources.append(_resource(info))
        if info.plural in WITH_STATUS:
            verbs = ["get", "patch", "update"]
            resources.append(_sub(info, "status", info.kind, verbs, info.api_version))
        if info.plural in WITH_SCALE:
            resources.append(
                _sub(info, "scale", "Scale", ["get", "patch", "update"], "autoscaling/v1")
            )
        for name, (gv, kind, verbs) in SUBRESOURCES.get(info.plural, {}).items():
            resources.append(_sub(info, name, kind, verbs, gv))
    for plural, kind, namespaced in REVIEWS.get(group_version, []):
        resources.append(
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["create"],
            }
        )
    resources.sort(key=lambda r: str(r["name"]))
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
