"""The verbs beyond get/list/watch/create/update/patch/delete: server-side apply (with
create-on-apply), ``deletecollection`` and the ``scale`` subresource."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequestError, ConflictError, NotFoundError
from ..kube.selectors import parse_field_selector, parse_label_selector
from ..kube.store import copy_object
from .apply import apply
from .objects import Objects as _Objects, check_fields, check_names
from .paths import Target
from .tables import _selector

__all__ = ["Objects"]


def _flag(params: Any, name: str) -> bool:
    value = (params.get(name) if params is not None else None) or ""
    if value not in ("", "true", "false", "1", "0"):
        raise BadRequestError(f"{name} must be true or false", {name: value[:40]})
    return value in ("true", "1")


class Objects(_Objects):
    """Every verb of the Kubernetes API on one cluster."""

    # -- server-side apply ---------------------------------------------------------------------

    def apply(
        self, target: Target, body: Any, params: Any, dry: bool = False
    ) -> tuple[dict[str, Any], bool]:
        """``PATCH`` with ``application/apply-patch+yaml``: the applied object, and whether it
        was created."""
        assert target.name is not None
        manager = (params.get("fieldManager") or "") if params is not None else ""
        if not manager:
            raise BadRequestError(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch",
                {"reason": "BadRequest", "fieldManager": "required"},
            )
        force = _flag(params, "force")
        if not isinstance(body, dict):
            raise BadRequestError("an apply patch is an object", {"body": "not an object"})
        info = target.info
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if target.subresource != "scale" and (api_version != info.api_version or kind != info.kind):
            raise BadRequestError(
                f"the apply patch must be a {info.api_version} {info.kind} (apiVersion and "
                f"kind), not {api_version} {kind}",
                {"apiVersion": str(api_version)[:60], "kind": str(kind)[:60]},
            )
        check_fields(target, body, params)
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            raise BadRequestError("the apply patch has no metadata", {"metadata": "required"})
        if metadata.get("name") not in (None, target.name):
            raise BadRequestError(
                "the name of the object does not match the request",
                {"metadata.name": str(metadata.get("name"))[:100]},
            )
        if info.namespaced and metadata.get("namespace") not in (None, target.namespace):
            raise BadRequestError(
                "the namespace of the object does not match the request",
                {"metadata.namespace": str(metadata.get("namespace"))[:100]},
            )
        config = copy_object(body)
        config["metadata"]["name"] = target.name
        if info.namespaced:
            config["metadata"]["namespace"] = target.namespace
        try:
            live: dict[str, Any] | None = self._stored(target)
        except NotFoundError:
            live = None
        if live is None and target.subresource is not None:
            raise NotFoundError(
                f'{info.plural} "{target.name}" not found',
                {"kind": info.plural, "name": target.name},
            )
        given = config["metadata"].pop("resourceVersion", None)
        if live is not None and given and given != live["metadata"]["resourceVersion"]:
            raise ConflictError(
                f'Operation cannot be fulfilled on {info.plural} "{target.name}": the object '
                "has been modified; please apply your changes to the latest version and try "
                "again",
                {"kind": info.plural, "name": target.name, "reason": "Conflict"},
            )
        merged = apply(
            live,
            config,
            manager,
            self._now(),
            force=force,
            plural=info.plural,
            subresource=target.subresource,
        )
        if live is None:
            if info.plural == "pods":
                merged.pop("status", None)
            check_names(info.plural, merged)
            if dry:
                return self._write(self.cluster.preview, info.plural, merged), True
            return self._write(self.cluster.create, info.plural, merged), True
        if target.subresource is None and "status" in live:
            merged["status"] = live["status"]
        elif target.subresource == "status":
            status, managed = merged.get("status"), merged["metadata"].get("managedFields")
            merged = copy_object(live)
            merged["status"] = status
            merged["metadata"]["managedFields"] = managed
        merged["metadata"].pop("resourceVersion", None)
        if dry:
            return (
                self._write(
                    lambda plural, o: self.cluster.preview(plural, o, "update"), info.plural, merged
                ),
                False,
            )
        return self._write(self.cluster.update, info.plural, merged), False

    # -- deletecollection ----------------------------------------------------------------------

    def delete_collection(
        self, target: Target, params: Any, options: Any, dry: bool = False
    ) -> dict[str, Any]:
        """``DELETE`` on a collection: every object the label and field selectors match
        (in the namespace, if any) is deleted; the answer lists them."""
        if target.info.plural == "namespaces":
            raise BadRequestError(
                "namespaces do not support deletecollection", {"reason": "MethodNotAllowed"}
            )
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(params.get("fieldSelector"))
        with self.cluster.lock:
            self.cluster.tick()
            names = [
                (o["metadata"]["name"], o["metadata"].get("namespace"))
                for o in self.cluster.store.items(target.info.plural, target.namespace)
                if labels(o) and fields(o)
            ]
        deleted = []
        for name, namespace in sorted(names, key=lambda n: (n[1] or "", n[0])):
            one = Target(target.info, namespace, name, None)
            try:
                deleted.append(self.delete(one, options, dry, params))
            except NotFoundError:
                continue  # gone meanwhile (a controller, another client)
        return {
            "kind": f"{target.info.kind}List",
            "apiVersion": target.info.api_version,
            "metadata": {"resourceVersion": str(self.cluster.store.version)},
            "items": deleted,
        }

    # -- scale -----------------------------------------------------------------------------

    def scale(self, target: Target) -> dict[str, Any]:
        """``GET …/scale``: the workload's ``autoscaling/v1`` Scale."""
        assert target.name is not None
        obj = self.cluster.get(target.info.plural, target.name, target.namespace)
        return _scale_of(obj)

    def rescale(
        self, target: Target, method: str, body: Any, content_type: str, dry: bool = False
    ) -> dict[str, Any]:
        """``PUT`` or ``PATCH …/scale``: sets the workload's ``spec.replicas``."""
        from ..kube.patch import apply_patch

        current = self._stored(target)
        scale = _scale_of(current)
        if method == "PUT":
            if not isinstance(body, dict):
                raise BadRequestError("a Scale is an object", {"body": "not an object"})
            wanted = body
            given = (body.get("metadata") or {}).get("resourceVersion")
            if given and given != current["metadata"]["resourceVersion"]:
                raise ConflictError(
                    f'Operation cannot be fulfilled on {target.info.plural} "{target.name}": '
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again",
                    {"kind": target.info.plural, "name": target.name, "reason": "Conflict"},
                )
        elif content_type == "application/apply-patch+yaml":
            wanted = body if isinstance(body, dict) else {}
        else:
            wanted = apply_patch(content_type, scale, body)
        replicas = (wanted.get("spec") or {}).get("replicas")
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            from ..kube.validation import InvalidError

            raise InvalidError(
                target.info,
                target.name or "",
                [("spec.replicas", f"Invalid value: {replicas!r}: must be a non-negative integer")],
            )
        obj = copy_object(current)
        obj.setdefault("spec", {})["replicas"] = replicas
        obj["metadata"].pop("resourceVersion", None)
        if dry:
            updated = self._write(
                lambda plural, o: self.cluster.preview(plural, o, "update"), target.info.plural, obj
            )
        else:
            updated = self._write(self.cluster.update, target.info.plural, obj)
        return _scale_of(updated)


def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    selector = _selector(spec.get("selector"))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": spec.get("replicas", 1)},
        "status": {
            "replicas": status.get("replicas", 0),
            "selector": "" if selector == "<none>" else selector,
        },
    }
