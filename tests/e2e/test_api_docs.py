"""`/api/docs` works under the strict CSP: Swagger UI is served from the swagger-ui-bundle
package and started by a script of our own, never from a CDN or an inline script."""

from __future__ import annotations

import re

from tests.e2e.conftest import TestClient


def test_the_api_docs_load_only_local_scripts_and_styles(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources)
    assert not re.search(r"<script>(?!</script>)", page.text)  # no inline script
    for path in sources:
        assert client.get(path).status_code == 200, path
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text[:200_000]
