"""What a cluster without container runtimes answers for ``pods/log``, ``exec``, ``attach``,
``port-forward`` and ``proxy``: a clear 400 ``BadRequest`` naming the pod (404 if there is
no such pod), never the pod or a 200."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .paths import Target
from .status import json_response, status_body

__all__ = ["refuse"]

_WHAT = {
    "log": "has no container logs",
    "exec": "cannot execute commands in containers",
    "attach": "cannot attach to containers",
    "portforward": "cannot forward ports to pods",
    "proxy": "cannot proxy to pods",
}


def refuse(objects: Any, target: Target) -> Response:
    """The refusal for ``target`` (a pod subresource)."""
    objects.get(target, None, {})  # 404 NotFound if the pod does not exist
    message = (
        f'pods "{target.name}": the simulated cluster runs no containers, so it '
        f"{_WHAT.get(target.subresource or '', 'cannot serve this')} "
        f"(pods/{target.subresource} is not available)"
    )
    details = {"name": target.name, "kind": "pods"}
    return json_response(status_body(400, message, "BadRequest", details), 400)
