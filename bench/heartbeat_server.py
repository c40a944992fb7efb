"""One server process for bench_heartbeat.py: ``bare`` or ``edge``, on one uvicorn worker.

bare: a Starlette endpoint that parses the JSON body and answers JSON, nothing else.
edge: the k8sedge server (memory backend), with one registered node and its token, and
      25 more nodes for the list benchmark; credentials go to the file given with --out.
"""

from __future__ import annotations

import argparse
import json
import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def bare_app() -> Starlette:
    async def status(request: Request) -> Response:
        # the same JSON library as the k8sedge server
        body = orjson.loads(await request.body())
        answer = {
            "id": request.path_params["node_id"],
            "name": "edge-node-1",
            "status": body.get("status", "active"),
            "last_heartbeat": "2026-01-01T00:00:00Z",
        }
        return Response(orjson.dumps(answer), media_type="application/json")

    return Starlette(routes=[Route("/api/v1/nodes/{node_id}/status", status, methods=["PUT"])])


def edge_app(out: str, rate_limit: str) -> Starlette:
    import k8sedge
    from k8sedge.server import create_app

    backend = k8sedge.MemoryBackend()
    app = create_app(backend, rate_limit=rate_limit)
    client = k8sedge.Client(backend)
    node = client.edge.nodes.register(
        name="edge-node-1", address="10.0.0.1", resources={"cpu": "4", "memory": "8Gi"}
    )
    for i in range(25):
        client.edge.nodes.register(
            name=f"edge-node-x{i}",
            address="10.0.0.2",
            resources={"cpu": "4", "memory": "8Gi"},
            labels={"location": "site-1"},
        )
    token = client.edge.tokens.generate(node.id, expiration="24h").token
    with open(out, "w") as f:
        json.dump(
            {"node_id": node.id, "node_token": token, "admin_token": app.state.admin_token}, f
        )
    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bare", "edge"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", default="/tmp/k8sedge-bench.json")
    parser.add_argument("--rate-limit", default="1000000/second")
    args = parser.parse_args()
    app = bare_app() if args.kind == "bare" else edge_app(args.out, args.rate_limit)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        workers=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
