"""lightkube, kr8s and the official ``kubernetes`` client against the facade on a socket:
create, get, list, watch, patch, apply, scale and delete for Pods, Nodes, Deployments,
ConfigMaps and Namespaces."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import k8sedge
from k8sedge.kubeapi import create_kube_app, write_kubeconfig
from k8sedge.server.threaded import serve_in_thread

NODE = {"cpu": "8", "memory": "16Gi", "pods": "110"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    backend = k8sedge.MemoryBackend()
    with serve_in_thread(create_kube_app(backend.cluster)) as url:
        yield url, write_kubeconfig(tmp_path / "kubeconfig", url)


def _later(action: Any) -> None:
    def run() -> None:
        time.sleep(0.5)
        action()

    threading.Thread(target=run, daemon=True).start()


def test_lightkube(served: tuple[str, Path]) -> None:
    from lightkube import Client, KubeConfig

    client = Client(config=KubeConfig.from_file(str(served[1])), field_manager="lk")
    try:
        _lightkube(client)
    finally:
        client._client._client.close()  # lightkube has no close(); its httpx client does


def _lightkube(client: Any) -> None:
    from lightkube.models.apps_v1 import DeploymentSpec
    from lightkube.models.autoscaling_v1 import ScaleSpec
    from lightkube.models.core_v1 import Container, NodeStatus, PodSpec, PodTemplateSpec
    from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
    from lightkube.resources.apps_v1 import Deployment
    from lightkube.resources.core_v1 import ConfigMap, Namespace, Node, Pod

    client.create(Node(metadata=ObjectMeta(name="n1"), status=NodeStatus(allocatable=NODE)))
    client.create(Namespace(metadata=ObjectMeta(name="lk")))
    assert "lk" in [n.metadata.name for n in client.list(Namespace)]
    client.create(ConfigMap(metadata=ObjectMeta(name="cm", namespace="lk"), data={"a": "1"}))
    assert client.get(ConfigMap, "cm", namespace="lk").data == {"a": "1"}
    client.patch(ConfigMap, "cm", {"data": {"b": "2"}}, namespace="lk")
    assert client.get(ConfigMap, "cm", namespace="lk").data == {"a": "1", "b": "2"}
    pod = Pod(
        metadata=ObjectMeta(name="p", namespace="lk"),
        spec=PodSpec(containers=[Container(name="c", image="nginx")]),
    )
    assert client.create(pod).spec.nodeName == "n1"
    template = PodTemplateSpec(
        metadata=ObjectMeta(labels={"app": "w"}),
        spec=PodSpec(containers=[Container(name="c", image="nginx")]),
    )
    deployment = Deployment(
        metadata=ObjectMeta(name="w", namespace="lk"),
        spec=DeploymentSpec(
            replicas=2, selector=LabelSelector(matchLabels={"app": "w"}), template=template
        ),
    )
    applied = client.apply(deployment)  # server-side apply, created
    assert applied.spec.replicas == 2
    assert applied.metadata.managedFields[0].manager == "lk"
    client.replace(
        Deployment.Scale(metadata=ObjectMeta(name="w", namespace="lk"), spec=ScaleSpec(replicas=3))
    )
    assert client.get(Deployment.Scale, "w", namespace="lk").spec.replicas == 3
    assert len(list(client.list(Pod, namespace="lk", labels={"app": "w"}))) == 3
    listing = client.list(ConfigMap, namespace="lk")
    assert [c.metadata.name for c in listing] == ["cm"]
    version = listing.resourceVersion
    _later(lambda: client.delete(ConfigMap, "cm", namespace="lk"))
    for event, obj in client.watch(ConfigMap, namespace="lk", resource_version=version):
        if event == "DELETED":
            assert obj.metadata.name == "cm"
            break
    client.delete(Deployment, "w", namespace="lk")
    client.delete(Pod, "p", namespace="lk")
    client.delete(Node, "n1")
    assert [n.metadata.name for n in client.list(Node)] == []


def test_kr8s(served: tuple[str, Path]) -> None:
    asyncio.run(_kr8s(served[1]))


async def _kr8s(kubeconfig: Path) -> None:
    import kr8s.asyncio
    from kr8s.asyncio.objects import ConfigMap, Deployment, Namespace, Node, Pod

    api = await kr8s.asyncio.api(kubeconfig=str(kubeconfig))
    try:
        await Node({"metadata": {"name": "n1"}, "status": {"allocatable": NODE}}, api=api).create()
        await Namespace({"metadata": {"name": "k8"}}, api=api).create()
        cm = ConfigMap({"metadata": {"name": "cm", "namespace": "k8"}, "data": {"a": "1"}}, api=api)
        await cm.create()
        await cm.patch({"data": {"b": "2"}})
        await cm.refresh()
        assert cm.raw["data"] == {"a": "1", "b": "2"}
        pod = Pod(
            {
                "metadata": {"name": "p", "namespace": "k8"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
            api=api,
        )
        await pod.create()
        await pod.refresh()
        assert pod.raw["spec"]["nodeName"] == "n1"
        deployment = Deployment(
            {
                "metadata": {"name": "w", "namespace": "k8"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "w"}},
                    "template": {
                        "metadata": {"labels": {"app": "w"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                    },
                },
            },
            api=api,
        )
        await deployment.create()
        await deployment.scale(3)
        await deployment.refresh()
        assert deployment.replicas == 3
        pods = [p async for p in api.async_get("pods", namespace="k8", label_selector="app=w")]
        assert len(pods) == 3
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "applied", "namespace": "k8"},
            "data": {"x": "1"},
        }
        async with api.call_api(
            "PATCH",
            version="v1",
            url="configmaps/applied",
            namespace="k8",
            params={"fieldManager": "kr8s"},
            content=json.dumps(body),
            headers={"Content-Type": "application/apply-patch+yaml"},
        ) as response:
            assert response.json()["data"] == {"x": "1"}  # server-side apply created it
        watcher = api.async_watch("configmaps", namespace="k8")
        deleted = asyncio.create_task(_delete_soon(cm))
        try:
            async for event, obj in watcher:
                if event == "DELETED" and obj.name == "cm":
                    break
        finally:
            await watcher.aclose()
            await deleted
        await deployment.delete()
        await pod.delete()
        names = [c.name async for c in api.async_get("configmaps", namespace="k8")]
        assert names == ["applied"]
    finally:
        if api._session is not None:
            await api._session.aclose()


async def _delete_soon(obj: Any) -> None:
    await asyncio.sleep(0.5)
    await obj.delete()


def test_official_client(served: tuple[str, Path]) -> None:
    from kubernetes import client, config, watch

    api_client = config.new_client_from_config(str(served[1]))
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    try:
        core.create_node({"metadata": {"name": "n1"}, "status": {"allocatable": NODE}})
        core.create_namespace({"metadata": {"name": "oc"}})
        core.create_namespaced_config_map("oc", {"metadata": {"name": "cm"}, "data": {"a": "1"}})
        core.patch_namespaced_config_map("cm", "oc", {"data": {"b": "2"}})
        assert core.read_namespaced_config_map("cm", "oc").data == {"a": "1", "b": "2"}
        body = {
            "metadata": {"name": "w"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "w"}},
                "template": {
                    "metadata": {"labels": {"app": "w"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        }
        apps.create_namespaced_deployment("oc", body)
        apps.patch_namespaced_deployment_scale("w", "oc", {"spec": {"replicas": 2}})
        assert apps.read_namespaced_deployment_scale("w", "oc").spec.replicas == 2
        pods = core.list_namespaced_pod("oc", label_selector="app=w").items
        assert len(pods) == 2 and all(p.spec.node_name == "n1" for p in pods)
        applied = core.patch_namespaced_config_map(
            "applied",
            "oc",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "applied"},
                "data": {"x": "1"},
            },
            field_manager="official",
            _content_type="application/apply-patch+yaml",
        )  # server-side apply creates it
        assert applied.data == {"x": "1"}
        version = core.list_namespaced_config_map("oc").metadata.resource_version
        _later(lambda: core.delete_namespaced_config_map("cm", "oc"))
        seen = []
        stream = watch.Watch()
        for event in stream.stream(
            core.list_namespaced_config_map, "oc", resource_version=version, timeout_seconds=10
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                stream.stop()
        assert ("DELETED", "cm") in seen
        core.delete_collection_namespaced_config_map("oc")
        assert core.list_namespaced_config_map("oc").items == []
        apps.delete_namespaced_deployment("w", "oc")
        core.delete_node("n1")
        assert core.list_node().items == []
    finally:
        api_client.close()
