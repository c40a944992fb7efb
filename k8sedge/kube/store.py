"""The object store: Kubernetes objects with uid, resourceVersion and an event log.

Objects are plain JSON dicts, kept whole (every field survives a round trip). One global,
monotonically increasing ``resourceVersion`` orders every change; an update carrying a
stale ``resourceVersion`` is a ``ConflictError``; every change appends an event to a
bounded log from which watches resume, and resuming from a version older than the log
is an ``ExpiredError`` (HTTP 410), as the API server does.
"""

from __future__ import annotations

import collections
import itertools
import secrets
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import orjson

from ..clock import Clock
from ..errors import BadRequestError, ConflictError, ExpiredError, NotFoundError
from ..timeutil import to_datetime
from .kinds import KINDS, KindInfo, kind_info, meta, object_key

__all__ = ["ADDED", "DELETED", "MODIFIED", "Event", "ObjectStore", "copy_object"]

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # generateName's suffix: apimachinery's alphabet
Event = tuple[int, str, str, dict[str, Any]]  # (resourceVersion, plural, type, object)
# an event's object, or what renders it when it is read (objects kept compactly)
Logged = dict[str, Any] | Callable[[], dict[str, Any]]


def copy_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON object (fast, through orjson)."""
    copied: dict[str, Any] = orjson.loads(orjson.dumps(obj))
    return copied


def _timestamp(epoch: float) -> str:
    return to_datetime(int(epoch)).strftime("%Y-%m-%dT%H:%M:%SZ")


class ObjectStore:
    """All objects of the memory cluster by kind, with the change log that feeds watches."""

    def __init__(
        self,
        clock: Clock,
        log_size: int = 200_000,
        collections_: dict[str, MutableMapping[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.clock = clock
        self.objects: dict[str, MutableMapping[str, dict[str, Any]]] = {
            plural: {} for plural in KINDS
        }
        self.objects.update(collections_ or {})
        self.version = 0
        self.journal: Any = None  # a memory.durable.Journal when the cluster has a data dir
        self.log: collections.deque[tuple[int, str, str, Logged]] = collections.deque(
            maxlen=log_size
        )

    # -- reads -------------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        info = kind_info(kind)
        key = object_key(info, name, namespace or "default")
        obj = self.objects[info.plural].get(key)
        if obj is None:
            raise NotFoundError(
                f'{info.plural} "{name}" not found', {"kind": info.plural, "name": name}
            )
        return obj

    def find(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        info = kind_info(kind)
        return self.objects[info.plural].get(object_key(info, name, namespace or "default"))

    def items(self, kind: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        info = kind_info(kind)
        for obj in self.objects[info.plural].values():
            if (
                namespace is None
                or not info.namespaced
                or obj["metadata"].get("namespace") == namespace
            ):
                yield obj

    # -- writes ------------------------------------------------------------------------------

    def _record(self, info: KindInfo, event: str, obj: dict[str, Any]) -> None:
        self.log.append((self.version, info.plural, event, obj))
        journal = self.journal
        if journal is not None:
            journal.event(self.version, info.plural, event, obj)
            if info.plural != "nodes":  # the node set keeps its own records
                key = object_key(info, obj["metadata"]["name"], obj["metadata"].get("namespace"))
                if event == DELETED:
                    journal.drop(info.plural, key)
                else:
                    journal.put(info.plural, key, obj)

    def touch(self, plural: str, rendered: Logged, *, added: bool = False) -> int:
        """Record a change made outside ``create``/``update`` (a compactly kept object): a new
        version and a watch event whose object is rendered when read. Returns the version."""
        self.version += 1
        event = ADDED if added else MODIFIED
        self.log.append((self.version, plural, event, rendered))
        if self.journal is not None:
            self.journal.event(self.version, plural, event, rendered)
        return self.version

    def _stamp(self, obj: dict[str, Any]) -> None:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)

    def _validate(self, info: KindInfo, obj: dict[str, Any]) -> tuple[str, str | None]:
        if not isinstance(obj, dict):
            raise BadRequestError(f"a {info.kind} must be a JSON object", {"body": "not an object"})
        metadata = meta(obj)
        name = metadata.get("name")
        if not name and metadata.get("generateName"):
            suffix = "".join(secrets.choice(_NAME_CHARS) for _ in range(5))
            name = metadata["name"] = f"{metadata['generateName']}{suffix}"
        if not isinstance(name, str) or not name:
            raise BadRequestError(
                f"{info.kind}: metadata.name is required", {"metadata.name": "required"}
            )
        namespace = None
        if info.namespaced:
            namespace = metadata.get("namespace") or "default"
            if not isinstance(namespace, str):
                raise BadRequestError(
                    "metadata.namespace must be a string", {"metadata.namespace": "not a string"}
                )
            metadata["namespace"] = namespace
            if f"{namespace}" not in self.objects["namespaces"]:
                raise NotFoundError(
                    f'namespaces "{namespace}" not found', {"kind": "namespaces", "name": namespace}
                )
        else:
            metadata.pop("namespace", None)
        obj["apiVersion"] = obj.get("apiVersion") or info.api_version
        obj["kind"] = obj.get("kind") or info.kind
        return name, namespace

    def create(self, kind: str, obj: dict[str, Any], *, uid: str | None = None) -> dict[str, Any]:
        """Store a new object (taken over, not copied); AlreadyExists is ``ConflictError``.
        ``uid``: the one admission chose (a Job's selector names it), else a new one."""
        info = kind_info(kind)
        name, namespace = self._validate(info, obj)
        key = object_key(info, name, namespace)
        table = self.objects[info.plural]
        if key in table:
            raise ConflictError(
                f'{info.plural} "{name}" already exists',
                {"kind": info.plural, "name": name, "reason": "AlreadyExists"},
            )
        metadata = obj["metadata"]
        metadata["uid"] = uid or str(uuid.uuid4())
        metadata["creationTimestamp"] = _timestamp(self.clock.now())
        if "spec" in obj:
            metadata["generation"] = 1
        metadata.pop("deletionTimestamp", None)  # set by the server only
        self._stamp(obj)
        table[key] = obj
        self._record(info, ADDED, obj)
        return obj

    def update(
        self, kind: str, obj: dict[str, Any], *, check_version: bool = True
    ) -> dict[str, Any]:
        """Replace an object; a stale ``metadata.resourceVersion`` is ``ConflictError``."""
        info = kind_info(kind)
        name, namespace = self._validate(info, obj)
        key = object_key(info, name, namespace)
        table = self.objects[info.plural]
        current = table.get(key)
        if current is None:
            raise NotFoundError(
                f'{info.plural} "{name}" not found', {"kind": info.plural, "name": name}
            )
        metadata, old = obj["metadata"], current["metadata"]
        given = metadata.get("resourceVersion")
        if check_version and given and given != old["resourceVersion"]:
            raise ConflictError(
                f'Operation cannot be fulfilled on {info.plural} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                {"kind": info.plural, "name": name, "reason": "Conflict"},
            )
        metadata["uid"] = old["uid"]
        metadata["creationTimestamp"] = old["creationTimestamp"]
        if "generation" in old:
            changed = obj.get("spec") != current.get("spec")
            metadata["generation"] = old["generation"] + (1 if changed else 0)
        self._stamp(obj)
        table[key] = obj
        self._record(info, MODIFIED, obj)
        return obj

    def preview(
        self, kind: str, obj: dict[str, Any], how: str, *, uid: str | None = None
    ) -> dict[str, Any]:
        """What ``create``, ``update`` or ``apply`` of ``obj`` (taken over) would store, with
        the same checks and errors, storing nothing (``dryRun=All``)."""
        info = kind_info(kind)
        name, namespace = self._validate(info, obj)
        current = self.objects[info.plural].get(object_key(info, name, namespace))
        metadata = obj["metadata"]
        if how == "create" and current is not None:
            raise ConflictError(
                f'{info.plural} "{name}" already exists',
                {"kind": info.plural, "name": name, "reason": "AlreadyExists"},
            )
        if how == "update" and current is None:
            raise NotFoundError(
                f'{info.plural} "{name}" not found', {"kind": info.plural, "name": name}
            )
        if current is None:
            metadata["uid"] = uid or str(uuid.uuid4())
            metadata["creationTimestamp"] = _timestamp(self.clock.now())
            metadata.pop("resourceVersion", None)
            if "spec" in obj:
                metadata["generation"] = 1
            return obj
        old = current["metadata"]
        given = metadata.get("resourceVersion")
        if how == "update" and given and given != old["resourceVersion"]:
            raise ConflictError(
                f'Operation cannot be fulfilled on {info.plural} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                {"kind": info.plural, "name": name, "reason": "Conflict"},
            )
        metadata["uid"] = old["uid"]
        metadata["creationTimestamp"] = old["creationTimestamp"]
        metadata["resourceVersion"] = old["resourceVersion"]
        if "generation" in old:
            changed = obj.get("spec") != current.get("spec")
            metadata["generation"] = old["generation"] + (1 if changed else 0)
        return obj

    def apply(self, kind: str, obj: dict[str, Any], *, uid: str | None = None) -> dict[str, Any]:
        """Create, or replace without a version check (what ``kubectl apply`` amounts to)."""
        info = kind_info(kind)
        name, namespace = self._validate(info, obj)
        if object_key(info, name, namespace) in self.objects[info.plural]:
            return self.update(kind, obj, check_version=False)
        return self.create(kind, obj, uid=uid)

    def delete(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        info = kind_info(kind)
        key = object_key(info, name, namespace or "default")
        obj = self.objects[info.plural].pop(key, None)
        if obj is None:
            raise NotFoundError(
                f'{info.plural} "{name}" not found', {"kind": info.plural, "name": name}
            )
        self._stamp(obj)
        self._record(info, DELETED, obj)
        return obj

    # -- watch -------------------------------------------------------------------------------

    def events_since(self, version: int, kinds: set[str] | None = None) -> list[Event]:
        """Events after ``version``; ``ExpiredError`` if the log no longer reaches back."""
        if self.log and version < self.log[0][0] - 1:
            raise ExpiredError(
                f"too old resource version: {version} ({self.log[0][0] - 1})",
                {"resourceVersion": str(version), "reason": "Expired"},
            )
        if not self.log or self.log[-1][0] <= version:
            return []
        # binary search on the (ordered) log
        lo, hi = 0, len(self.log)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.log[mid][0] <= version:
                lo = mid + 1
            else:
                hi = mid
        tail = itertools.islice(self.log, lo, None)
        return [
            (v, plural, event, obj if isinstance(obj, dict) else obj())
            for v, plural, event, obj in tail
            if kinds is None or plural in kinds
        ]
