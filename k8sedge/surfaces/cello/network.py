"""What a blockchain network of the pool is made of, and the values Cello accepts.

Network types, their consensus plugins and modes and their sizes are Cello's
(``src/common/utils.py``, v0.6 to v0.9). A network is a set of *components*, each one pod:
``fabric-0.6`` has ``size`` validating peers (``vp0`` …) and a membership service
(``membersrvc``, its CA); ``fabric-1.x`` has ``size`` peers in two organisations
(``peer0-org1`` …), an ``orderer``, a CA per organisation, and for ``kafka`` consensus a
``kafka`` broker and its ``zookeeper``. Every cluster of a host takes one *slot*: its ten
mapped ports start at ``7050 + 100 * slot``, as the real server allocates them.
"""

from __future__ import annotations

import functools

from attrs import field, frozen

from ...errors import BadRequestError

__all__ = [
    "APPLY_MODES",
    "APPLY_PLUGINS",
    "APPLY_SIZES",
    "FILLUP_TYPES",
    "HOST_TYPES",
    "LOG_LEVELS",
    "LOG_TYPES",
    "NETWORK_TYPES",
    "PORT_KEYS",
    "Component",
    "check_apply",
    "check_config",
    "components",
    "mapped_ports",
]

NETWORK_TYPES = ("fabric-0.6", "fabric-1.0", "fabric-1.1", "fabric-1.2")
# (plugin, mode) pairs of each network type; a plugin without a mode takes ""
_CONSENSUS_PRE_V1: dict[str, tuple[str, ...]] = {"noops": ("",), "pbft": ("batch",)}
_CONSENSUS_V1: dict[str, tuple[str, ...]] = {"solo": ("",), "kafka": ("",)}
_SIZES_PRE_V1 = (4, 6)
_SIZES_V1 = (4,)
# what ``apply`` accepts as a filter: every plugin, the pbft mode, every size
APPLY_PLUGINS = ("noops", "pbft", "solo", "kafka")
APPLY_MODES = ("batch",)
APPLY_SIZES = (4, 6)
# what ``fillup`` picks from, as the v0.6 dashboard did (at random; seeded here)
FILLUP_TYPES = (("pbft", "batch"), ("noops", ""))
HOST_TYPES = ("docker", "swarm", "kubernetes", "vsphere")
LOG_TYPES = ("local", "syslog")
LOG_LEVELS = ("DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL")

PORT_START, PORT_STEP = 7050, 100
PORT_KEYS = ("rest", "grpc", "cli", "event", "ecap", "ecaa", "tcap", "tcaa", "tlscap", "tlscaa")
_PEER_PORTS = PORT_KEYS[:4]
_CA_PORTS = PORT_KEYS[4:]


@frozen
class Component:
    """One pod of a network: its name, role, image, the mapped ports it serves, its requests."""

    name: str
    role: str  # peer | ca | orderer | kafka | zookeeper
    image: str
    ports: tuple[str, ...] = ()
    cpu: str = "100m"
    memory: str = "128Mi"
    env: dict[str, str] = field(factory=dict)


def consensus_of(network_type: str) -> dict[str, tuple[str, ...]]:
    return _CONSENSUS_PRE_V1 if network_type == "fabric-0.6" else _CONSENSUS_V1


def sizes_of(network_type: str) -> tuple[int, ...]:
    return _SIZES_PRE_V1 if network_type == "fabric-0.6" else _SIZES_V1


def check_config(network_type: str, plugin: str, mode: str, size: int) -> str:
    """Check a network's configuration; returns its consensus mode as stored (``""`` for
    plugins without one). Anything else is ``BadRequestError("config not validated")``."""
    details: dict[str, str] = {}
    if network_type not in NETWORK_TYPES:
        details["network_type"] = f"must be one of {', '.join(NETWORK_TYPES)}"
    else:
        modes = consensus_of(network_type).get(plugin)
        if modes is None:
            allowed = ", ".join(consensus_of(network_type))
            details["consensus_plugin"] = f"must be one of {allowed} for {network_type}"
        elif modes != ("",) and mode not in modes:
            details["consensus_mode"] = f"must be one of {', '.join(modes)} for {plugin}"
        if size not in sizes_of(network_type):
            allowed = ", ".join(map(str, sizes_of(network_type)))
            details["size"] = f"must be one of {allowed} for {network_type}"
    if details:
        raise BadRequestError("config not validated", details)
    return "" if consensus_of(network_type)[plugin] == ("",) else mode


def check_apply(user_id: str, plugin: str, mode: str, size: int | None) -> None:
    """The real server's checks of an ``apply``, with its messages."""
    if not user_id:
        raise BadRequestError("cluster_apply without user_id", {"user_id": "required"})
    if plugin and plugin not in APPLY_PLUGINS:
        raise BadRequestError(
            "Invalid consensus_plugin", {"consensus_plugin": f"one of {', '.join(APPLY_PLUGINS)}"}
        )
    if mode and mode not in APPLY_MODES:
        raise BadRequestError(
            "Invalid consensus_mode", {"consensus_mode": f"one of {', '.join(APPLY_MODES)}"}
        )
    if size is not None and size not in APPLY_SIZES:
        raise BadRequestError(
            "Invalid cluster_size", {"size": f"one of {', '.join(map(str, APPLY_SIZES))}"}
        )


def mapped_ports(slot: int) -> dict[str, int]:
    """The ten ports of the cluster in ``slot`` of its host."""
    base = PORT_START + PORT_STEP * slot
    return {key: base + offset for offset, key in enumerate(PORT_KEYS)}


def _tag(network_type: str) -> str:
    return {
        "fabric-0.6": "x86_64-0.6.1-preview",
        "fabric-1.0": "x86_64-1.0.0",
        "fabric-1.1": "x86_64-1.1.0",
        "fabric-1.2": "x86_64-1.2.0",
    }[network_type]


@functools.cache
def components(network_type: str, plugin: str, mode: str, size: int) -> tuple[Component, ...]:
    """The pods of a network, in a stable order (peers first)."""
    tag = _tag(network_type)
    if network_type == "fabric-0.6":
        peers = [
            Component(
                f"vp{i}",
                "peer",
                f"hyperledger/fabric-peer:{tag}",
                _PEER_PORTS if i == 0 else (),
                cpu="200m",
                memory="256Mi",
                env={
                    "CORE_PEER_ID": f"vp{i}",
                    "CORE_PEER_VALIDATOR_CONSENSUS_PLUGIN": plugin,
                    **(
                        {"CORE_PBFT_GENERAL_MODE": mode, "CORE_PBFT_GENERAL_N": str(size)}
                        if plugin == "pbft"
                        else {}
                    ),
                    **({"CORE_PEER_DISCOVERY_ROOTNODE": "vp0:7051"} if i else {}),
                },
            )
            for i in range(size)
        ]
        ca = Component("membersrvc", "ca", f"hyperledger/fabric-membersrvc:{tag}", _CA_PORTS)
        return (*peers, ca)
    per_org = max(1, size // 2)
    peers = [
        Component(
            f"peer{i}-org{org}",
            "peer",
            f"hyperledger/fabric-peer:{tag}",
            _PEER_PORTS if (i, org) == (0, 1) else (),
            cpu="200m",
            memory="256Mi",
            env={
                "CORE_PEER_ID": f"peer{i}.org{org}.example.com",
                "CORE_PEER_LOCALMSPID": f"Org{org}MSP",
            },
        )
        for org in (1, 2)
        for i in range(per_org)
    ]
    out = [
        *peers,
        Component(
            "orderer",
            "orderer",
            f"hyperledger/fabric-orderer:{tag}",
            env={"ORDERER_GENERAL_ORDERERTYPE": plugin},
        ),
        Component("ca-org1", "ca", f"hyperledger/fabric-ca:{tag}", _CA_PORTS),
        Component("ca-org2", "ca", f"hyperledger/fabric-ca:{tag}"),
    ]
    if plugin == "kafka":
        out += [
            Component(
                "kafka", "kafka", f"hyperledger/fabric-kafka:{tag}", memory="512Mi", cpu="200m"
            ),
            Component(
                "zookeeper", "zookeeper", f"hyperledger/fabric-zookeeper:{tag}", memory="256Mi"
            ),
        ]
    return tuple(out)
