"""Kubeconfig documents pointing Kubernetes clients at the facade."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["kubeconfig", "write_kubeconfig"]


def kubeconfig(server: str, token: str | None = None, name: str = "k8sedge") -> dict[str, Any]:
    """A kubeconfig with one cluster, user and context named ``name``."""
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(
    path: str | os.PathLike[str], server: str, token: str | None = None, name: str = "k8sedge"
) -> Path:
    """Write a kubeconfig (JSON, which is YAML) readable only by its owner."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(kubeconfig(server, token, name), indent=2))
    target.chmod(0o600)
    return target
