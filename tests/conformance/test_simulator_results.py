"""The simulator as its users read it: results exported with the pods, kept across clients'
writes, and older exported configurations imported — on every backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge.kubeapi import create_kube_app
from k8sedge.server.threaded import serve_in_thread

PREFIX = "kube-scheduler-simulator.sigs.k8s.io/"


def _scenario(client: k8sedge.Client) -> None:
    for name in ("node-a", "node-b"):
        client.simulator.nodes.create(
            {
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
        )
    client.simulator.pods.create(
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "containers": [
                    {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "1"}}}
                ]
            },
        }
    )


def test_export_keeps_the_results_with_the_pods(any_client: k8sedge.Client) -> None:
    _scenario(any_client)
    pods = {p["metadata"]["name"]: p for p in any_client.simulator.export().pods}
    annotations = pods["web"]["metadata"]["annotations"]
    assert annotations[f"{PREFIX}selected-node"] == pods["web"]["spec"]["nodeName"]
    assert f"{PREFIX}filter-result" in annotations
    assert f"{PREFIX}finalscore-result" in annotations


def test_a_saved_scenario_comes_back_with_its_results(client: k8sedge.Client) -> None:
    _scenario(client)
    saved = client.simulator.export()
    selected = client.simulator.pods.result("web").selected_node
    client.simulator.reset()
    client.simulator.import_(saved)
    restored = client.simulator.pods.result("web")
    assert restored.selected_node == selected
    assert set(restored.filter) == {"node-a", "node-b"}


def test_clients_writes_do_not_erase_results(client: k8sedge.Client) -> None:
    _scenario(client)
    before = client.simulator.pods.result("web")
    pod = client.simulator.pods.get("web").raw
    pod["metadata"].setdefault("labels", {})["tier"] = "front"
    client.simulator.pods.apply(pod)
    after = client.simulator.pods.result("web")
    assert after.selected_node == before.selected_node
    assert after.final_score == before.final_score
    assert client.simulator.pods.get("web").labels["tier"] == "front"


def test_the_kubernetes_facade_lists_and_patches_pods_with_their_results(
    memory_backend: k8sedge.MemoryBackend,
) -> None:
    client = k8sedge.Client(memory_backend)
    _scenario(client)
    with serve_in_thread(create_kube_app(memory_backend.cluster)) as url, httpx.Client() as http:
        listed = http.get(f"{url}/api/v1/namespaces/default/pods").json()["items"]
        assert f"{PREFIX}selected-node" in listed[0]["metadata"]["annotations"]
        patched = http.patch(
            f"{url}/api/v1/namespaces/default/pods/web",
            json={"metadata": {"labels": {"tier": "front"}}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200
        annotations = patched.json()["metadata"]["annotations"]
        assert annotations[f"{PREFIX}selected-node"] == patched.json()["spec"]["nodeName"]
        again = http.get(f"{url}/api/v1/namespaces/default/pods").json()["items"][0]
        assert f"{PREFIX}filter-result" in again["metadata"]["annotations"]


OLD_CONFIG: dict[str, Any] = {
    "apiVersion": "kubescheduler.config.k8s.io/v1beta3",
    "kind": "KubeSchedulerConfiguration",
    "healthzBindAddress": "0.0.0.0:10251",
    "metricsBindAddress": "0.0.0.0:10251",
    "profiles": [{"schedulerName": "default-scheduler"}],
}


def test_an_older_exported_configuration_imports_with_warnings(
    any_client: k8sedge.Client,
) -> None:
    result = any_client.simulator.import_({"schedulerConfig": OLD_CONFIG, "pods": []})
    assert any("healthzBindAddress" in w for w in result.warnings)
    assert any("metricsBindAddress" in w for w in result.warnings)
    assert any("v1beta3" in w for w in result.warnings)
    assert any_client.simulator.config().profiles[0].scheduler_name == "default-scheduler"


def test_a_bad_plugin_in_an_old_export_is_still_refused(any_client: k8sedge.Client) -> None:
    bad = {
        **OLD_CONFIG,
        "profiles": [
            {
                "schedulerName": "default-scheduler",
                "plugins": {"score": {"enabled": [{"name": "NodeResourcesLeastAllocated"}]}},
            }
        ],
    }
    with pytest.raises(k8sedge.BadRequestError, match="NodeResourcesLeastAllocated"):
        any_client.simulator.import_({"schedulerConfig": bad})


def test_posting_a_configuration_stays_strict(any_client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.BadRequestError):
        any_client.simulator.update_config(OLD_CONFIG)
