"""The metrics store's rollup tiers give exactly the raw samples' bucket means."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings, strategies as st

from k8sedge.memory.metrics import FIELDS, MetricsStore, Window

NOW = 1_700_000_000.0


def brute_force(samples: list[tuple[str, float, float]], window: Window) -> dict[float, float]:
    sums: dict[float, float] = {}
    counts: dict[float, int] = {}
    for _, ts, value in samples:
        if window.start <= ts < window.end:
            bucket = (
                window.start
                + math.floor((ts - window.start) / window.resolution) * window.resolution
            )
            sums[bucket] = sums.get(bucket, 0.0) + value
            counts[bucket] = counts.get(bucket, 0) + 1
    return {b: sums[b] / counts[b] for b in sums}


@settings(max_examples=60, deadline=None)
@given(
    samples=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.floats(min_value=NOW - 3 * 86400, max_value=NOW),
            st.floats(min_value=0, max_value=100, allow_nan=False),
        ),
        max_size=80,
    ),
    resolution=st.sampled_from([60.0, 300.0, 900.0, 3600.0, 7200.0]),
    batched=st.booleans(),
)
def test_every_tier_matches_brute_force(
    samples: list[tuple[str, float, float]], resolution: float, batched: bool
) -> None:
    store = MetricsStore()
    if batched:
        for node in ("a", "b", "c"):
            mine = [(ts, v) for n, ts, v in samples if n == node]
            if mine:
                ts = np.array([t for t, _ in mine])
                values = np.full((len(FIELDS), len(mine)), np.nan)
                values[0] = [v for _, v in mine]
                store.extend(node, ts, values, NOW)
    else:
        for node, ts, value in samples:
            store.append(node, ts, [value] + [math.nan] * (len(FIELDS) - 1), NOW)
    window = Window(NOW, 2 * 86400, resolution)
    series, per_node = store.aggregate(window, ("cpu_usage",))
    expected = brute_force(samples, window)
    got = dict(series["cpu_usage"])
    assert got.keys() == expected.keys()
    for bucket, mean in expected.items():
        assert math.isclose(got[bucket], mean, rel_tol=1e-9, abs_tol=1e-9)
    for node in ("a", "b", "c"):
        mine = [s for s in samples if s[0] == node]
        node_expected = brute_force(mine, window)
        assert dict(store.node_series(node, window, ("cpu_usage",))["cpu_usage"]).keys() == (
            node_expected.keys()
        )
        in_window = [v for _, ts, v in mine if window.start <= ts < window.end]
        if in_window:
            avg = per_node[node]["cpu_usage"]
            assert avg is not None and math.isclose(
                avg, sum(in_window) / len(in_window), abs_tol=1e-9
            )
        else:
            assert node not in per_node


def test_retention_and_forgotten_nodes() -> None:
    store = MetricsStore(retention=3600)
    for i in range(10_000):  # enough to force growth and compaction
        store.append("a", NOW - 7200 + i * 0.72, [1.0] * len(FIELDS), NOW)
    store.append("b", NOW, [5.0] * len(FIELDS), NOW)
    store.forget("b")
    series, per_node = store.aggregate(Window(NOW, 3600, 60))
    assert set(per_node) == {"a"}
    assert all(v == 1.0 for _, v in series["cpu_usage"])
