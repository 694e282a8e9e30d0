"""/schema serves its viewer from the app itself: the page names no other origin, its assets
come from the pinned package, and its Content-Security-Policy allows nothing from elsewhere."""
from __future__ import annotations

import re
from importlib.metadata import version
from importlib.resources import files


async def test_the_page_references_no_other_origin(client):
    page = await client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?:https?:)?//", page.text), page.text  # not even a protocol-relative URL
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references and all(ref.startswith("/schema/") for ref in references)
    assert "<script>" not in page.text  # no inline script: the CSP allows files from 'self' only
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "http" not in policy and "*" not in policy and "unsafe" not in policy


async def test_its_assets_are_the_pinned_package_files_served_here(client):
    page = await client.get("/schema")
    pinned = version("swagger-ui-py")
    assert pinned == "25.7.1"
    bundled = files("swagger_ui").joinpath("static/swagger-ui-bundle.js").read_bytes()
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert f"/assets/{pinned}/" in ref
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        assert "immutable" in asset.headers["cache-control"]
        if ref.endswith("swagger-ui-bundle.js"):
            assert asset.content == bundled
    for other in ("swagger-initializer.js", "swagger-editor-bundle.js", "..%2F__init__.py"):
        assert (await client.get(f"/schema/assets/{pinned}/{other}")).status_code == 404
    assert (await client.get("/schema/assets/0.0.1/swagger-ui-bundle.js")).status_code == 404


async def test_the_json_schema_is_still_served(client):
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Alvéole"
