"""A crash-test load for ``k8sedge serve --data-dir``: writes through the SDK against a real
server process, a record of every write the server acknowledged, SIGKILL at a random moment,
and a check, after each restart, that every acknowledged write is still there.

Used by ``tests/durable/test_crash.py`` (a short loop) and ``bench/bench_crash.py`` (the long
one, at least 20 kills).
"""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from attrs import define, field

import k8sedge

ADMIN = "crash-test-admin-token"
SAMPLES_PER_BATCH = 10
MAX_SAMPLES_PER_NODE = 1200  # one a minute, all inside a day's window


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@define
class ServeProcess:
    """``python -m k8sedge serve --data-dir DIR``, started, killed and started again."""

    data_dir: Path
    port: int = field(factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    started: list[str] = field(factory=list)  # the "data directory ..." line of each start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Start the server and wait until it answers; the seconds that took."""
        log_path = self.data_dir.parent / f"serve-{self.port}.log"
        began = time.perf_counter()
        # the load sends far more than the default 600 requests a minute per token
        command = [sys.executable, "-m", "k8sedge", "serve", "--port", str(self.port)]
        command += ["--admin-token", ADMIN, "--data-dir", str(self.data_dir)]
        command += ["--rate-limit", "off", "--log-level", "warning"]
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the server did not answer in time")
        elapsed = time.perf_counter() - began
        self.started.append(log_path.read_text().splitlines()[0])
        return elapsed

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@define
class Acknowledged:
    """Every write the server answered, and what each must look like after a restart."""

    nodes: dict[str, str] = field(factory=dict)  # id -> name
    tokens: dict[str, str] = field(factory=dict)  # live token -> node id
    revoked: set[str] = field(factory=set)
    workloads: dict[str, int] = field(factory=dict)  # id -> replicas
    deployed: set[str] = field(factory=set)
    samples: dict[str, list[float]] = field(factory=dict)  # node id -> cpu values, in order
    pods: set[str] = field(factory=set)
    writes: int = 0
    # a write cut off by the kill may or may not have happened: its object is not checked
    uncertain: set[str] = field(factory=set)


class Load:
    """Writes of every kind, in a random mix, until the server stops answering."""

    def __init__(
        self, url: str, acked: Acknowledged, seed: int, origin: datetime, prefix: str
    ) -> None:
        self.url = url
        self.prefix = prefix  # names are unique across loads
        self.acked = acked
        self.random = random.Random(seed)
        self.origin = origin  # where every node's samples start, a minute apart
        self.counter = 0
        self.errors: list[str] = []  # refusals of a write that should have worked

    def run(self) -> None:
        no_retry = k8sedge.RetryPolicy(attempts=1)
        with k8sedge.connect(self.url, token=ADMIN, retry=no_retry, timeout=10) as client:
            while True:
                try:
                    self.one(client)
                except k8sedge.TransportError:
                    return  # the server is gone
                except k8sedge.K8sEdgeError as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    return

    def one(self, client: k8sedge.Client) -> None:
        acked = self.acked
        self.counter += 1
        n = f"{self.prefix}-{self.counter}"
        kind = self.random.choice(
            ["node", "node", "token", "revoke", "workload", "deploy", "metrics", "metrics", "pod"]
        )
        if kind == "node" or not acked.nodes:
            name = f"edge-{n}"
            acked.uncertain.add(name)
            node = client.edge.nodes.register(
                name=name, address="10.0.0.1", resources={"cpu": "64", "memory": "256Gi"}
            )
            acked.uncertain.discard(name)
            acked.nodes[node.id] = name
        elif kind == "token":
            node_id = self.random.choice(list(acked.nodes))
            acked.tokens[client.edge.tokens.generate(node_id, "24h").token] = node_id
        elif kind == "revoke" and acked.tokens:
            token = self.random.choice(list(acked.tokens))
            del acked.tokens[token]  # until acknowledged, either answer is right
            client.edge.tokens.revoke(token)
            acked.revoked.add(token)
        elif kind == "workload" or (kind == "deploy" and not acked.workloads):
            replicas = self.random.randint(1, 3)
            workload = client.edge.workloads.create(
                name=f"app-{n}", image="nginx", replicas=replicas
            )
            acked.workloads[workload.id] = replicas
        elif kind == "deploy":
            candidates = [w for w in acked.workloads if w not in acked.deployed]
            if not candidates:
                return
            workload_id = self.random.choice(candidates)
            acked.uncertain.add(workload_id)
            client.edge.workloads.deploy(workload_id)
            acked.uncertain.discard(workload_id)
            acked.deployed.add(workload_id)
        elif kind == "metrics":
            self.metrics(client)
        elif kind == "pod":
            name = f"pod-{n}"
            client.simulator.pods.create(
                {
                    "metadata": {"name": name},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                }
            )
            acked.pods.add(name)
        else:
            return
        acked.writes += 1

    def metrics(self, client: k8sedge.Client) -> None:
        acked = self.acked
        room = [
            i
            for i in acked.nodes
            if len(acked.samples.get(i, ())) + SAMPLES_PER_BATCH <= MAX_SAMPLES_PER_NODE
        ]
        if not room:
            return
        node_id = self.random.choice(room)
        done = acked.samples.setdefault(node_id, [])
        # a distinct value per sample: each is found again in its own one-minute bucket
        values = [(len(done) + k + 1) / 100 for k in range(SAMPLES_PER_BATCH)]
        batch = [
            {
                "timestamp": self.origin + timedelta(minutes=len(done) + k),
                "cpu_usage": value,
                "memory_usage": 1.0,
            }
            for k, value in enumerate(values)
        ]
        acked.uncertain.add(node_id)
        client.edge.metrics.record_batch(node_id, batch)
        acked.uncertain.discard(node_id)
        done.extend(values)


def missing(url: str, acked: Acknowledged) -> list[str]:
    """Every acknowledged write that is not there (the goal: none)."""
    lost: list[str] = []
    with k8sedge.connect(url, token=ADMIN) as client:
        nodes = {n.id: n.name for n in client.edge.nodes.iter()}
        for node_id, name in acked.nodes.items():
            if nodes.get(node_id) != name:
                lost.append(f"node {name} ({node_id})")
        for token in acked.tokens:
            if not client.edge.tokens.validate(token).valid:
                lost.append(f"token for {acked.tokens[token]} no longer valid")
        for token in acked.revoked:
            if client.edge.tokens.validate(token).valid:
                lost.append("a revoked token is valid again")
        workloads = {w.id: w for w in client.edge.workloads.iter()}
        for workload_id, replicas in acked.workloads.items():
            workload = workloads.get(workload_id)
            if workload is None or workload.replicas != replicas:
                lost.append(f"workload {workload_id}")
            elif workload_id in acked.deployed and workload.deployment_id is None:
                lost.append(f"the deployment of workload {workload_id}")
        for node_id, values in acked.samples.items():
            if node_id in acked.uncertain:
                continue
            series = client.edge.metrics.node(node_id, "24h", "1m").metrics.get("cpu_usage", [])
            stored = {round(p.value, 2) for p in series if p.value is not None}
            gone = [v for v in values if round(v, 2) not in stored]
            if gone:
                lost.append(f"{len(gone)} metric samples of node {node_id}")
        pods = {p.name for p in client.simulator.pods.list()}
        lost += [f"pod {name}" for name in acked.pods - pods]
    return lost


def crash_loop(
    data_dir: Path, kills: int, *, seed: int = 0, min_wait: float = 0.3, max_wait: float = 2.0
) -> tuple[Acknowledged, list[str], list[float], ServeProcess]:
    """Run the load, SIGKILL the server at random moments ``kills`` times, check after each
    restart; returns what was acknowledged, what was lost, the restart times and the server
    (still running: stop it)."""
    chooser = random.Random(seed)
    acked = Acknowledged()
    server = ServeProcess(data_dir)
    origin = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=22)
    restarts: list[float] = []
    lost: list[str] = []
    server.start()
    for round_ in range(kills):
        load = Load(server.url, acked, seed * 1000 + round_, origin, f"r{round_}")
        worker = threading.Thread(target=load.run)
        worker.start()
        time.sleep(chooser.uniform(min_wait, max_wait))
        server.kill()
        worker.join()
        lost += [f"in round {round_ + 1} the server refused: {e}" for e in load.errors]
        restarts.append(server.start())
        lost += [f"after kill {round_ + 1}: {what}" for what in missing(server.url, acked)]
    return acked, lost, restarts, server
