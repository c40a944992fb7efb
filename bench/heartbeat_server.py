"""The baseline for bench_heartbeat.py: a bare Starlette endpoint that parses the JSON body
and answers JSON, nothing else — on the same uvicorn settings as ``k8sedge serve`` (uvloop,
httptools, no access log, one worker).
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bare"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        bare_app(),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
