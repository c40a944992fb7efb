"""The kubernetes backend: a real cluster (or k8sedge's Kubernetes API facade) through the
official ``kubernetes`` client, used for configuration and transport only; JSON is read raw
and handled as k8sedge's own documents. Each surface's mapping onto the cluster lives in its
folder (``k8sedge/surfaces/<name>/kubernetes.py``); see ``docs/backends/kubernetes.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson

from .._wire import load
from ..clock import Clock, SystemClock
from ..errors import (
    BadRequestError,
    ConflictError,
    ExpiredError,
    ForbiddenError,
    InternalError,
    K8sEdgeError,
    NotFoundError,
    TransportError,
    UnauthorizedError,
    UnsupportedError,
)
from ..kube.kinds import KindInfo
from ..surfaces import get_surface

__all__ = ["CONFIG_MAP", "SCHEDULER_NAME", "KubeRest", "KubernetesBackend", "kube_path"]

SCHEDULER_NAME = "k8sedge-scheduler"
CONFIG_MAP = ("kube-system", "k8sedge-scheduler-config")
_ERRORS: dict[int, type[K8sEdgeError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: ExpiredError,
    422: BadRequestError,
}
_STRIP = ("uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "selfLink")


def kube_path(
    info: KindInfo, namespace: str | None = None, name: str | None = None, sub: str | None = None
) -> str:
    group_version = info.api_version
    base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
    if info.namespaced and namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{info.plural}"
    if name:
        base += f"/{name}"
    if sub:
        base += f"/{sub}"
    return base


class KubeRest:
    """JSON requests through the official client's ``ApiClient`` (auth, TLS, proxies)."""

    def __init__(self, api_client: Any) -> None:
        self.api = api_client

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            m, url, h, b, _ = self.api.param_serialize(
                method,
                path,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self.api.call_api(m, url, h, b)
            response.read()
        except Exception as exc:  # urllib3 and socket errors surface in several shapes
            raise TransportError(f"{method} {path}: {exc}", {"error": type(exc).__name__}) from exc
        data = orjson.loads(response.data) if response.data else None
        if response.status >= 400:
            message = (data or {}).get("message") if isinstance(data, dict) else None
            reason = (data or {}).get("reason") if isinstance(data, dict) else None
            cls = _ERRORS.get(response.status, InternalError)
            raise cls(
                message or f"{method} {path}: HTTP {response.status}",
                {"reason": reason} if reason else {},
            )
        return data

    def stream(
        self, path: str, query: list[tuple[str, str]], timeout: float | None
    ) -> Iterator[dict[str, Any]]:
        m, url, h, b, _ = self.api.param_serialize(
            "GET",
            path,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(
            m, url, h, b, _request_timeout=None if timeout is None else timeout + 30
        )
        buffer = b""
        for chunk in response.response.stream(4096, decode_content=True):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    yield orjson.loads(line)
        response.response.release_conn()


class KubernetesBackend:
    """``connect("kubernetes://[context]", kubeconfig=..., allow_reset=False)``: every surface
    mapped onto a Kubernetes cluster through the official client."""

    blocking = True

    def __init__(
        self,
        url: str = "kubernetes://",
        *,
        kubeconfig: str | None = None,
        allow_reset: bool = False,
        seed: int = 0,
        clock: Clock | None = None,
        grace_period: float = 40.0,
    ) -> None:
        try:
            from kubernetes import config as kube_config
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise UnsupportedError(
                "the kubernetes backend needs the official client: "
                "pip install 'k8sedge[kubernetes]'"
            ) from exc
        context = urlsplit(url).netloc or None
        try:
            if kubeconfig is None and context is None and _in_cluster():
                kube_config.load_incluster_config()
                from kubernetes import client

                api_client = client.ApiClient()
            else:
                api_client = kube_config.new_client_from_config(
                    config_file=kubeconfig, context=context
                )
        except Exception as exc:
            raise BadRequestError(
                f"cannot load the Kubernetes configuration: {exc}", {"kubeconfig": str(kubeconfig)}
            ) from exc
        self.api_client = api_client
        self.rest = KubeRest(api_client)
        self.allow_reset = allow_reset
        self.seed = seed
        self.clock = clock or SystemClock()
        self.grace_period = grace_period
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()

    def service(self, name: str) -> Any:
        """Surface ``name`` mapped onto the cluster (``surfaces/<name>/kubernetes.py``)."""
        with self._lock:
            service = self._services.get(name)
            if service is None:
                service = self._services[name] = load(get_surface(name).kubernetes)(self)
            return service

    def close(self) -> None:
        self.api_client.close()


def _in_cluster() -> bool:
    import os

    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
