"""The facade's object verbs over the memory cluster: list, watch, get, create, replace,
patch, delete, and the ``status`` and ``binding`` subresources.

Every write goes through the cluster (``memory.core.Cluster``), so pods are scheduled and
controllers run exactly as for every other lens. The verbs are plain (blocking) methods; the
app runs them in worker threads.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ..errors import BadRequestError, ConflictError, ExpiredError
from ..kube.patch import apply_patch
from ..kube.selectors import parse_field_selector, parse_label_selector
from ..kube.snapshot import strip_results
from ..kube.store import copy_object
from ..kube.translate import bound_status
from ..memory import Cluster
from .paths import Target
from .status import InvalidObjectError, status_body
from .tables import table_for

__all__ = ["Objects"]


def body_object(raw: bytes, target: Target) -> dict[str, Any]:
    """A request body as an object of ``target``'s namespace."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed"}) from None
    if not isinstance(obj, dict):
        raise BadRequestError("the body must be an object", {"body": "not an object"})
    metadata = obj.setdefault("metadata", {})
    if target.info.namespaced and target.namespace:
        given = metadata.get("namespace")
        if given and given != target.namespace:
            raise BadRequestError(
                "the namespace of the object does not match the request",
                {"metadata.namespace": given},
            )
        metadata["namespace"] = target.namespace
    return obj


class Objects:
    """The object verbs of the Kubernetes API on one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    # -- reads -------------------------------------------------------------------------------

    def list(self, target: Target, params: Any, table: bool) -> dict[str, Any]:
        cluster = self.cluster
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(params.get("fieldSelector"))
        with cluster.lock:
            cluster.tick()
            plural = target.info.plural
            items = [
                cluster.present(plural, o, True)  # pods with their results, as GET shows them
                for o in cluster.store.items(plural, target.namespace)
                if labels(o) and fields(o)
            ]
            version = str(cluster.store.version)
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        start = 0
        if params.get("continue"):
            try:
                start = int(base64.urlsafe_b64decode(params["continue"].encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise BadRequestError("invalid continue token", {"continue": "invalid"}) from None
        meta: dict[str, Any] = {"resourceVersion": version}
        limit = params.get("limit")
        count = 0
        if limit:
            try:
                count = int(limit)
            except ValueError:
                raise BadRequestError("limit must be an integer", {"limit": limit}) from None
        if count > 0 and start + count < len(items):
            meta["continue"] = base64.urlsafe_b64encode(str(start + count).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - count
            items = items[start : start + count]
        else:
            items = items[start:]
        if table:
            return table_for(target.info.plural, items, version)
        return {
            "kind": f"{target.info.kind}List",
            "apiVersion": target.info.api_version,
            "metadata": meta,
            "items": items,
        }

    def get(self, target: Target, table: bool) -> dict[str, Any]:
        assert target.name is not None
        obj = self.cluster.get(target.info.plural, target.name, target.namespace)
        if table:
            return table_for(target.info.plural, [obj], str(self.cluster.store.version))
        return obj

    def watch(self, target: Target, params: Any) -> Iterator[bytes]:
        """Watch events as newline-delimited JSON (bookmarks while idle, if asked)."""
        cluster, info = self.cluster, target.info
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(params.get("fieldSelector"))
        rv = params.get("resourceVersion") or None
        if rv == "0":
            rv = None
        raw_timeout = params.get("timeoutSeconds")
        try:
            timeout = float(raw_timeout) if raw_timeout else None
        except ValueError:
            raise BadRequestError(
                "timeoutSeconds must be a number", {"timeoutSeconds": raw_timeout}
            ) from None
        bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            events = cluster.watch(
                {info.plural: rv}, kinds={info.plural}, heartbeat=1.0, timeout=timeout
            )
            for item in events:
                if deadline is not None and time.monotonic() > deadline:
                    return
                if item is None:
                    if bookmarks:
                        bookmark = {
                            "kind": info.kind,
                            "apiVersion": info.api_version,
                            "metadata": {"resourceVersion": str(cluster.store.version)},
                        }
                        yield orjson.dumps({"type": "BOOKMARK", "object": bookmark}) + b"\n"
                    continue
                _, event, obj = item
                if target.namespace and obj["metadata"].get("namespace") != target.namespace:
                    continue
                if target.name and obj["metadata"]["name"] != target.name:
                    continue
                if labels(obj) and fields(obj):
                    yield orjson.dumps({"type": event, "object": obj}) + b"\n"
        except ExpiredError as exc:
            expired = status_body(410, exc.message, "Expired")
            yield orjson.dumps({"type": "ERROR", "object": expired}) + b"\n"

    # -- writes ------------------------------------------------------------------------------

    @staticmethod
    def _write(
        operation: Callable[[str, dict[str, Any]], dict[str, Any]], plural: str, obj: dict[str, Any]
    ) -> dict[str, Any]:
        """A create or update; an invalid object is 422 Invalid, as the API server says."""
        try:
            return operation(plural, obj)
        except BadRequestError as exc:
            raise InvalidObjectError(exc.message, exc.details) from None

    def create(self, target: Target, raw: bytes) -> dict[str, Any]:
        obj = body_object(raw, target)
        if target.info.plural == "pods":
            obj.pop("status", None)
        return self._write(self.cluster.create, target.info.plural, obj)

    def delete(self, target: Target) -> dict[str, Any]:
        assert target.name is not None
        return self.cluster.delete(target.info.plural, target.name, target.namespace)

    def _stored(self, target: Target) -> dict[str, Any]:
        """The object as stored (no rendered result annotations)."""
        assert target.name is not None
        with self.cluster.lock:
            return copy_object(
                self.cluster.store.get(target.info.plural, target.name, target.namespace)
            )

    def _has_results(self, target: Target) -> bool:
        key = f"{target.namespace or 'default'}/{target.name}"
        return target.info.plural == "pods" and key in self.cluster.queue.results

    def update(self, target: Target, method: str, raw: bytes, content_type: str) -> dict[str, Any]:
        """PUT (replace) or PATCH, on the object or its ``status`` subresource."""
        current = self._stored(target)
        if method == "PUT":
            obj = body_object(raw, target)
            if self._has_results(target):
                strip_results(obj)  # what the facade rendered on read is not state
        else:
            try:
                patch = orjson.loads(raw or b"{}")
            except orjson.JSONDecodeError as exc:
                raise BadRequestError(f"malformed patch: {exc}", {"body": "malformed"}) from None
            obj = apply_patch(content_type, current, patch)
        if obj["metadata"].get("name") not in (None, target.name):
            raise BadRequestError(
                "the name of the object does not match the request",
                {"metadata.name": obj["metadata"].get("name")},
            )
        obj["metadata"]["name"] = target.name
        if target.subresource == "status":
            merged = copy_object(current)
            merged["status"] = obj.get("status", {})
            merged["metadata"]["resourceVersion"] = obj["metadata"].get(
                "resourceVersion", current["metadata"]["resourceVersion"]
            )
            obj = merged
        elif target.subresource is None and "status" in current:
            obj["status"] = current["status"]  # the main resource ignores status
        if method == "PATCH":
            obj["metadata"].pop("resourceVersion", None)
        return self._write(self.cluster.update, target.info.plural, obj)

    def bind(self, target: Target, raw: bytes) -> dict[str, Any]:
        """``pods/binding``: assign the pod to a node (what a scheduler does)."""
        try:
            binding = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed"}) from None
        node = ((binding if isinstance(binding, dict) else {}).get("target") or {}).get("name")
        if not node:
            raise BadRequestError("binding.target.name is required", {"target.name": "required"})
        current = self._stored(target)
        if (current.get("spec") or {}).get("nodeName"):
            raise ConflictError(
                f'pod {target.name} is already assigned to node "{current["spec"]["nodeName"]}"',
                {"name": target.name, "kind": "pods", "reason": "Conflict"},
            )
        current["spec"]["nodeName"] = node
        # the simulated kubelet (KWOK in the real simulator) reports the pod running at once
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.cluster.clock.now()))
        current["status"] = bound_status(current.get("status") or {}, now)
        self.cluster.update("pods", current)
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }
