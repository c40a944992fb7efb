"""``/docs``: Swagger UI for the generated OpenAPI document, served from the package."""

from __future__ import annotations

import re

import httpx

from k8sedge.server import create_app
from k8sedge.server.threaded import serve_in_thread


def test_the_docs_page_and_its_assets_are_served_without_a_cdn() -> None:
    with serve_in_thread(create_app(rate_limit="off")) as url, httpx.Client(base_url=url) as http:
        page = http.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'url: "/openapi.json"' in page.text
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/docs/static/") for s in sources)  # no CDN
        for source in sources:
            asset = http.get(source)
            assert asset.status_code == 200 and len(asset.content) > 100, source
        assert http.get("/openapi.json").json()["paths"]
