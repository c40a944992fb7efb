"""The facade never acts on the wrong object: what it does not serve is 404, ``dryRun=All``
never persists (kubectl's ``--dry-run=server`` and ``diff`` included), stale versions and
preconditions are 409, and ``continue`` tokens survive deletions between pages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from k8sedge.kubeapi import write_kubeconfig

from .conftest import KUBECTL, Served, needs_kubectl

CM = "/api/v1/namespaces/default/configmaps"


def _configmap(kube: Served, name: str = "cm", **data: str) -> dict[str, object]:
    answer = kube.http.post(CM, json={"metadata": {"name": name}, "data": data or {"a": "1"}})
    assert answer.status_code == 201
    return answer.json()  # type: ignore[no-any-return]


def _deployment(kube: Served) -> dict[str, object]:
    body = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    answer = kube.http.post("/apis/apps/v1/namespaces/default/deployments", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/namespaces/team/endpoints/svc"),
        ("GET", "/api/v1/namespaces/team/replicationcontrollers"),
        ("GET", "/api/v1/namespaces/default/pods/p/log"),
        ("POST", "/api/v1/namespaces/default/pods/p/proxy"),
        ("PUT", "/apis/apps/v1/namespaces/default/deployments/web/rollback"),
        ("GET", "/apis/apps/v1/namespaces/default/deployments/web/status/extra"),
        ("DELETE", "/api/v1/namespaces/team/nodes/n1"),
        ("GET", "/api/v1/pods/p"),
        ("DELETE", "/api/v1/namespaces/team/finalize"),
        ("GET", "/apis/apps/v1/namespaces/team"),
    ],
)
def test_what_the_facade_does_not_serve_is_404(kube: Served, method: str, path: str) -> None:
    kube.http.post("/api/v1/namespaces", json={"metadata": {"name": "team"}})
    kube.http.post("/api/v1/nodes", json={"metadata": {"name": "n1"}})
    _deployment(kube)
    before = kube.snapshot()
    answer = kube.http.request(method, path, json={"spec": {"replicas": 0}})
    assert answer.status_code == 404, answer.text
    assert answer.json()["kind"] == "Status" and answer.json()["reason"] == "NotFound"
    assert kube.snapshot() == before


def test_dry_run_never_persists(kube: Served) -> None:
    current = _configmap(kube)
    _deployment(kube)
    before = kube.snapshot()
    dry = {"dryRun": "All"}
    created = kube.http.post(CM, params=dry, json={"metadata": {"name": "new"}, "data": {}})
    assert created.status_code == 201 and created.json()["metadata"]["uid"]
    patched = kube.http.patch(
        f"{CM}/cm",
        params=dry,
        content=json.dumps({"data": {"a": "2"}}),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200 and patched.json()["data"] == {"a": "2"}
    replaced = kube.http.put(f"{CM}/cm", params=dry, json={**current, "data": {"b": "3"}})
    assert replaced.status_code == 200 and replaced.json()["data"] == {"b": "3"}
    deleted = kube.http.request("DELETE", f"{CM}/cm", content=json.dumps({"dryRun": ["All"]}))
    assert deleted.status_code == 200
    scaled = kube.http.patch(
        "/apis/apps/v1/namespaces/default/deployments/web",
        params=dry,
        content=json.dumps({"spec": {"replicas": 5}}),
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    assert scaled.status_code == 200 and scaled.json()["spec"]["replicas"] == 5
    assert (
        kube.http.delete("/apis/apps/v1/namespaces/default/deployments/web", params=dry).status_code
        == 200
    )
    assert kube.snapshot() == before
    # a dry run checks what the real request would: a duplicate is still 409
    duplicate = kube.http.post(CM, params=dry, json={"metadata": {"name": "cm"}})
    assert duplicate.status_code == 409 and duplicate.json()["reason"] == "AlreadyExists"
    invalid = kube.http.post(CM, params=dry, json={"metadata": {"name": "Bad"}})
    assert invalid.status_code == 422
    assert kube.http.post(CM, params={"dryRun": "Some"}, json={}).status_code == 400


def test_stale_patches_and_preconditions_are_409(kube: Served) -> None:
    current = _configmap(kube)
    stale = current["metadata"]["resourceVersion"]  # type: ignore[index]
    kube.http.patch(
        f"{CM}/cm",
        content=json.dumps({"data": {"a": "2"}}),
        headers={"content-type": "application/merge-patch+json"},
    )
    before = kube.snapshot()
    for content_type, patch in [
        (
            "application/merge-patch+json",
            {"metadata": {"resourceVersion": stale}, "data": {"a": "3"}},
        ),
        ("application/strategic-merge-patch+json", {"metadata": {"resourceVersion": stale}}),
        (
            "application/json-patch+json",
            [{"op": "replace", "path": "/metadata/resourceVersion", "value": stale}],
        ),
    ]:
        answer = kube.http.patch(
            f"{CM}/cm", content=json.dumps(patch), headers={"content-type": content_type}
        )
        assert answer.status_code == 409 and answer.json()["reason"] == "Conflict", content_type
    for preconditions in ({"resourceVersion": stale}, {"uid": "not-the-uid"}):
        answer = kube.http.request(
            "DELETE", f"{CM}/cm", content=json.dumps({"preconditions": preconditions})
        )
        assert answer.status_code == 409 and "Precondition failed" in answer.json()["message"]
    assert kube.snapshot() == before
    fresh = kube.http.get(f"{CM}/cm").json()["metadata"]
    answer = kube.http.request(
        "DELETE",
        f"{CM}/cm",
        content=json.dumps(
            {"preconditions": {"uid": fresh["uid"], "resourceVersion": fresh["resourceVersion"]}}
        ),
    )
    assert answer.status_code == 200
    assert kube.http.get(f"{CM}/cm").status_code == 404


def test_continue_tokens_survive_deletions_between_pages(kube: Served) -> None:
    for i in range(6):
        _configmap(kube, f"cm-{i}")
    first = kube.http.get(CM, params={"limit": 2}).json()
    assert [o["metadata"]["name"] for o in first["items"]] == ["cm-0", "cm-1"]
    kube.http.delete(f"{CM}/cm-0")
    kube.http.delete(f"{CM}/cm-1")
    names = []
    token = first["metadata"]["continue"]
    while token:
        page = kube.http.get(CM, params={"limit": 2, "continue": token}).json()
        names += [o["metadata"]["name"] for o in page["items"]]
        token = page["metadata"].get("continue")
    assert names == ["cm-2", "cm-3", "cm-4", "cm-5"]


def _kubectl(config: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run(
        [KUBECTL, "--kubeconfig", config, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_kubectl
def test_kubectl_dry_run_server_and_diff_change_nothing(kube: Served, tmp_path: Path) -> None:
    config = str(write_kubeconfig(tmp_path / "kubeconfig", kube.url))
    _configmap(kube, "cm", a="1")
    before = kube.snapshot()
    manifest = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "2"}}
    )
    other = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}, "data": {}}
    )
    created = _kubectl(config, "create", "--dry-run=server", "-f", "-", stdin=other)
    assert created.returncode == 0, created.stderr
    applied = _kubectl(config, "apply", "--dry-run=server", "-f", "-", stdin=manifest)
    assert applied.returncode == 0, applied.stderr
    deleted = _kubectl(config, "delete", "configmap", "cm", "--dry-run=server")
    assert deleted.returncode == 0, deleted.stderr
    diff = _kubectl(config, "diff", "-f", "-", stdin=manifest)
    assert diff.returncode == 1 and '+  a: "2"' in diff.stdout, diff.stderr  # 1: differences
    assert kube.snapshot() == before


@needs_kubectl
def test_kubectl_gets_404_for_what_is_not_served(kube: Served, tmp_path: Path) -> None:
    config = str(write_kubeconfig(tmp_path / "kubeconfig", kube.url))
    _deployment(kube)
    before = kube.snapshot()
    ingresses = _kubectl(config, "get", "ingresses")
    assert ingresses.returncode != 0 and "doesn't have a resource type" in ingresses.stderr
    logs = _kubectl(config, "logs", "web-0")
    assert logs.returncode != 0 and "NotFound" in logs.stderr  # no such pod
    assert kube.snapshot() == before


def test_the_facade_holds_names_to_the_api_servers_rules(kube: Served) -> None:
    """Upper case and dotted namespaces are the SDK's leniency (kube-scheduler's test cases
    use them); the facade refuses them as kube-apiserver does, and stores nothing."""
    before = kube.snapshot()
    for path, name in [
        (CM, "Upper"),
        (CM, "under_score"),
        (CM, "a" * 254),
        ("/api/v1/namespaces", "team.sub"),
        ("/api/v1/nodes", "nodeA"),
    ]:
        answer = kube.http.post(path, json={"metadata": {"name": name}})
        assert answer.status_code == 422, (path, name, answer.text)
        body = answer.json()
        assert body["reason"] == "Invalid"
        assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert kube.snapshot() == before


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/api/v1/namespaces/default/pods",
            {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}},
            'Service in version "v1" cannot be handled as a Pod',
        ),
        (
            "/api/v1/namespaces/default/pods",
            {"apiVersion": "apps/v1", "kind": "Pod", "spec": {"containers": []}},
            "the API version in the data (apps/v1) does not match the expected API version (v1)",
        ),
        (
            "/apis/apps/v1/namespaces/default/deployments",
            {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}},
            "does not match the expected API version (apps/v1)",
        ),
        (CM, {"apiVersion": "v1", "kind": ["ConfigMap"]}, "cannot be handled as a ConfigMap"),
    ],
)
def test_a_body_of_another_kind_is_400_and_stores_nothing(
    kube: Served, path: str, body: dict[str, object], message: str
) -> None:
    """kube-apiserver's decoder refuses a body whose apiVersion or kind is not the path's;
    the facade did store a Service in the pods collection."""
    before = kube.snapshot()
    answer = kube.http.post(path, json={**body, "metadata": {"name": "wrong"}})
    assert answer.status_code == 400, answer.text
    assert answer.json()["reason"] == "BadRequest" and message in answer.json()["message"]
    assert kube.snapshot() == before


def test_a_patch_or_replace_cannot_change_the_kind(kube: Served) -> None:
    _configmap(kube, "kept")
    before = kube.snapshot()
    patched = kube.http.patch(
        f"{CM}/kept",
        json={"kind": "Secret"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 400 and patched.json()["reason"] == "BadRequest"
    replaced = kube.http.put(
        f"{CM}/kept",
        json={"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "kept"}},
    )
    assert replaced.status_code == 400 and "API version" in replaced.json()["message"]
    assert kube.snapshot() == before


def test_the_sdk_accepts_the_names_of_kube_schedulers_test_cases() -> None:
    import k8sedge

    sim = k8sedge.connect().simulator
    sim.namespaces.create({"metadata": {"name": "subteam1.team1"}})
    node = sim.nodes.create({"metadata": {"name": "nodeA"}})
    assert node.name == "nodeA"
    with pytest.raises(k8sedge.BadRequestError, match="RFC 1123"):
        sim.nodes.create({"metadata": {"name": "node_a"}})
