"""The documented systems k8sedge models, one folder each, and their registry.

Each folder holds one surface: ``models.py`` (attrs classes), ``service.py`` (the operations,
declared once with their wire), ``api.py`` (the facade users call), ``memory.py`` (its view
of the memory cluster), ``kubernetes.py`` (its mapping onto a Kubernetes cluster) and, in its
``__init__.py``, the ``SURFACE`` that ties them together with its wire dialect. Adding a
surface is one new folder and one line in ``REGISTRY``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._wire import Surface

__all__ = ["REGISTRY", "all_surfaces", "get_surface"]

REGISTRY: dict[str, str] = {
    "edge": "k8sedge.surfaces.edge:SURFACE",
    "simulator": "k8sedge.surfaces.simulator:SURFACE",
    "pool": "k8sedge.surfaces.pool:SURFACE",
    "cello": "k8sedge.surfaces.cello:SURFACE",
    "mlbench": "k8sedge.surfaces.mlbench:SURFACE",
}


@cache
def get_surface(name: str) -> Surface:
    """The surface registered as ``name`` (imported on first use)."""
    from .._wire import load

    return load(REGISTRY[name])  # type: ignore[no-any-return]


def all_surfaces() -> list[Surface]:
    return [get_surface(name) for name in REGISTRY]
