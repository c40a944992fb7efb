"""Ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/imagelocality/image_locality_test.go (TestImageLocalityPriority),
v1.28-v1.32 behaviour (the maximum threshold scales with the number of containers)."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, run, scores

MB = 1024 * 1024


def images(*entries: tuple[list[str], int]) -> list[tuple[list[str], int]]:
    return [(names, size * MB) for names, size in entries]


NODE_40_300_2000 = images(
    (["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40),
    (["gcr.io/300:latest", "gcr.io/300:v1"], 300),
    (["gcr.io/2000:latest"], 2000),
)
NODE_250_10 = images((["gcr.io/250:latest"], 250), (["gcr.io/10:latest", "gcr.io/10:v1"], 10))
NODE_600_40_900 = images(
    (["gcr.io/600:latest"], 600), (["gcr.io/40:latest"], 40), (["gcr.io/900:latest"], 900)
)
NODE_300_600_900 = images(
    (["gcr.io/300:latest"], 300), (["gcr.io/600:latest"], 600), (["gcr.io/900:latest"], 900)
)
NODE_4000_30 = images((["gcr.io/4000:latest"], 4000), (["gcr.io/30:latest"], 30))
NODE_20_30_40 = images(
    (["gcr.io/20:latest"], 20), (["gcr.io/30:latest"], 30), (["gcr.io/40:latest"], 40)
)
NO_IMAGES: list[tuple[list[str], int]] = []


def spec(containers: list[str], init: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    out: dict[str, Any] = {
        "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(containers)]
    }
    if init:
        out["initContainers"] = [{"name": f"i{i}", "image": image} for i, image in enumerate(init)]
    return out


# pkg/scheduler/framework/plugins/imagelocality/image_locality_test.go: TestImageLocalityPriority
CASES = [
    pytest.param(
        spec(["gcr.io/40", "gcr.io/250"]),
        {"node1": NODE_40_300_2000, "node2": NODE_250_10},
        {"node1": 0, "node2": 5},
        id="two images spread on two nodes, prefer the larger image one",
    ),
    pytest.param(
        spec(["gcr.io/40", "gcr.io/300"]),
        {"node1": NODE_40_300_2000, "node2": NODE_250_10},
        {"node1": 7, "node2": 0},
        id="two images on one node, prefer this node",
    ),
    pytest.param(
        spec(["gcr.io/10", "gcr.io/4000"]),
        {"node1": NODE_4000_30, "node2": NODE_250_10},
        {"node1": 100, "node2": 0},
        id="if exceed limit, use limit",
    ),
    pytest.param(
        spec(["gcr.io/10", "gcr.io/4000"]),
        {"node1": NODE_4000_30, "node2": NODE_250_10, "node3": NO_IMAGES},
        {"node1": 66, "node2": 0, "node3": 0},
        id="if exceed limit, use limit (with node which has no images present)",
    ),
    pytest.param(
        spec(["gcr.io/300", "gcr.io/600", "gcr.io/900"]),
        {"node1": NODE_600_40_900, "node2": NODE_300_600_900, "node3": NO_IMAGES},
        {"node1": 32, "node2": 36, "node3": 0},
        id="pod with multiple large images, node2 is preferred",
    ),
    pytest.param(
        spec(["gcr.io/30", "gcr.io/40"]),
        {"node1": NODE_20_30_40, "node2": NODE_4000_30},
        {"node1": 1, "node2": 0},
        id="pod with multiple small images",
    ),
    pytest.param(
        spec(["gcr.io/30"], ["gcr.io/300"]),
        {"node1": NODE_40_300_2000, "node2": NODE_20_30_40},
        {"node1": 6, "node2": 0},
        id="include InitContainers: two images spread on two nodes, prefer the larger image one",
    ),
]


@pytest.mark.parametrize(("pod_spec", "nodes", "want"), CASES)
def test_image_locality_priority(pod_spec: Any, nodes: Any, want: Any) -> None:
    result = run(
        only("ImageLocality"),
        [node(n, images=imgs) for n, imgs in nodes.items()],
        {"metadata": {"name": "p", "namespace": "default"}, "spec": pod_spec},
    )
    assert scores(result, "ImageLocality", normalized=False) == want
