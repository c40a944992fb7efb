"""The facade's kinds and controllers driven by real ``kubectl`` (v1.32) over a uvicorn
socket: rollouts, revisions and conditions, StatefulSets and DaemonSets, Jobs and CronJobs on
the cluster's clock, drains honouring PodDisruptionBudgets, cascading and namespace
deletion, Services, ServiceAccounts and the events ``kubectl describe`` shows.

Objects are sent with ``kubectl apply``/``create -f`` (JSON), validated against the facade's
OpenAPI documents as kubectl does by default.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from k8sedge.clock import ManualClock
from k8sedge.kubeapi import create_kube_app, write_kubeconfig
from k8sedge.memory import Cluster
from k8sedge.server.threaded import serve_in_thread

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (.ci/run installs Debian's kubernetes-client)"
)
START = 1_700_000_000.0


class Kube:
    def __init__(self, cluster: Cluster, kubeconfig: Path, tmp: Path) -> None:
        self.cluster = cluster
        self.kubeconfig = kubeconfig
        self.tmp = tmp
        self.clock = cluster.clock

    def run(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        out = subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {out.stderr}")
        return out

    def __call__(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        out = self.run(*args, check=check, timeout=timeout)
        return out.stdout + out.stderr

    def apply(self, text: str) -> str:
        path = self.tmp / "objects.yaml"
        path.write_text(text)
        return self("apply", "-f", str(path))

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json"))

    def advance(self, seconds: float) -> None:
        assert isinstance(self.clock, ManualClock)
        self.clock.advance(seconds)
        self.cluster.advance()


def _serve(tmp_path: Path, cluster: Cluster) -> Iterator[Kube]:
    with serve_in_thread(create_kube_app(cluster)) as url:
        yield Kube(cluster, write_kubeconfig(tmp_path / "kubeconfig", url), tmp_path)


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[Kube]:
    """A facade over a cluster on a manual clock."""
    yield from _serve(tmp_path, Cluster(clock=ManualClock(START), job_run_time=5.0))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Kube]:
    """A facade over a cluster on the wall clock, Jobs' pods running half a second."""
    yield from _serve(tmp_path, Cluster(job_run_time=0.5))


def nodes(*names: str, taint: str | None = None, cpu: str = "4") -> str:
    docs = []
    for name in names:
        taints = ""
        if taint == name:
            taints = "\nspec: {taints: [{key: dedicated, value: db, effect: NoSchedule}]}"
        docs.append(
            f"apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{zone: {name}}}}}\n"
            f'status: {{allocatable: {{cpu: "{cpu}", memory: 8Gi, pods: "110"}}}}{taints}'
        )
    return "\n---\n".join(docs)


def deployment(image: str = "nginx:1.25", replicas: int = 3, extra: str = "") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}{extra}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: c, image: "{image}", resources: {{requests: {{cpu: 100m}}}}}}]}}
"""


def test_deployment_revisions_undo_pause_and_conditions(kube: Kube) -> None:
    """``kubectl rollout status|history|undo|pause|resume``: a ReplicaSet per template, the
    ``deployment.kubernetes.io/revision`` annotations, rollback reusing the old ReplicaSet
    (its revision moves to the top, as ``SetNewReplicaSetAnnotations`` does), the
    ``Available``/``Progressing`` conditions with upstream's reasons, and ``ScalingReplicaSet``
    events paced by ``maxSurge``/``maxUnavailable``."""
    kube.apply(nodes("node-a", "node-b"))
    assert "created" in kube.apply(deployment())
    assert 'deployment "web" successfully rolled out' in kube(
        "rollout", "status", "deployment/web", "--timeout=10s"
    )
    kube("set", "image", "deployment/web", "c=nginx:1.26")
    assert "successfully rolled out" in kube("rollout", "status", "deployment/web")
    history = kube("rollout", "history", "deployment/web")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    first = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs["metadata"]["name"]
        for rs in kube.json("get", "replicasets")["items"]
    }
    assert "rolled back" in kube("rollout", "undo", "deployment/web")
    after = {rs["metadata"]["name"]: rs for rs in kube.json("get", "replicasets")["items"]}
    assert set(after) == set(first.values())  # the old ReplicaSet is reused, not a new one
    reused = after[first["1"]]
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert reused["spec"]["replicas"] == 3 and after[first["2"]]["spec"]["replicas"] == 0
    d = kube.json("get", "deployment", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    conditions = {c["type"]: c for c in d["status"]["conditions"]}
    assert conditions["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert (
        conditions["Progressing"]["message"]
        == f'ReplicaSet "{first["1"]}" has successfully progressed.'
    )

    kube("rollout", "pause", "deployment/web")
    kube("set", "image", "deployment/web", "c=nginx:1.27")
    paused = kube.run("rollout", "status", "deployment/web", "--timeout=2s", check=False)
    assert paused.returncode != 0 and "0 out of 3 new replicas have been updated" in paused.stdout
    progressing = next(
        c
        for c in kube.json("get", "deployment", "web")["status"]["conditions"]
        if c["type"] == "Progressing"
    )
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
    kube("rollout", "resume", "deployment/web")
    assert "successfully rolled out" in kube("rollout", "status", "deployment/web")

    described = kube("describe", "deployment", "web")
    assert f"Scaled up replica set {first['2']} from 0 to 1" in described  # maxSurge 25% of 3
    assert f"Scaled down replica set {first['1']} from 3 to 2" in described


def test_rollout_paced_by_min_ready_seconds_and_progress_deadline(kube: Kube) -> None:
    """A rolling update waits for new pods to be available (``minReadySeconds`` on the
    cluster's clock) before it scales old ones down; a rollout that cannot progress gets
    ``Progressing=False`` ``ProgressDeadlineExceeded`` after ``progressDeadlineSeconds``."""
    kube.apply(nodes("node-a"))
    kube.apply(deployment(extra="\n  minReadySeconds: 10\n  progressDeadlineSeconds: 60"))
    status = kube.json("get", "deployment", "web")["status"]
    assert status.get("availableReplicas", 0) == 0 and status["readyReplicas"] == 3
    kube.advance(10)
    assert kube.json("get", "deployment", "web")["status"]["availableReplicas"] == 3
    kube("set", "image", "deployment/web", "c=nginx:1.26")

    def sizes() -> dict[str, int]:
        return {
            rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["spec"]["replicas"]
            for rs in kube.json("get", "replicasets")["items"]
        }

    assert sizes() == {"nginx:1.25": 3, "nginx:1.26": 1}  # maxSurge 1, maxUnavailable 0
    steps = [sizes()]
    for _ in range(4):
        kube.advance(10)
        steps.append(sizes())
    assert steps[-1] == {"nginx:1.25": 0, "nginx:1.26": 3}
    assert len({tuple(sorted(s.items())) for s in steps}) >= 3  # one pod per 10 s
    assert "successfully rolled out" in kube("rollout", "status", "deployment/web")

    kube("set", "resources", "deployment/web", "-c=c", "--requests=cpu=64")  # fits nowhere
    kube.advance(61)
    failed = kube.run("rollout", "status", "deployment/web", "--timeout=5s", check=False)
    assert failed.returncode != 0 and "exceeded its progress deadline" in failed.stderr
    progressing = next(
        c
        for c in kube.json("get", "deployment", "web")["status"]["conditions"]
        if c["type"] == "Progressing"
    )
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")


def test_statefulset_and_daemonset_rollouts(kube: Kube) -> None:
    """StatefulSet pods ``db-0``, ``db-1`` one at a time (OrderedReady) with their claims;
    a DaemonSet's pod on every node whose taints it tolerates, placed by the scheduler through
    a node affinity on ``metadata.name``; ``kubectl rollout status`` and ``history`` for
    both (ControllerRevisions); a new node gets its daemon pod."""
    kube.apply(nodes("node-a", "node-b", taint="node-b"))
    kube.apply(
        """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: "busybox:1"}]}
"""
    )
    assert "partitioned roll out complete: 2 new pods" in kube(
        "rollout", "status", "statefulset/db", "--timeout=10s"
    )
    assert 'daemon set "agent" successfully rolled out' in kube(
        "rollout", "status", "daemonset/agent", "--timeout=10s"
    )
    pods = {p["metadata"]["name"]: p for p in kube.json("get", "pods")["items"]}
    assert {"db-0", "db-1"} <= set(pods)
    assert pods["db-0"]["spec"]["hostname"] == "db-0" and pods["db-0"]["spec"]["subdomain"] == "db"
    agents = [p for n, p in pods.items() if n.startswith("agent-")]
    assert [p["spec"]["nodeName"] for p in agents] == ["node-a"]  # node-b's taint is not tolerated
    terms = agents[0]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert terms == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-a"]}]}
    ]
    ds = kube.json("get", "daemonset", "agent")["status"]
    assert (ds["desiredNumberScheduled"], ds["numberReady"], ds["updatedNumberScheduled"]) == (
        1,
        1,
        1,
    )

    kube.apply(nodes("node-c"))
    placed = sorted(
        p["spec"]["nodeName"] for p in kube.json("get", "pods", "-l", "app=agent")["items"]
    )
    assert placed == ["node-a", "node-c"]

    kube("set", "image", "statefulset/db", "db=postgres:17")
    kube("set", "image", "daemonset/agent", "a=busybox:2")
    assert "partitioned roll out complete" in kube("rollout", "status", "statefulset/db")
    assert "successfully rolled out" in kube("rollout", "status", "daemonset/agent")
    images = {
        p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
        for p in kube.json("get", "pods")["items"]
    }
    assert images["db-0"] == images["db-1"] == "postgres:17"
    assert {i for n, i in images.items() if n.startswith("agent-")} == {"busybox:2"}
    sts = kube.json("get", "statefulset", "db")["status"]
    assert sts["currentRevision"] == sts["updateRevision"] and sts["updatedReplicas"] == 2
    history = kube("rollout", "history", "statefulset/db")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    assert "2" in kube("rollout", "history", "daemonset/agent")


def test_job_wait_complete_and_run_time_annotation(live: Kube) -> None:
    """A Job's pods succeed after the simulated run time, so ``kubectl wait
    --for=condition=Complete`` returns: the Job has ``SuccessCriteriaMet`` and ``Complete``
    (reason ``CompletionsReached``), ``succeeded`` and a ``completionTime``; its pods carry
    ``job-name`` and are ``Succeeded``. ``k8sedge.io/run-seconds`` overrides the run time."""
    live.apply(nodes("node-a"))
    live.apply(
        """
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 2
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  template:
    metadata: {annotations: {k8sedge.io/run-seconds: "3600"}}
    spec:
      restartPolicy: Never
      containers: [{name: s, image: busybox}]
"""
    )
    assert "job.batch/pi condition met" in live(
        "wait", "--for=condition=Complete", "job/pi", "--timeout=30s", timeout=40
    )
    job = live.json("get", "job", "pi")
    reasons = {c["type"]: c["reason"] for c in job["status"]["conditions"]}
    assert reasons == {"SuccessCriteriaMet": "CompletionsReached", "Complete": "CompletionsReached"}
    assert job["status"]["succeeded"] == 2 and job["status"]["completionTime"]
    assert (
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"]
        == job["metadata"]["uid"]
    )
    pods = live.json("get", "pods", "-l", "job-name=pi")["items"]
    assert [p["status"]["phase"] for p in pods] == ["Succeeded", "Succeeded"]
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    slow = live.run("wait", "--for=condition=Complete", "job/slow", "--timeout=2s", check=False)
    assert slow.returncode != 0
    assert live.json("get", "job", "slow")["status"]["active"] == 1


def test_cronjob_runs_on_the_clock(kube: Kube) -> None:
    """A CronJob creates ``<name>-<minutes>`` Jobs as the cluster's clock passes its
    schedule, records ``SuccessfulCreate`` and ``SawCompletedJob``, keeps
    ``successfulJobsHistoryLimit`` finished Jobs, and with ``Forbid`` skips a run while one
    is active."""
    kube.apply(nodes("node-a"))
    kube.apply(
        """
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/1 * * * *"
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: t, image: busybox}]
"""
    )
    assert kube.json("get", "jobs")["items"] == []
    for _ in range(4):
        kube.advance(60)
    jobs = kube.json("get", "jobs")["items"]
    names = sorted(j["metadata"]["name"] for j in jobs)
    # the one just started (its pods run 5 s) and the 2 finished ones the history keeps
    assert len(names) == 3 and all(n.startswith("tick-") for n in names)
    finished = [j for j in jobs if j["status"].get("succeeded")]
    assert len(finished) == 2
    minutes = int(names[-1].split("-")[1])
    assert minutes * 60 <= kube.clock.now() < (minutes + 1) * 60
    scheduled = jobs[-1]["metadata"]["annotations"][
        "batch.kubernetes.io/cronjob-scheduled-timestamp"
    ]
    assert scheduled.endswith("Z")
    status = kube.json("get", "cronjob", "tick")["status"]
    assert status["lastScheduleTime"] and status["lastSuccessfulTime"]
    events = kube("describe", "cronjob", "tick")
    assert (
        "SuccessfulCreate" in events
        and "Saw completed job" in events
        and "SuccessfulDelete" in events
    )

    kube(
        "patch",
        "cronjob",
        "tick",
        "--type=merge",
        "-p",
        '{"spec":{"concurrencyPolicy":"Forbid","jobTemplate":{"spec":{"template":{"metadata":'
        '{"annotations":{"k8sedge.io/run-seconds":"500"}}}}}}}',
    )
    kube.advance(60)  # starts a job that runs 500 s
    running = kube.json("get", "cronjob", "tick")["status"]["active"]
    before = sorted(j["metadata"]["name"] for j in kube.json("get", "jobs")["items"])
    kube.advance(60)  # Forbid: no second one while it runs
    assert kube.json("get", "cronjob", "tick")["status"]["active"] == running
    assert sorted(j["metadata"]["name"] for j in kube.json("get", "jobs")["items"]) == before
    assert "Not starting job because prior execution is running" in kube(
        "describe", "cronjob", "tick"
    )


def test_drain_respects_pod_disruption_budget(kube: Kube) -> None:
    """``kubectl drain`` evicts through ``pods/eviction``: 429 with upstream's message while
    the PodDisruptionBudget allows no disruption, evictions once it does."""
    kube.apply(nodes("node-a", "node-b"))
    kube.apply(
        deployment(replicas=2)
        + "\n---\n"
        + """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
"""
    )
    pdb = kube.json("get", "poddisruptionbudget", "web")["status"]
    assert (pdb["currentHealthy"], pdb["desiredHealthy"], pdb["disruptionsAllowed"]) == (2, 2, 0)
    assert pdb["conditions"][0]["reason"] == "InsufficientPods"
    node = kube.json("get", "pods")["items"][0]["spec"]["nodeName"]
    refused = kube.run("drain", node, "--timeout=3s", check=False)
    assert refused.returncode != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in refused.stderr
    assert len(kube.json("get", "pods")["items"]) == 2
    kube("patch", "poddisruptionbudget", "web", "--type=merge", "-p", '{"spec":{"minAvailable":1}}')
    assert kube.json("get", "poddisruptionbudget", "web")["status"]["disruptionsAllowed"] == 1
    assert "drained" in kube("drain", node, "--timeout=30s")
    placed = [p["spec"]["nodeName"] for p in kube.json("get", "pods")["items"]]
    assert len(placed) == 2 and node not in placed


def test_cascading_and_namespace_deletion(kube: Kube) -> None:
    """``--cascade=orphan`` leaves the ReplicaSet (its owner reference removed) and a new
    Deployment adopts it; ``--cascade=foreground`` deletes dependents first; a namespace goes
    through ``Terminating`` while a finalizer holds its content, refuses new content, and goes
    with everything once the finalizer is removed; ``default`` may not be deleted."""
    kube.apply(nodes("node-a"))
    kube.apply(deployment(replicas=2))
    rs = kube.json("get", "replicasets")["items"][0]["metadata"]["name"]
    kube("delete", "deployment", "web", "--cascade=orphan")
    orphan = kube.json("get", "replicaset", rs)
    assert "ownerReferences" not in orphan["metadata"]
    assert len(kube.json("get", "pods")["items"]) == 2
    kube.apply(deployment(replicas=2))
    adopted = kube.json("get", "replicaset", rs)
    assert adopted["metadata"]["ownerReferences"][0]["name"] == "web"
    assert len(kube.json("get", "replicasets")["items"]) == 1
    kube("delete", "deployment", "web", "--cascade=foreground", "--timeout=20s")
    assert (
        kube.json("get", "replicasets")["items"] == [] and kube.json("get", "pods")["items"] == []
    )

    kube.apply(
        """
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: held, namespace: team, finalizers: [example.com/hold]}
data: {a: "1"}
"""
    )
    kube.apply(deployment(replicas=1).replace("name: web}", "name: web, namespace: team}"))
    assert (
        kube.json("get", "serviceaccount", "default", "-n", "team")["metadata"]["name"] == "default"
    )
    kube("delete", "namespace", "team", "--wait=false")
    ns = kube.json("get", "namespace", "team")
    assert ns["status"]["phase"] == "Terminating"
    reasons = {c["type"] for c in ns["status"]["conditions"]}
    assert "NamespaceContentRemaining" in reasons
    assert kube.json("get", "deployments", "-n", "team")["items"] == []
    (kube.tmp / "late.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: team}\n"
    )
    refused = kube.run("create", "-f", str(kube.tmp / "late.yaml"), check=False)
    assert "because it is being terminated" in refused.stderr
    kube(
        "patch",
        "configmap",
        "held",
        "-n",
        "team",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    gone = kube.run("get", "namespace", "team", check=False)
    assert 'namespaces "team" not found' in gone.stderr
    kept = kube.run("delete", "namespace", "default", check=False)
    assert kept.returncode != 0 and "this namespace may not be deleted" in kept.stderr


def test_services_get_cluster_ips(kube: Kube) -> None:
    """ClusterIPs come from the service CIDR (10.96.0.0/12; 10.96.0.1 is ``kubernetes``),
    a requested one must be free and in range (422), a headless Service gets none, a
    NodePort one gets a port in 30000-32767, and the IP is kept across updates."""
    kube.apply(
        """
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: edge}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}
"""
    )
    services = {s["metadata"]["name"]: s["spec"] for s in kube.json("get", "services")["items"]}
    assert services["kubernetes"]["clusterIP"] == "10.96.0.1"
    assert (
        services["web"]["clusterIP"].startswith("10.96.")
        and services["web"]["clusterIP"] != "10.96.0.1"
    )
    assert services["web"]["ports"][0] == {"port": 80, "targetPort": 8080, "protocol": "TCP"}
    assert services["db"]["clusterIP"] == "None"
    assert 30000 <= services["edge"]["ports"][0]["nodePort"] <= 32767
    taken = services["web"]["clusterIP"]
    (kube.tmp / "clash.yaml").write_text(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: clash}}\n"
        f"spec: {{clusterIP: {taken}, ports: [{{port: 80}}]}}\n"
    )
    refused = kube.run("create", "-f", str(kube.tmp / "clash.yaml"), check=False)
    assert "provided IP is already allocated" in refused.stderr
    kube("label", "service", "web", "tier=front")
    assert kube.json("get", "service", "web")["spec"]["clusterIP"] == taken


def test_events_describe_and_events_api(kube: Kube) -> None:
    """The scheduler records ``Scheduled`` and ``FailedScheduling`` (kube-scheduler's
    message) and ``Preempted``; the ReplicaSet controller ``SuccessfulCreate``; ``kubectl
    describe pod`` shows them, and the events.k8s.io/v1 API serves the same events."""
    kube.apply(nodes("node-a", cpu="1"))
    kube.apply(
        """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: v1
kind: Pod
metadata: {name: low}
spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 800m}}}]}
"""
    )
    described = kube("describe", "pod", "low")
    assert "Successfully assigned default/low to node-a" in described
    kube.apply(
        """
apiVersion: v1
kind: Pod
metadata: {name: big}
spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: "2"}}}]}
"""
    )
    failed = kube("describe", "pod", "big")
    assert "FailedScheduling" in failed and "0/1 nodes are available: 1 Insufficient cpu." in failed
    kube.apply(
        """
apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: high
  containers: [{name: c, image: busybox, resources: {requests: {cpu: 500m}}}]
"""
    )
    events = kube.json("get", "events")["items"]
    preempted = [e for e in events if e["reason"] == "Preempted"]
    assert preempted and preempted[0]["involvedObject"]["name"] == "low"
    assert preempted[0]["message"].endswith(" on node node-a")
    kube.apply(deployment(replicas=1, image="busybox").replace("cpu: 100m", "cpu: 10m"))
    assert any(e["reason"] == "SuccessfulCreate" for e in kube.json("get", "events")["items"])
    v1 = kube.json("get", "events.v1.events.k8s.io")["items"]
    scheduled = [e for e in v1 if e["reason"] == "Scheduled"]
    assert scheduled and scheduled[0]["regarding"]["kind"] == "Pod"
    assert scheduled[0]["reportingController"] == "default-scheduler" and scheduled[0]["note"]


def test_controller_failure_is_an_event_not_the_requests_error(kube: Kube) -> None:
    """A ReplicaSet whose pods the API refuses (an unknown PriorityClass) is created all the
    same; its controller records ``FailedCreate`` as a Warning event, as upstream does."""
    kube.apply(nodes("node-a"))
    out = kube.apply(
        """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: broken}
spec:
  replicas: 1
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      priorityClassName: missing
      containers: [{name: c, image: busybox}]
"""
    )
    assert "replicaset.apps/broken created" in out
    warnings = [e for e in kube.json("get", "events")["items"] if e["reason"] == "FailedCreate"]
    assert warnings and warnings[0]["type"] == "Warning"
    assert "no PriorityClass with name missing was found" in warnings[0]["message"]
