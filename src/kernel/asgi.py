"""ASGI-level helpers shared by the middlewares: the one Cookie header parser (used by
authentication and CSRF alike), a problem-details answer sent without the framework, and the
guard that JSON endpoints receive JSON."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl
from collections.abc import Awaitable, Callable
from typing import Any

from kernel.caching import changes
from kernel.errors import problem_body

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Cookies:
    """The cookies of one request, every value kept: a name sent twice (a cookie planted for a
    parent domain beside ours) makes `get` answer None rather than pick one."""

    __slots__ = ("_values",)

    def __init__(self, header: str) -> None:
        self._values: dict[str, list[str]] = {}
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name:
                self._values.setdefault(name, []).append(value.strip().strip('"'))

    @classmethod
    def of_headers(cls, headers: Any) -> Cookies:
        """From ASGI headers (a list of byte pairs) or a mapping with a `cookie` entry; several
        Cookie headers count as one list."""
        if isinstance(headers, list):
            parts = [v.decode("latin-1") for k, v in headers if k.lower() == b"cookie"]
        else:
            parts = headers.getall("cookie", []) if hasattr(headers, "getall") else [headers.get("cookie", "")]
        return cls("; ".join(p for p in parts if p))

    def present(self, name: str) -> bool:
        return name in self._values

    def get(self, name: str) -> str | None:
        values = self._values.get(name)
        return values[0] if values and len(values) == 1 else None


async def send_problem(send: Send, status: int, slug: str, title: str, detail: str,
                       instance: str, **extra: Any) -> None:
    body = json.dumps(problem_body(status, slug, title, detail, instance=instance, **extra)).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json_media_type(content_type: bytes | None) -> bool:
    media = (content_type or b"").split(b";")[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


# API endpoints a provider calls with its own form-encoded body (signed: no browser can forge it)
FORM_ENDPOINTS = frozenset({"/api/v1/sms/twilio/webhook"})


class RequestGuardsMiddleware:
    """What every request passes first, in one look at its headers:
    - a NUL in the path, the query or a header is refused before anything reads it (a path
      holding one names nothing: 404; a query parameter or header is a 400 naming it);
    - a request with a body to a JSON endpoint (a path under `prefix`) must say it is JSON,
      otherwise 415 `unsupported-media-type`: browsers send cross-site forms as text/plain,
      urlencoded or multipart without a preflight, so this also stops login CSRF;
    - `OPTIONS` answers `Allow` with every method of the path: Litestar computes the header from
      the handlers known when the path's first handler was registered, so a path served by
      several controllers (GET in one package, PATCH in another) listed only some."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = length = None
        chunked = nul = False
        for name, value in scope["headers"]:  # ASGI header names are lower-case
            if b"\x00" in value:
                nul = True
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if (nul or b"%00" in scope.get("query_string", b"") or b"%00" in (scope.get("raw_path") or b"")
                or "\x00" in scope["path"]) and (refusal := _nul_refusal(scope)) is not None:
            await send_problem(send, *refusal[:4], scope["path"], **refusal[4])
            return
        if scope.get("path_params") and not _canonical_int_segments(scope):
            await send_problem(send, 404, "not-found", "Not found", "No such resource.", scope["path"])
            return
        method = scope["method"]
        if (method in _BODY_METHODS and (chunked or (length is not None and length.strip() not in (b"", b"0")))
                and scope["path"].startswith(self.prefix) and not is_json_media_type(content_type)
                and scope["path"] not in FORM_ENDPOINTS):
            await send_problem(send, 415, "unsupported-media-type", "Unsupported media type",
                               "This endpoint takes a JSON body: send Content-Type: application/json.",
                               scope["path"])
            return
        if method == "OPTIONS":
            send = _with_complete_allow(scope, send)
        elif method in _BODY_METHODS:
            send = _counting_writes(send)
        await self.app(scope, receive, send)


def _counting_writes(send: Send) -> Send:
    """`send`, bumping `kernel.caching.changes` as the answer starts (after the handler's commit):
    the short-lived answers this process keeps are not served again after a write it answered."""
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            changes.bump()
        await send(message)
    return sending


def _canonical_int_segments(scope: Scope) -> bool:
    """Whether every integer path parameter was sent as its plain digits: Litestar parses them
    with `int()`, which also takes `1 `, `+1`, `1_0`, `01` and other scripts' digits, so
    `/workshops/1%20` would name workshop 1."""
    params = scope.get("path_params") or {}
    template = scope.get("path_template", "").strip("/").split("/")
    sent = scope["path"].strip("/").split("/")
    if len(template) != len(sent):
        return True  # a path parameter spanning segments: nothing to compare
    for pattern, value in zip(template, sent):
        if pattern.startswith("{") and pattern.endswith("}"):
            parsed = params.get(pattern[1:-1].split(":")[0])
            if isinstance(parsed, int) and not isinstance(parsed, bool) and value != str(parsed):
                return False
    return True


def _with_complete_allow(scope: Scope, send: Send) -> Send:
    async def send_with_allow(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and "route_handler" in scope:
            method_map = scope["app"].route_handler_method_map
            methods = sorted({m for path in scope["route_handler"].paths for m in method_map.get(path, {})})
            if methods:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", ", ".join(methods).encode())]}
        await send(message)

    return send_with_allow


def _nul_refusal(scope: Scope) -> tuple[Any, ...] | None:
    """What to answer a request with a NUL: a path naming nothing is 404; a query parameter or
    a header holding one is a 400 naming it."""
    raw_path = scope.get("raw_path") or b""
    if "\x00" in scope["path"] or b"%00" in raw_path:
        return 404, "not-found", "Not found", "No such resource.", {}
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        names = [name for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                 if "\x00" in value or "\x00" in name]
        errors = [{"field": name.replace("\x00", ""), "message": "a NUL character is not allowed",
                   "source": "query"} for name in dict.fromkeys(names)]
        return (400, "validation-error", "Invalid request",
                "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "NUL in the query",
                {"errors": errors})
    for name, value in scope["headers"]:
        if b"\x00" in value:
            field = name.decode("latin-1")
            return (400, "validation-error", "Invalid request", f"{field}: a NUL character is not allowed",
                    {"errors": [{"field": field, "message": "a NUL character is not allowed", "source": "header"}]})
    return None


STRICT_TRANSPORT = (b"strict-transport-security", b"max-age=31536000")


def strict_transport(settings: Any) -> bool:
    """HSTS on every response in production when the site is served over https."""
    return settings.is_prod and settings.base_url.lower().startswith("https://")


async def add_strict_transport_security(message: dict[str, Any], scope: Scope) -> None:
    """Litestar `before_send` hook: every response (pages, API, errors, refusals by the
    middlewares, 404s of unknown paths) gets `Strict-Transport-Security: max-age=31536000`
    when `strict_transport` holds for the serving runtime's settings."""
    if message["type"] != "http.response.start":
        return
    runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
    if runtime is None or not strict_transport(runtime.settings):
        return
    headers = list(message.get("headers") or [])
    if not any(name.lower() == STRICT_TRANSPORT[0] for name, _ in headers):
        headers.append(STRICT_TRANSPORT)
    message["headers"] = headers
