"""The facade's object verbs over the memory cluster: list, watch, get, create, replace,
patch, delete, and the ``status`` and ``binding`` subresources.

Every write goes through the cluster (``memory.core.Cluster``), so pods are scheduled and
controllers run exactly as for every other lens. The verbs are plain (blocking) methods; the
app runs them in worker threads.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from ..errors import BadRequestError, ConflictError, ExpiredError
from ..kube.events import from_events_v1, to_events_v1
from ..kube.patch import apply_patch
from ..kube.selectors import parse_field_selector, parse_label_selector
from ..kube.snapshot import strip_results
from ..kube.store import copy_object
from ..kube.translate import bound_status
from ..kube.validation import InvalidError, check_api_server_names
from ..memory import Cluster
from ..memory.watch import watch_events_async
from .apply import track_update
from .media import warn
from .paths import Target
from .protobuf import PROTOBUF, ProtobufError, encode, watch_frame
from .schema import strict_error, unknown_fields
from .status import InvalidObjectError, status_body
from .tables import table_for

__all__ = ["Objects"]


def _json_frame(event: str, obj: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": event, "object": obj}) + b"\n"


def _protobuf_frame(event: str, obj: dict[str, Any]) -> bytes:
    """One watch event as client-go reads it: a length-prefixed ``k8s\\x00`` envelope holding
    a ``WatchEvent`` whose object is the encoded object."""
    try:
        return watch_frame(event, encode(obj))
    except ProtobufError:  # an object without a protobuf form: its event is left out
        return b""


def check_type(target: Target, obj: dict[str, Any]) -> None:
    """A body's ``apiVersion`` and ``kind``, where given, are those of the path (400 Bad
    Request, as the API server's decoder answers): a Service is never stored as a Pod."""
    info = target.info
    version, kind = obj.get("apiVersion"), obj.get("kind")
    if version not in (None, "") and version != info.api_version:
        raise BadRequestError(
            f"the API version in the data ({str(version)[:100]}) does not match the expected "
            f"API version ({info.api_version})",
            {"reason": "BadRequest"},
        )
    if kind not in (None, "") and kind != info.kind:
        shown = str(kind)[:100]
        raise BadRequestError(
            f'{shown} in version "{info.api_version.rpartition("/")[2]}" cannot be handled as '
            f"a {info.kind}: the kind in the data ({shown}) does not match the expected kind "
            f"({info.kind})",
            {"reason": "BadRequest"},
        )


def body_object(obj: Any, target: Target) -> dict[str, Any]:
    """A request body (read in its media type) as an object of ``target``'s namespace."""
    if not isinstance(obj, dict):
        raise BadRequestError("the body must be an object", {"body": "not an object"})
    check_type(target, obj)
    metadata = obj.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        raise InvalidError(target.info, target.name or "", [("metadata", "must be an object")])
    if target.info.namespaced and target.namespace:
        given = metadata.get("namespace")
        if given and given != target.namespace:
            raise BadRequestError(
                "the namespace of the object does not match the request",
                {"metadata.namespace": given},
            )
        metadata["namespace"] = target.namespace
    return obj


def check_names(plural: str, obj: dict[str, Any]) -> None:
    """A new object's names by the API server's rules (422 Invalid); an update keeps the
    name its object has, so only creates are checked."""
    try:
        check_api_server_names(plural, obj)
    except InvalidError as exc:
        raise InvalidObjectError(exc.message, exc.details) from None


def viewed(target: Target, obj: dict[str, Any]) -> dict[str, Any]:
    """An object as ``target``'s group version shows it (events.k8s.io/v1 Events are the
    stored core/v1 Events, converted)."""
    if target.info.api_version == "events.k8s.io/v1":
        return to_events_v1(obj)
    return obj


def stored_as(target: Target, obj: dict[str, Any]) -> dict[str, Any]:
    """An object written through ``target``'s group version, as the store keeps it."""
    if target.info.api_version == "events.k8s.io/v1":
        return from_events_v1(obj)
    return obj


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    metadata = obj["metadata"]
    return str(metadata.get("namespace") or ""), str(metadata["name"])


def _encode_continue(key: tuple[str, str]) -> str:
    """The next page starts after this object: deleting items between pages skips none."""
    return base64.urlsafe_b64encode(orjson.dumps({"after": list(key)})).decode()


def _decode_continue(token: str | None) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        namespace, name = data["after"]
        if isinstance(namespace, str) and isinstance(name, str):
            return namespace, name
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        pass
    raise BadRequestError("invalid continue token", {"continue": "invalid"})


def _limit(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise BadRequestError("limit must be an integer", {"limit": raw[:100]}) from None


def watch_timeout(params: Any) -> float | None:
    """``timeoutSeconds``: a non-negative number (a bad one is 400, before streaming)."""
    raw = params.get("timeoutSeconds")
    if not raw:
        return None
    try:
        timeout = float(raw)
    except ValueError:
        timeout = -1.0
    if not 0 <= timeout < 10**9:
        raise BadRequestError(
            "timeoutSeconds must be a non-negative number", {"timeoutSeconds": raw[:100]}
        )
    return timeout


def check_fields(target: Target, body: Any, params: Any) -> None:
    """``fieldValidation``: ``Strict`` refuses fields the kind does not have (400), as
    kube-apiserver's strict decoding; otherwise they are dropped from ``body``, with a
    warning for each under ``Warn`` (the API server's default) and silently under
    ``Ignore``."""
    directive = (params.get("fieldValidation") if params is not None else None) or ""
    if directive not in ("", "Ignore", "Warn", "Strict"):
        raise BadRequestError(
            f"fieldValidation must be Ignore, Warn or Strict, not {directive[:40]!r}",
            {"fieldValidation": directive[:40]},
        )
    if not isinstance(body, dict):
        return
    info = target.info
    kind = info.kind if target.subresource != "scale" else "Scale"
    version = info.api_version if target.subresource != "scale" else "autoscaling/v1"
    strict = directive == "Strict"
    unknown = unknown_fields(body, version, kind, drop=not strict)
    if unknown and strict:
        raise strict_error(kind, version, unknown)
    if directive != "Ignore":
        for field in unknown:
            warn(f'unknown field "{field[:200]}"')


def dry_run(params: Any) -> bool:
    """``dryRun=All`` (the only value the API server knows)."""
    values = params.getlist("dryRun") if hasattr(params, "getlist") else [params.get("dryRun")]
    values = [v for v in values if v]
    if any(v != "All" for v in values):
        raise BadRequestError(
            f"invalid dryRun value {values!r}: only 'All' is supported", {"dryRun": "invalid"}
        )
    return bool(values)


def propagation_policy(options: dict[str, Any], params: Any) -> str | None:
    """``propagationPolicy`` (or the older ``orphanDependents``) of a delete, body first."""
    query = params if params is not None else {}
    policy = options.get("propagationPolicy") or query.get("propagationPolicy")
    orphan: Any = options.get("orphanDependents")
    if orphan is None and query.get("orphanDependents") is not None:
        orphan = query.get("orphanDependents") in ("true", "1", "True")
    if orphan is not None and policy:
        raise InvalidObjectError(
            "DeleteOptions.propagationPolicy: Invalid value: orphanDependents and "
            "deletionPropagation cannot be both set",
            {"causes": [{"field": "propagationPolicy", "message": "cannot be both set"}]},
        )
    if orphan is not None:
        return "Orphan" if orphan else "Background"
    if policy is not None and not isinstance(policy, str):
        raise BadRequestError(
            "propagationPolicy must be a string", {"propagationPolicy": "invalid"}
        )
    return policy or None


class Objects:
    """The object verbs of the Kubernetes API on one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    # -- reads -------------------------------------------------------------------------------

    @staticmethod
    def table_request(accept: str | None, params: Any) -> str | None:
        """``None``, or what a ``Table``'s rows carry (``includeObject``) when one is asked."""
        if "as=table" not in (accept or "").replace(" ", "").lower():
            return None
        include = params.get("includeObject") or "Metadata"
        if include not in ("None", "Metadata", "Object"):
            raise BadRequestError(
                f"includeObject must be None, Metadata or Object, not {include[:40]!r}",
                {"includeObject": include[:40]},
            )
        return str(include)

    def list(self, target: Target, params: Any, table: str | None) -> dict[str, Any]:
        cluster = self.cluster
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(params.get("fieldSelector"))
        with cluster.lock:
            now = cluster.tick()
            plural = target.info.plural
            items = [
                cluster.present(plural, o, True)  # pods with their results, as GET shows them
                for o in cluster.store.items(plural, target.namespace)
                if labels(o) and fields(o)
            ]
            version = str(cluster.store.version)
        items.sort(key=_key)
        after = _decode_continue(params.get("continue"))
        if after is not None:
            items = [o for o in items if _key(o) > after]
        meta: dict[str, Any] = {"resourceVersion": version}
        count = _limit(params.get("limit"))
        if count > 0 and count < len(items):
            meta["continue"] = _encode_continue(_key(items[count - 1]))
            meta["remainingItemCount"] = len(items) - count
            items = items[:count]
        if table is not None:
            answer = table_for(target.info.plural, items, version, now, table)
            answer["metadata"] = meta
            return answer
        items = [viewed(target, o) for o in items]
        return {
            "kind": f"{target.info.kind}List",
            "apiVersion": target.info.api_version,
            "metadata": meta,
            "items": items,
        }

    def get(self, target: Target, table: str | None, params: Any = None) -> dict[str, Any]:
        assert target.name is not None
        obj = self.cluster.get(target.info.plural, target.name, target.namespace)
        if table is not None:
            version = str(self.cluster.store.version)
            return table_for(target.info.plural, [obj], version, self.cluster.now(), table)
        return viewed(target, obj)

    async def watch(
        self, target: Target, params: Any, table: str | None = None, protobuf: bool = False
    ) -> tuple[AsyncIterator[bytes], str]:
        """Watch events and their media type: newline-delimited JSON (objects, or one-row
        ``Table``s when the watch asks ``as=Table``), or length-prefixed protobuf frames;
        bookmarks while idle, if asked. Every parameter is checked, and the watch started,
        when this is awaited: errors are ``Status`` answers, not broken streams."""
        cluster, info = self.cluster, target.info
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(params.get("fieldSelector"))
        rv = params.get("resourceVersion") or None
        if rv == "0":
            rv = None
        timeout = watch_timeout(params)
        bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        deadline = None if timeout is None else time.monotonic() + timeout
        frame = _protobuf_frame if protobuf else _json_frame
        media = f"{PROTOBUF};stream=watch" if protobuf else "application/json"
        try:
            events = await watch_events_async(
                cluster, {info.plural: rv}, kinds={info.plural}, heartbeat=1.0, timeout=timeout
            )
        except ExpiredError as exc:
            expired = status_body(410, exc.message, "Expired")

            async def gone() -> AsyncIterator[bytes]:
                yield frame("ERROR", expired)

            return gone(), media
        first = [True]

        def shown(obj: dict[str, Any]) -> dict[str, Any]:
            if table is None:
                return obj
            now, version = cluster.now(), obj["metadata"].get("resourceVersion", "")
            answer = table_for(info.plural, [obj], version, now, table, columns=first[0])
            first[0] = False
            return answer

        async def frames() -> AsyncIterator[bytes]:
            async for item in events:
                if deadline is not None and time.monotonic() > deadline:
                    return
                if item is None:
                    if bookmarks:
                        bookmark = {
                            "kind": info.kind,
                            "apiVersion": info.api_version,
                            "metadata": {"resourceVersion": str(cluster.store.version)},
                        }
                        yield frame("BOOKMARK", bookmark)
                    continue
                _, event, obj = item
                if target.namespace and obj["metadata"].get("namespace") != target.namespace:
                    continue
                if target.name and obj["metadata"]["name"] != target.name:
                    continue
                if labels(obj) and fields(obj):
                    yield frame(event, shown(obj) if table is not None else viewed(target, obj))

        return frames(), media

    # -- writes ------------------------------------------------------------------------------

    @staticmethod
    def _write(
        operation: Callable[[str, dict[str, Any]], dict[str, Any]], plural: str, obj: dict[str, Any]
    ) -> dict[str, Any]:
        """A create or update; an invalid object is 422 Invalid, as the API server says."""
        try:
            return operation(plural, obj)
        except InvalidError as exc:
            raise InvalidObjectError(exc.message, exc.details) from None
        except BadRequestError as exc:
            raise InvalidObjectError(exc.message, exc.details) from None

    def _now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.cluster.clock.now()))

    def create(
        self, target: Target, body: Any, dry: bool = False, params: Any = None, manager: str = ""
    ) -> dict[str, Any]:
        obj = stored_as(target, body_object(body, target))
        check_fields(target, obj, params)
        check_names(target.info.plural, obj)
        if target.info.plural == "pods":
            obj.pop("status", None)
        obj.setdefault("apiVersion", target.info.api_version)
        obj.setdefault("kind", target.info.kind)
        obj["metadata"].pop("managedFields", None)
        if manager:
            track_update(None, obj, manager, self._now())
        if dry:
            return viewed(target, self._write(self.cluster.preview, target.info.plural, obj))
        return viewed(target, self._write(self.cluster.create, target.info.plural, obj))

    def delete(
        self, target: Target, options: Any, dry: bool = False, params: Any = None
    ) -> dict[str, Any]:
        """DELETE, with ``DeleteOptions`` (``preconditions``, ``dryRun``,
        ``propagationPolicy``, ``orphanDependents``) in the body or the query."""
        assert target.name is not None
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise BadRequestError("DeleteOptions must be an object", {"body": "not an object"})
        preconditions = options.get("preconditions") or {}
        body_dry = options.get("dryRun") or []
        if not isinstance(preconditions, dict) or not isinstance(body_dry, list):
            raise BadRequestError("invalid DeleteOptions", {"preconditions": "must be an object"})
        if any(v != "All" for v in body_dry):
            raise BadRequestError("invalid dryRun value: only 'All'", {"dryRun": "invalid"})
        return self.cluster.delete(
            target.info.plural,
            target.name,
            target.namespace,
            preconditions=preconditions,
            dry_run=dry or bool(body_dry),
            propagation=propagation_policy(options, params),
        )

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

    def update(
        self,
        target: Target,
        method: str,
        body: Any,
        content_type: str,
        dry: bool = False,
        params: Any = None,
        manager: str = "",
    ) -> dict[str, Any]:
        """PUT (replace) or PATCH, on the object or its ``status`` subresource. A patch that
        carries a ``metadata.resourceVersion`` other than the stored one is 409 Conflict."""
        current = viewed(target, self._stored(target))
        if method == "PUT" or content_type != "application/json-patch+json":
            check_fields(target, body, params)
        if method == "PUT":
            obj = body_object(body, target)
            if self._has_results(target):
                strip_results(obj)  # what the facade rendered on read is not state
        else:
            obj = apply_patch(content_type, current, body)
            check_type(target, obj)
            if not isinstance(obj.get("metadata"), dict):
                raise InvalidError(
                    target.info, target.name or "", [("metadata", "must be an object")]
                )
            given = obj["metadata"].get("resourceVersion")
            if given is not None and given != current["metadata"]["resourceVersion"]:
                raise ConflictError(
                    f'Operation cannot be fulfilled on {target.info.plural} "{target.name}": '
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again",
                    {"kind": target.info.plural, "name": target.name, "reason": "Conflict"},
                )
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
            if content_type == "application/json-patch+json":
                check_fields(target, obj, params)
            obj["metadata"].pop("resourceVersion", None)
        obj["metadata"]["managedFields"] = current["metadata"].get("managedFields") or []
        if manager:
            obj.setdefault("apiVersion", target.info.api_version)
            obj.setdefault("kind", target.info.kind)
            track_update(current, obj, manager, self._now(), target.subresource)
        obj = stored_as(target, obj)
        if dry:
            return viewed(
                target,
                self._write(
                    lambda plural, o: self.cluster.preview(plural, o, "update"),
                    target.info.plural,
                    obj,
                ),
            )
        return viewed(target, self._write(self.cluster.update, target.info.plural, obj))

    def bind(self, target: Target, binding: Any) -> dict[str, Any]:
        """``pods/binding``: assign the pod to a node (what a scheduler does)."""
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
        current["status"] = bound_status(
            current.get("status") or {}, now, current["spec"].get("containers")
        )
        self.cluster.update("pods", current)
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }
