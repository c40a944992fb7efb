"""The metrics store: columnar time series for every node, queried by window and bucket.

Samples are kept in *tiers* of cells ``(node, start, sum per field, count per field)``:
the raw tier holds one cell per sample, and 5-minute and 1-hour rollup tiers hold one
cell per node and period, kept up to date at ingest (as Thanos' downsampling keeps sum
and count, so averages stay exact). A query reads the coarsest tier whose period divides
its resolution, picks its window with two binary searches and downsamples with
``bincount``: a bucket's mean is Σsum / Σcount, and so is every cross-node aggregate
(never a mean of means). Buckets are aligned to multiples of the resolution; empty
buckets are omitted.

Beside them, ``SeriesStore`` (``MetricsStore.series``) keeps named series of any metric, for
lenses whose metrics are not the edge's fixed fields (MLBench's pod and run metrics): points
of ``(date, value, cumulative, metadata)`` per owner and name, the value kept exactly as the
string posted, with a numeric view (``float(value)``) for averaging.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import BadRequestError

__all__ = ["FIELDS", "MAX_POINTS", "MetricsStore", "SeriesSlice", "SeriesStore", "Window"]

FIELDS = (
    "cpu_usage",
    "memory_usage",
    "memory_total",
    "disk_usage",
    "disk_total",
    "network_rx_bytes",
    "network_tx_bytes",
)
SERIES = ("cpu_usage", "memory_usage", "disk_usage", "network_rx_bytes", "network_tx_bytes")
AGGREGATED = ("cpu_usage", "memory_usage", "disk_usage")
MAX_POINTS = 11_000  # Prometheus' per-series limit

FloatArray = npt.NDArray[np.float64]
IntpArray = npt.NDArray[np.intp]


class Window:
    """``timeframe`` seconds ending with the bucket that holds ``now``."""

    __slots__ = ("buckets", "end", "resolution", "start")

    def __init__(self, now: float, timeframe: float, resolution: float) -> None:
        if resolution > timeframe:
            raise BadRequestError(
                "resolution must not be longer than timeframe",
                {"resolution": "longer than timeframe"},
            )
        buckets = math.ceil(timeframe / resolution)
        if buckets > MAX_POINTS:
            raise BadRequestError(
                f"timeframe/resolution gives {buckets} points; the maximum is {MAX_POINTS}",
                {"resolution": f"too fine for the timeframe (over {MAX_POINTS} points)"},
            )
        self.resolution = resolution
        self.buckets = buckets
        self.end = (math.floor(now / resolution) + 1) * resolution
        self.start = self.end - buckets * resolution

    def timestamps(self) -> FloatArray:
        return self.start + np.arange(self.buckets, dtype=np.float64) * self.resolution


class _Tier:
    """Append-only cells of one period (0 = raw samples), kept sorted by start time."""

    def __init__(self, period: float, retention: float, capacity: int = 4096) -> None:
        self.period = period
        self.retention = retention
        self.size = 0
        self.node = np.zeros(capacity, dtype=np.int32)
        self.start = np.zeros(capacity, dtype=np.float64)
        self.sums = np.zeros((len(FIELDS), capacity), dtype=np.float64)
        self.counts = np.zeros((len(FIELDS), capacity), dtype=np.uint32)
        self.sorted = True
        self.open: dict[int, tuple[float, int]] = {}  # node -> (period start, cell index)

    def _reserve(self, extra: int, now: float, live: npt.NDArray[np.bool_]) -> None:
        if self.size + extra <= len(self.start):
            return
        self.compact(now, live)
        needed = self.size + extra
        if needed <= len(self.start):
            return
        capacity = max(needed, 2 * len(self.start))
        self.node = np.resize(self.node, capacity)
        self.start = np.resize(self.start, capacity)
        for name in ("sums", "counts"):
            old = getattr(self, name)
            grown = np.zeros((len(FIELDS), capacity), dtype=old.dtype)
            grown[:, : self.size] = old[:, : self.size]
            setattr(self, name, grown)

    def compact(self, now: float, live: npt.NDArray[np.bool_]) -> None:
        """Drop cells past retention and of deleted nodes."""
        n = self.size
        if n == 0:
            return
        keep = (self.start[:n] >= now - self.retention) & live[self.node[:n]]
        if keep.all():
            return
        kept = int(keep.sum())
        self.node[:kept] = self.node[:n][keep]
        self.start[:kept] = self.start[:n][keep]
        self.sums[:, :kept] = self.sums[:, :n][:, keep]
        self.counts[:, :kept] = self.counts[:, :n][:, keep]
        self.size = kept
        self.open.clear()

    def add(
        self,
        node: int,
        ts: FloatArray,
        values: FloatArray,
        now: float,
        live: npt.NDArray[np.bool_],
    ) -> None:
        """Fold samples (``values``: fields x samples, NaN where missing) into cells."""
        present = ~np.isnan(values)
        filled = np.where(present, values, 0.0)
        if self.period:
            starts = np.floor(ts / self.period) * self.period
            cut = np.flatnonzero(np.diff(starts)) + 1
            heads = np.concatenate(([0], cut))
            starts = starts[heads]
            sums = np.add.reduceat(filled, heads, axis=1)
            counts = np.add.reduceat(present, heads, axis=1, dtype=np.uint32)
            opened = self.open.get(node)
            if opened is not None and opened[0] == starts[0] and opened[1] < self.size:
                cell = opened[1]
                self.sums[:, cell] += sums[:, 0]
                self.counts[:, cell] += counts[:, 0]
                starts, sums, counts = starts[1:], sums[:, 1:], counts[:, 1:]
        else:
            starts, sums, counts = ts, filled, present.astype(np.uint32)
        k = len(starts)
        if k:
            self._reserve(k, now, live)
            i = self.size
            if (i and starts[0] < self.start[i - 1]) or (
                k > 1 and bool((np.diff(starts) < 0).any())
            ):
                self.sorted = False
            self.node[i : i + k] = node
            self.start[i : i + k] = starts
            self.sums[:, i : i + k] = sums
            self.counts[:, i : i + k] = counts
            self.size = i + k
            if self.period:
                self.open[node] = (float(starts[-1]), i + k - 1)

    def add_one(
        self,
        node: int,
        ts: float,
        filled: FloatArray,
        present: npt.NDArray[np.bool_],
        now: float,
        live: npt.NDArray[np.bool_],
    ) -> None:
        """The single-sample fast path of ``add``."""
        start = math.floor(ts / self.period) * self.period if self.period else ts
        if self.period:
            opened = self.open.get(node)
            if opened is not None and opened[0] == start and opened[1] < self.size:
                self.sums[:, opened[1]] += filled
                self.counts[:, opened[1]] += present
                return
        self._reserve(1, now, live)
        i = self.size
        if i and start < self.start[i - 1]:
            self.sorted = False
        self.node[i] = node
        self.start[i] = start
        self.sums[:, i] = filled
        self.counts[:, i] = present
        self.size = i + 1
        if self.period:
            self.open[node] = (start, i)

    def _sort(self) -> None:
        if self.sorted:
            return
        n = self.size
        order = np.argsort(self.start[:n], kind="stable")
        self.node[:n] = self.node[:n][order]
        self.start[:n] = self.start[:n][order]
        self.sums[:, :n] = self.sums[:, :n][:, order]
        self.counts[:, :n] = self.counts[:, :n][:, order]
        self.sorted = True
        self.open.clear()

    def window(self, window: Window) -> tuple[slice, IntpArray]:
        """The cells inside ``window`` and the query bucket of each."""
        self._sort()
        starts = self.start[: self.size]
        lo = int(np.searchsorted(starts, window.start, side="left"))
        hi = int(np.searchsorted(starts, window.end, side="left"))
        buckets = ((starts[lo:hi] - window.start) // window.resolution).astype(np.intp)
        return slice(lo, hi), buckets


class MetricsStore:
    """All nodes' samples, in a raw tier and 5-minute and 1-hour rollup tiers."""

    def __init__(self, retention: float = 7 * 86400) -> None:
        self.retention = retention
        self.journal: Any = None  # a memory.durable.Journal when the cluster has a data dir
        self.clear()

    def clear(self) -> None:
        """Forget every sample."""
        retention = self.retention
        self.tiers = [
            _Tier(0.0, retention),
            _Tier(300.0, max(retention, 30 * 86400)),
            _Tier(3600.0, max(retention, 366 * 86400)),
        ]
        self._node_index: dict[str, int] = {}
        self._node_ids: list[str] = []
        self._live = np.zeros(64, dtype=np.bool_)
        self.latest_containers: dict[str, list[dict[str, object]]] = {}
        self.series = SeriesStore()
        self.series.journal = self.journal

    # -- nodes -------------------------------------------------------------------------------

    def index_of(self, node_id: str) -> int:
        idx = self._node_index.get(node_id)
        if idx is None:
            idx = len(self._node_ids)
            self._node_index[node_id] = idx
            self._node_ids.append(node_id)
            if idx >= len(self._live):
                self._live = np.resize(self._live, 2 * len(self._live))
            self._live[idx] = True
        return idx

    def forget(self, node_id: str) -> None:
        """A deleted node's samples no longer count in any query."""
        idx = self._node_index.pop(node_id, None)
        if idx is not None:
            self._live[idx] = False
        self.latest_containers.pop(node_id, None)
        if self.journal is not None:
            self.journal.forget_samples(node_id)

    # -- ingest ------------------------------------------------------------------------------

    def append(self, node_id: str, ts: float, values: Sequence[float], now: float) -> None:
        """One sample; ``values`` in ``FIELDS`` order, NaN for missing fields."""
        if self.journal is not None:
            self.journal.samples(node_id, [ts], [values])
        node = self.index_of(node_id)
        raw = np.array(values, dtype=np.float64)
        present = ~np.isnan(raw)
        filled = np.where(present, raw, 0.0)
        for tier in self.tiers:
            tier.add_one(node, ts, filled, present, now, self._live)

    def extend(self, node_id: str, ts: FloatArray, values: FloatArray, now: float) -> None:
        """Samples of one node: ``values`` has shape ``(len(FIELDS), len(ts))``."""
        if len(ts) == 0:
            return
        if self.journal is not None:
            self.journal.samples(node_id, ts, np.asarray(values).T)
        node = self.index_of(node_id)
        if len(ts) > 1 and bool((np.diff(ts) < 0).any()):
            order = np.argsort(ts, kind="stable")
            ts, values = ts[order], values[:, order]
        for tier in self.tiers:
            tier.add(node, ts, values, now, self._live)

    # -- queries -----------------------------------------------------------------------------

    def _tier_for(self, window: Window) -> _Tier:
        for tier in reversed(self.tiers):
            if tier.period and window.resolution % tier.period == 0:
                return tier
        return self.tiers[0]

    def node_series(
        self, node_id: str, window: Window, fields: Sequence[str] = SERIES
    ) -> dict[str, list[tuple[float, float]]]:
        """``{field: [(bucket start, mean), ...]}`` for one node."""
        idx = self._node_index.get(node_id)
        if idx is None:
            return {f: [] for f in fields}
        tier = self._tier_for(window)
        span, buckets = tier.window(window)
        mine = tier.node[span] == idx
        return _bucketed(
            buckets[mine],
            tier.sums[:, span][:, mine],
            tier.counts[:, span][:, mine],
            window,
            fields,
        )

    def aggregate(
        self, window: Window, fields: Sequence[str] = AGGREGATED
    ) -> tuple[dict[str, list[tuple[float, float]]], dict[str, dict[str, float | None]]]:
        """Cross-node bucket means and per-node means over the window (Σsum/Σcount)."""
        tier = self._tier_for(window)
        span, buckets = tier.window(window)
        nodes = tier.node[span]
        live = self._live[nodes]
        rows = [FIELDS.index(f) for f in fields]
        sums, counts = tier.sums[rows, span], tier.counts[rows, span]
        if not live.all():
            buckets, nodes, sums, counts = (
                buckets[live],
                nodes[live],
                sums[:, live],
                counts[:, live],
            )
        series = _bucketed(buckets, sums, counts, window, range(len(fields)), names=fields)
        width = len(self._node_ids)
        seen = np.bincount(nodes, minlength=width) > 0
        per_node_sums = [
            np.bincount(nodes, weights=sums[k], minlength=width) for k in range(len(rows))
        ]
        per_node_counts = [
            np.bincount(nodes, weights=counts[k], minlength=width) for k in range(len(rows))
        ]
        per_node: dict[str, dict[str, float | None]] = {}
        for idx in np.flatnonzero(seen).tolist():
            per_node[self._node_ids[idx]] = {
                f: float(per_node_sums[k][idx] / per_node_counts[k][idx])
                if per_node_counts[k][idx]
                else None
                for k, f in enumerate(fields)
            }
        return series, per_node


def _bucketed(
    buckets: IntpArray,
    sums: FloatArray,
    counts: npt.NDArray[np.uint32],
    window: Window,
    fields: Sequence[str] | range,
    names: Sequence[str] | None = None,
) -> dict[str, list[tuple[float, float]]]:
    starts = window.timestamps()
    out: dict[str, list[tuple[float, float]]] = {}
    for k, f in enumerate(fields):
        row = f if isinstance(f, int) else FIELDS.index(f)
        name = names[k] if names is not None else str(f)
        total = np.bincount(buckets, weights=sums[row], minlength=window.buckets)
        count = np.bincount(buckets, weights=counts[row], minlength=window.buckets)
        filled = np.flatnonzero(count)
        means = total[filled] / count[filled]
        out[name] = list(zip(starts[filled].tolist(), means.tolist(), strict=True))
    return out


# -- named series of any metric ----------------------------------------------------------------


class SeriesSlice:
    """Points read from one series, sorted by date: dates in microseconds since the epoch."""

    __slots__ = ("cumulative", "dates", "metadata", "values")

    def __init__(
        self,
        dates: npt.NDArray[np.int64],
        values: list[str],
        cumulative: npt.NDArray[np.bool_],
        metadata: list[str],
    ) -> None:
        self.dates = dates
        self.values = values
        self.cumulative = cumulative
        self.metadata = metadata

    def __len__(self) -> int:
        return len(self.values)


class _Series:
    """One named series: columns for dates, numbers and flags; the posted strings in lists."""

    __slots__ = (
        "cumulative",
        "dates",
        "metadata",
        "numbers",
        "numeric",
        "size",
        "sorted",
        "values",
    )

    def __init__(self, capacity: int = 64) -> None:
        self.dates = np.zeros(capacity, dtype=np.int64)
        self.numbers = np.zeros(capacity, dtype=np.float64)
        self.numeric = np.zeros(capacity, dtype=np.bool_)
        self.cumulative = np.zeros(capacity, dtype=np.bool_)
        self.values: list[str] = []
        self.metadata: list[str] = []
        self.size = 0
        self.sorted = True

    def extend(
        self,
        dates: npt.NDArray[np.int64],
        values: list[str],
        cumulative: npt.NDArray[np.bool_],
        metadata: list[str],
    ) -> None:
        k = len(dates)
        numbers, numeric = _numbers(values)
        needed = self.size + k
        if needed > len(self.dates):
            capacity = max(needed, 2 * len(self.dates))
            for name in ("dates", "numbers", "numeric", "cumulative"):
                setattr(self, name, np.resize(getattr(self, name), capacity))
        i = self.size
        if self.sorted and (
            (i and dates[0] < self.dates[i - 1]) or (k > 1 and bool((np.diff(dates) < 0).any()))
        ):
            self.sorted = False
        self.dates[i:needed] = dates
        self.numbers[i:needed] = numbers
        self.numeric[i:needed] = numeric
        self.cumulative[i:needed] = cumulative
        self.values.extend(values)
        self.metadata.extend(metadata)
        self.size = needed

    def sort(self) -> None:
        """Order the points by date (stable: equal dates keep their arrival order)."""
        if self.sorted:
            return
        n = self.size
        order = np.argsort(self.dates[:n], kind="stable")
        for name in ("dates", "numbers", "numeric", "cumulative"):
            column = getattr(self, name)
            column[:n] = column[:n][order]
        picks = order.tolist()
        self.values = [self.values[j] for j in picks]
        self.metadata = [self.metadata[j] for j in picks]
        self.sorted = True


def _numbers(values: list[str]) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """``float(value)`` for each value (NaN where it is not a number), and where it is one."""
    try:
        return np.array(values, dtype=np.float64), np.ones(len(values), dtype=np.bool_)
    except (TypeError, ValueError):
        numbers = np.full(len(values), np.nan, dtype=np.float64)
        numeric = np.zeros(len(values), dtype=np.bool_)
        for j, value in enumerate(values):
            try:
                numbers[j] = float(value)
                numeric[j] = True
            except (TypeError, ValueError):
                pass
        return numbers, numeric


class SeriesStore:
    """Named series of any metric, grouped by owner (e.g. ``"run:3"``, ``"pod:worker-0"``).

    Values are strings kept exactly as posted; ``read(..., summarize=N)`` averages their
    numeric view into at most ``N`` buckets of ``ceil(count / N)`` points (a trailing partial
    bucket is dropped), summing each bucket from 0.0 in date order — the real MLBench
    dashboard's arithmetic, so the averaged strings are the same.
    """

    def __init__(self) -> None:
        self._owners: dict[str, dict[str, _Series]] = {}
        self.journal: Any = None  # a memory.durable.Journal when the cluster has a data dir

    def append(
        self,
        owner: str,
        name: str,
        dates: Sequence[int] | npt.NDArray[np.int64],
        values: Sequence[str],
        cumulative: Sequence[bool] | npt.NDArray[np.bool_],
        metadata: Sequence[str],
    ) -> None:
        """Points of one series; ``dates`` in microseconds since the epoch."""
        if not len(dates):
            return
        if self.journal is not None:
            self.journal.series(owner, name, dates, values, cumulative, metadata)
        series = self._owners.setdefault(owner, {}).get(name)
        if series is None:
            series = self._owners[owner][name] = _Series()
        series.extend(
            np.asarray(dates, dtype=np.int64),
            list(values),
            np.asarray(cumulative, dtype=np.bool_),
            list(metadata),
        )

    def owners(self) -> list[str]:
        return list(self._owners)

    def names(self, owner: str) -> list[str]:
        """The owner's metric names, sorted."""
        return sorted(self._owners.get(owner, ()))

    def forget(self, owner: str) -> None:
        self._owners.pop(owner, None)
        if self.journal is not None:
            self.journal.forget_series(owner)

    def read(
        self,
        owner: str,
        name: str,
        *,
        since: int | None = None,
        until: int | None = None,
        summarize: int | None = None,
        last_n: int | None = None,
    ) -> SeriesSlice:
        """The points with ``since <= date <= until``, averaged into ``summarize`` buckets when
        there are more points than that, then the last ``last_n``. A series whose values are
        not all numbers cannot be averaged (``BadRequestError`` naming ``summarize``)."""
        series = self._owners.get(owner, {}).get(name)
        if series is None or series.size == 0:
            return SeriesSlice(np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.bool_), [])
        series.sort()
        dates = series.dates[: series.size]
        lo = 0 if since is None else int(np.searchsorted(dates, since, side="left"))
        hi = series.size if until is None else int(np.searchsorted(dates, until, side="right"))
        hi = max(lo, hi)
        count = hi - lo
        if last_n and not (summarize and count > summarize):
            lo = max(lo, hi - last_n)  # only the points that are kept are copied
            count = hi - lo
        if summarize and count > summarize:
            if not series.numeric[lo:hi].all():
                bad = series.values[lo + int(np.argmin(series.numeric[lo:hi]))]
                raise BadRequestError(
                    f"summarize averages numbers, but metric {name!r} has the value {bad!r}",
                    {"summarize": f"metric {name!r} has values that are not numbers"},
                )
            factor = -(-count // summarize)
            k = count // factor
            end = lo + k * factor
            block = series.numbers[lo:end].reshape(k, factor)
            sums = np.cumsum(block, axis=1)[:, -1] + 0.0  # sequential, as the real server adds
            picks = slice(lo, end, factor)
            out = SeriesSlice(
                dates[picks].copy(),
                [str(v) for v in (sums / factor).tolist()],
                series.cumulative[picks].copy(),
                series.metadata[picks],
            )
        else:
            out = SeriesSlice(
                dates[lo:hi].copy(),
                series.values[lo:hi],
                series.cumulative[lo:hi].copy(),
                series.metadata[lo:hi],
            )
        if last_n and len(out) > last_n:
            out = SeriesSlice(
                out.dates[-last_n:],
                out.values[-last_n:],
                out.cumulative[-last_n:],
                out.metadata[-last_n:],
            )
        return out
