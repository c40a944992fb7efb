"""Scheduler extenders: HTTP webhooks called with kube-scheduler's extender v1 JSON.

``filterVerb`` gets ``ExtenderArgs`` (``pod`` and ``nodenames`` when ``nodeCacheCapable``,
else ``nodes``) and answers ``ExtenderFilterResult``; ``prioritizeVerb`` answers a
``HostPriorityList`` whose scores (0 to 10) are multiplied by the extender's ``weight`` and by
MaxNodeScore / MaxExtenderPriority (10) and added to the nodes' final scores. An extender
that fails is skipped when ``ignorable``; otherwise scheduling the pod fails with its error.
Only the standard library is used (``urllib``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from ..surfaces.simulator.config import Extender
from ..timeutil import parse_duration
from .types import PodRequest

__all__ = ["MAX_EXTENDER_PRIORITY", "ExtenderClient", "ExtenderError"]

MAX_EXTENDER_PRIORITY = 10
DEFAULT_TIMEOUT = 5.0


class ExtenderError(Exception):
    pass


class ExtenderClient:
    def __init__(self, config: Extender) -> None:
        self.config = config
        prefix = config.url_prefix.rstrip("/")
        if config.enable_https and prefix.startswith("http://"):
            prefix = "https://" + prefix[len("http://") :]
        self.prefix = prefix
        self.timeout = (
            parse_duration(config.http_timeout, field="httpTimeout")
            if config.http_timeout
            else DEFAULT_TIMEOUT
        )

    @property
    def name(self) -> str:
        return self.config.url_prefix

    def interested(self, pod: PodRequest) -> bool:
        managed = [str(r.get("name", "")) for r in self.config.managed_resources]
        return not managed or any(name in pod.requests for name in managed)

    def _args(self, pod: PodRequest, nodes: list[str], node_object: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pod": pod.source or {"metadata": {"name": pod.name, "namespace": pod.namespace}}
        }
        if self.config.node_cache_capable:
            body["nodenames"] = nodes
        else:
            body["nodes"] = {"items": [node_object(n) for n in nodes]}
        return body

    def _post(self, verb: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.prefix}/{verb}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ExtenderError(f"extender {self.name} {verb}: {exc}") from exc

    def filter(
        self, pod: PodRequest, nodes: list[str], node_object: Any
    ) -> tuple[list[str], dict[str, str], dict[str, Any]]:
        """(nodes that passed, {failed node: reason}, the raw result for the annotation)."""
        result = self._post(self.config.filter_verb, self._args(pod, nodes, node_object))
        if not isinstance(result, dict):
            raise ExtenderError(f"extender {self.name} filter: unexpected answer {result!r}")
        if result.get("error"):
            raise ExtenderError(f"extender {self.name} filter: {result['error']}")
        failed = {
            **(result.get("failedNodes") or {}),
            **(result.get("failedAndUnresolvableNodes") or {}),
        }
        if result.get("nodenames") is not None:
            passed = [n for n in result["nodenames"] if n in nodes]
        elif result.get("nodes") is not None:
            passed = [
                str(o.get("metadata", {}).get("name"))
                for o in (result["nodes"] or {}).get("items") or ()
            ]
        else:
            passed = [n for n in nodes if n not in failed]
        record = {
            "Nodes": None,
            "NodeNames": passed,
            "FailedNodes": result.get("failedNodes") or {},
            "FailedAndUnresolvableNodes": result.get("failedAndUnresolvableNodes"),
            "Error": "",
        }
        return passed, {str(k): str(v) for k, v in failed.items()}, record

    def prioritize(
        self, pod: PodRequest, nodes: list[str], node_object: Any
    ) -> tuple[dict[str, int], list[dict[str, Any]]]:
        result = self._post(self.config.prioritize_verb, self._args(pod, nodes, node_object))
        if not isinstance(result, list):
            raise ExtenderError(f"extender {self.name} prioritize: unexpected answer {result!r}")
        scores = {str(h.get("host")): int(h.get("score", 0)) for h in result if isinstance(h, dict)}
        return scores, [{"Host": h, "Score": s} for h, s in scores.items()]


def bind_with(extender: ExtenderClient, pod: PodRequest, node: str) -> str | None:
    """Delegate binding (``bindVerb``): None on success, else the extender's error."""
    metadata = (pod.source or {}).get("metadata") or {}
    body = {
        "podName": pod.name,
        "podNamespace": pod.namespace,
        "podUID": metadata.get("uid", ""),
        "node": node,
    }
    try:
        answer = extender._post(extender.config.bind_verb, body)
    except ExtenderError as exc:
        return str(exc)
    if isinstance(answer, dict) and answer.get("error"):
        return f"extender {extender.name} bind: {answer['error']}"
    return None
