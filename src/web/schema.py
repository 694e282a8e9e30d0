"""`/schema`: the browsable OpenAPI document, served entirely by the app — Swagger UI's files
come from the pinned `swagger-ui-py` package (its `static/`), the page starts it with a
script file of ours, and its Content-Security-Policy allows nothing from another origin (no
CDN, no inline script): it works offline and runs no third-party code from elsewhere.
`/schema/openapi.json` stays Litestar's."""
from __future__ import annotations

import functools
from html import escape
from importlib.metadata import version
from importlib.resources import files
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath

# the viewer's assets: name in the URL → (package, file inside it, media type)
ASSETS = {
    "swagger-ui-bundle.js": ("swagger_ui", "static/swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": ("swagger_ui", "static/swagger-ui.css", "text/css"),
    "schema-viewer.js": ("web", "static/schema-viewer.js", "text/javascript"),
}
# the pinned package's version is in the assets' URLs: a new version is a new URL, so a year's
# caching never serves stale files
ASSETS_VERSION = version("swagger-ui-py")
VIEWER_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
              "frame-ancestors 'none'")
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=VIEWER_CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    package, path, media_type = ASSETS[name]
    return files(package).joinpath(path).read_bytes(), media_type


def asset_path(schema_path: str, name: str) -> str:
    return f"{schema_path}/assets/{ASSETS_VERSION}/{name}"


class SelfHostedSwaggerUI(OpenAPIRenderPlugin):
    """Litestar's render plugin for `/schema`: the page, and (through `receive_router`) its
    assets under `/schema/assets/{version}/…`."""

    def __init__(self) -> None:
        super().__init__(path="/")
        self.schema_path = "/schema"

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        base = self.schema_path
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title} – API</title>\n"
            f"<link rel=\"stylesheet\" href=\"{asset_path(base, 'swagger-ui.css')}\">\n"
            "</head>\n"
            f"<body data-openapi=\"{base}/openapi.json\">\n<div id=\"swagger-ui\"></div>\n"
            f"<script src=\"{asset_path(base, 'swagger-ui-bundle.js')}\"></script>\n"
            f"<script src=\"{asset_path(base, 'schema-viewer.js')}\"></script>\n"
            "</body>\n</html>\n"
        ).encode()

    def receive_router(self, router: Router) -> None:
        self.schema_path = router.path.rstrip("/") or "/schema"

        @get("/assets/{release:str}/{name:str}", sync_to_thread=False, include_in_schema=False)
        def schema_asset(release: FromPath[str], name: FromPath[str]) -> Response:
            if release != ASSETS_VERSION or name not in ASSETS:
                raise NotFoundException("No such file.")
            body, media_type = _asset(name)
            return Response(body, media_type=media_type,
                            headers={"Cache-Control": "public, max-age=31536000, immutable"})

        router.register(schema_asset)


def openapi_router() -> Router:
    """The router Litestar serves `/schema` on: the viewer's headers on all of it."""
    return Router("/schema", route_handlers=[], include_in_schema=False, response_headers=SECURITY_HEADERS)
