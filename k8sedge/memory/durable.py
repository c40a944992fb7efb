"""A data directory for the memory cluster: its state in SQLite, so that it survives a crash.

``DataDir`` owns the directory: an exclusive lock (a second server on the same directory is
refused, told which process holds it), the database (WAL, ``synchronous=NORMAL``: a committed
transaction survives the process being killed), and the format version (a newer one is
refused, an older one migrated). ``Journal`` collects what a change did — objects written and
deleted, watch events, node records, workloads and lenses' records, metric samples, token
revocations — and ``commit()`` writes it in one transaction *before* the change is answered.
Heartbeats are the exception that must stay fast: their times are written behind, at most
``HEARTBEAT_FLUSH`` seconds later.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..errors import ConflictError, UnsupportedError

__all__ = ["FORMAT", "HEARTBEAT_FLUSH", "DataDir", "Journal", "Snapshot"]

FORMAT = 1  # the layout this code writes; see _MIGRATIONS for older ones
HEARTBEAT_FLUSH = 1.0  # seconds: the most a heartbeat's time is written behind
EVENTS_KEPT = 20_000  # watch events kept on disk (a watch from before them is 410 Expired)
BLOB_KINDS = frozenset({"extension"})  # records kept as bytes (an extension's pickled state)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, UNIQUE (kind, key)
);
CREATE TABLE IF NOT EXISTS events (
    rv INTEGER PRIMARY KEY, kind TEXT NOT NULL, type TEXT NOT NULL, value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (name TEXT NOT NULL UNIQUE, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats (name TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revocations (jti TEXT PRIMARY KEY, until REAL NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples (node TEXT NOT NULL, ts REAL NOT NULL, value BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS samples_by_node ON samples (node);
CREATE TABLE IF NOT EXISTS series (
    owner TEXT NOT NULL, name TEXT NOT NULL, date INTEGER NOT NULL, value TEXT NOT NULL,
    cumulative INTEGER NOT NULL, metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS series_by_owner ON series (owner);
"""

# format -> the statements that bring a directory of that format to the next one
_MIGRATIONS: dict[int, list[str]] = {}


class DataDir:
    """An open data directory: locked for this process, its database ready."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._lock()
        self.db = sqlite3.connect(
            self.path / "k8sedge.db", isolation_level=None, check_same_thread=False
        )
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.created = self._check_format()
        except BaseException:
            self.close()
            raise

    def _lock(self) -> Any:
        lock_path = self.path / "lock"
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConflictError(
                f"the data directory {self.path} is in use by {holder}; one server per directory",
                {"data_dir": str(self.path)},
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {os.uname().nodename}")
        handle.flush()
        return handle

    def _check_format(self) -> bool:
        """Refuse a newer format, migrate an older one; True if the directory is new."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            return True
        found = int(row[0])
        if found > FORMAT:
            raise UnsupportedError(
                f"{self.path} was written by a newer k8sedge (data format {found}; this "
                f"version reads up to {FORMAT}): upgrade k8sedge, or use another --data-dir",
                {"data_dir": str(self.path), "format": found},
            )
        while found < FORMAT:
            for statement in _MIGRATIONS.get(found, []):
                self.db.execute(statement)
            found += 1
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'format'", (str(found),))
        return False

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()


class Snapshot:
    """What a data directory holds, read back on start."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.meta = {k: v for k, v in db.execute("SELECT key, value FROM meta")}
        self.objects = [
            (kind, orjson.loads(value))
            for kind, value in db.execute("SELECT kind, value FROM objects ORDER BY rowid")
        ]
        self.nodes = [
            orjson.loads(v) for (v,) in db.execute("SELECT value FROM nodes ORDER BY rowid")
        ]
        self.heartbeats = dict(db.execute("SELECT name, at FROM heartbeats"))
        self.records: dict[str, dict[str, Any]] = {}
        for kind, key, value in db.execute("SELECT kind, key, value FROM records"):
            self.records.setdefault(kind, {})[key] = (
                bytes(value) if kind in BLOB_KINDS else orjson.loads(value)
            )
        self.revocations = dict(db.execute("SELECT jti, until FROM revocations"))
        self.events = [
            (rv, kind, kind_type, orjson.loads(value))
            for rv, kind, kind_type, value in db.execute(
                "SELECT rv, kind, type, value FROM events ORDER BY rv"
            )
        ]
        self._db = db

    def samples(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Each node's samples: (node id, timestamps, values of shape (fields, n))."""
        nodes = [n for (n,) in self._db.execute("SELECT DISTINCT node FROM samples")]
        for node in nodes:
            rows = self._db.execute(
                "SELECT ts, value FROM samples WHERE node = ? ORDER BY rowid", (node,)
            ).fetchall()
            if not rows:
                continue
            ts = np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))
            values = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float64)
            yield node, ts, values.reshape(len(rows), -1).T.copy()

    def series(self) -> Iterator[tuple[str, str, list[int], list[str], list[bool], list[str]]]:
        """Each named series: (owner, name, dates, values, cumulative, metadata)."""
        rows = self._db.execute(
            "SELECT owner, name, date, value, cumulative, metadata FROM series ORDER BY rowid"
        )
        grouped: dict[tuple[str, str], tuple[list[Any], ...]] = {}
        for owner, name, date, value, cumulative, metadata in rows:
            lists = grouped.setdefault((owner, name), ([], [], [], []))
            lists[0].append(date)
            lists[1].append(value)
            lists[2].append(bool(cumulative))
            lists[3].append(metadata)
        for (owner, name), (dates, values, cumulative, metadata) in grouped.items():
            yield owner, name, dates, values, cumulative, metadata

    def meta_json(self, key: str) -> Any:
        value = self.meta.get(key)
        return None if value is None else orjson.loads(value)


class Journal:
    """What changes did, written to the data directory by ``commit()``."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self.db = data.db
        self._objects: dict[tuple[str, str], Any] = {}  # (kind, key) -> object or None
        self._events: list[tuple[int, str, str, Any]] = []
        self._nodes: dict[str, Any] = {}  # name -> state (a callable) or None (gone)
        self._records: dict[tuple[str, str], Any] = {}
        self._revocations: list[tuple[str, float]] = []
        self._samples: list[tuple[str, float, bytes]] = []
        self._series: list[tuple[str, str, int, str, int, str]] = []
        self._forgotten: list[tuple[str, str]] = []  # (table, owner) whose rows go
        self._meta: dict[str, bytes] = {}
        self._heartbeats: dict[str, float] = {}
        self._beat_lock = threading.Lock()
        self._db_lock = threading.Lock()  # commits and the heartbeat flusher take turns
        self._last_events_trim = 0
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()

    # -- what changed ----------------------------------------------------------------------

    def put(self, kind: str, key: str, obj: Any) -> None:
        self._objects[(kind, key)] = obj

    def drop(self, kind: str, key: str) -> None:
        self._objects[(kind, key)] = None

    def event(self, rv: int, kind: str, event_type: str, obj: Any) -> None:
        self._events.append((rv, kind, event_type, obj))

    def node(self, name: str, state: Callable[[], dict[str, Any]] | None) -> None:
        """A node record changed (``state`` renders it at commit) or went (``None``)."""
        self._nodes[name] = state

    def record(self, kind: str, key: str, value: Any) -> None:
        """A lens's record (a workload, an extension's state); ``None`` deletes it."""
        self._records[(kind, key)] = value

    def revoked(self, jti: str, until: float) -> None:
        self._revocations.append((jti, until))

    def samples(self, node: str, ts: Any, values: Any) -> None:
        """Metric samples of one node: timestamps and rows of field values."""
        rows = np.asarray(values, dtype=np.float64).reshape(len(ts), -1)
        self._samples.extend(
            (node, float(t), row.tobytes()) for t, row in zip(ts, rows, strict=True)
        )

    def series(
        self, owner: str, name: str, dates: Any, values: Any, cumulative: Any, metadata: Any
    ) -> None:
        """Points of a named series (MLBench metrics)."""
        self._series.extend(
            (owner, name, int(d), str(v), int(bool(c)), str(m))
            for d, v, c, m in zip(dates, values, cumulative, metadata, strict=True)
        )

    def forget_series(self, owner: str) -> None:
        self._series = [row for row in self._series if row[0] != owner]
        self._forgotten.append(("series", owner))

    def forget_samples(self, node: str) -> None:
        self._samples = [row for row in self._samples if row[0] != node]
        self._forgotten.append(("samples", node))

    def meta(self, key: str, value: Any) -> None:
        self._meta[key] = orjson.dumps(value)

    def heartbeat(self, name: str, at: float) -> None:
        """A heartbeat's time, written behind (``flush_heartbeats``)."""
        with self._beat_lock:
            self._heartbeats[name] = at

    @property
    def pending(self) -> bool:
        return bool(
            self._objects
            or self._events
            or self._nodes
            or self._records
            or self._revocations
            or self._samples
            or self._series
            or self._forgotten
            or self._meta
        )

    # -- writing -----------------------------------------------------------------------------

    def commit(self) -> None:
        """Write everything collected since the last commit, in one transaction."""
        if not self.pending:
            return
        objects, self._objects = self._objects, {}
        events, self._events = self._events, []
        nodes, self._nodes = self._nodes, {}
        records, self._records = self._records, {}
        revocations, self._revocations = self._revocations, []
        samples, self._samples = self._samples, []
        series, self._series = self._series, []
        forgotten, self._forgotten = self._forgotten, []
        meta, self._meta = self._meta, {}
        gone = [name for name, state in nodes.items() if state is None]
        if gone:  # a deleted node's pending heartbeat is not written
            with self._beat_lock:
                for name in gone:
                    self._heartbeats.pop(name, None)
        with self._db_lock:
            db = self.db
            db.execute("BEGIN")
            try:
                for (kind, key), obj in objects.items():
                    if obj is None:
                        db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, key))
                    else:
                        db.execute(  # an upsert keeps the row, so objects keep their order
                            "INSERT INTO objects VALUES (?, ?, ?) ON CONFLICT (kind, key) "
                            "DO UPDATE SET value = excluded.value",
                            (kind, key, orjson.dumps(obj)),
                        )
                if events:
                    db.executemany(
                        "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?)",
                        [
                            (
                                rv,
                                kind,
                                kind_type,
                                orjson.dumps(obj if isinstance(obj, dict) else obj()),
                            )
                            for rv, kind, kind_type, obj in events
                        ],
                    )
                    newest = events[-1][0]
                    if newest - self._last_events_trim > EVENTS_KEPT // 4:
                        db.execute("DELETE FROM events WHERE rv <= ?", (newest - EVENTS_KEPT,))
                        self._last_events_trim = newest
                for name, state in nodes.items():
                    if state is None:
                        db.execute("DELETE FROM nodes WHERE name = ?", (name,))
                        db.execute("DELETE FROM heartbeats WHERE name = ?", (name,))
                    else:
                        db.execute(
                            "INSERT INTO nodes VALUES (?, ?) ON CONFLICT (name) "
                            "DO UPDATE SET value = excluded.value",
                            (name, orjson.dumps(state())),
                        )
                for (kind, key), value in records.items():
                    if value is None:
                        db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                            (kind, key, value if isinstance(value, bytes) else orjson.dumps(value)),
                        )
                if revocations:
                    db.executemany("INSERT OR REPLACE INTO revocations VALUES (?, ?)", revocations)
                for table, owner in forgotten:
                    column = "owner" if table == "series" else "node"
                    db.execute(f"DELETE FROM {table} WHERE {column} = ?", (owner,))
                if samples:
                    db.executemany("INSERT INTO samples VALUES (?, ?, ?)", samples)
                if series:
                    db.executemany("INSERT INTO series VALUES (?, ?, ?, ?, ?, ?)", series)
                for key, value in meta.items():
                    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def flush_heartbeats(self) -> int:
        """Write the heartbeat times collected since the last flush; returns how many."""
        with self._beat_lock:
            beats, self._heartbeats = self._heartbeats, {}
        if beats:
            with self._db_lock, contextlib.suppress(sqlite3.Error):
                self.db.executemany(  # only for nodes still kept
                    "INSERT OR REPLACE INTO heartbeats SELECT ?, ? "
                    "WHERE EXISTS (SELECT 1 FROM nodes WHERE name = ?1)",
                    list(beats.items()),
                )
        return len(beats)

    def start_flusher(self) -> None:
        """Flush heartbeats every ``HEARTBEAT_FLUSH`` seconds, in a thread of its own that
        takes turns with commits for the database but never holds the cluster's lock (so
        heartbeats on the event loop never wait for it)."""

        def run() -> None:
            while not self._stop.wait(HEARTBEAT_FLUSH):
                self.flush_heartbeats()

        self._flusher = threading.Thread(target=run, name="k8sedge-heartbeats", daemon=True)
        self._flusher.start()

    def clear(self) -> None:
        """Everything but the format and the token key goes (``reset``)."""
        self._objects.clear()
        self._events.clear()
        self._nodes.clear()
        self._records.clear()
        self._samples.clear()
        self._series.clear()
        self._forgotten.clear()
        with self._beat_lock:
            self._heartbeats.clear()
        with self._db_lock:
            self.db.execute("BEGIN")
            for table in ("objects", "nodes", "heartbeats", "records", "samples", "series"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("COMMIT")

    def close(self) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=5)
        self.flush_heartbeats()
        self.data.close()
