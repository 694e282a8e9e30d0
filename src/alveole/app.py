"""The Litestar application: routes of every package, dependencies, error handling, lifecycle."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import traceback
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException, MethodNotAllowedException, NotFoundException, ValidationException,
)
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.params import ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from alveole import db as dbmod
from alveole import worker
from alveole.accounts.auth import admin_user, optional_user, required_user
from alveole.clock import Clock, SystemClock
from alveole.csrf import CSRFMiddleware
from alveole.errors import DomainError, problem_body
from alveole.events import Notifier
from alveole.runtime import Runtime
from alveole.settings import Settings

log = logging.getLogger("alveole")
PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1_000_000

_HTTP_SLUGS = {
    400: ("validation-error", "Invalid request"),
    401: ("not-authenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("invalid-state", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def _problem(request: Request, status: int, slug: str, title: str, detail: str | None = None,
             headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return Response(
        content=problem_body(status, slug, title, detail, instance=request.url.path, **extra),
        status_code=status, media_type=PROBLEM_JSON, headers=headers or {},
    )


_AT_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")


def _field_of(message: str, key: str | None) -> str:
    """Name the offending field: msgspec says "… - at `$.venue.lat`" or "missing required field `x`"."""
    path = _AT_PATH.search(message)
    missing = _MISSING.search(message)
    # Litestar strips the " - at `$.x`" suffix and puts the path in `key` ("data" = the body)
    prefix = path.group(1) if path else (key if key and key != "data" else "")
    if missing:
        return f"{prefix}.{missing.group(1)}" if prefix else missing.group(1)
    return prefix or "body"


def _parameter(request: Request, name: str) -> Any:
    """The handler's parameter `name` (a FieldDefinition), if the request reached a handler."""
    try:
        return request.route_handler.parsed_fn_signature.parameters.get(name)
    except Exception:  # noqa: BLE001 - no handler (404/405) or no signature: nothing to look up
        return None


def _validation_errors(request: Request, exc: ValidationException) -> list[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            key = item.get("key")
            parameter = _parameter(request, key) if isinstance(key, str) else None
            if key == "data" and message == "'data'":
                # Litestar's error pass reports an absent body as KeyError('data'), even when
                # the body is optional and another parameter is what failed.
                if parameter is not None and parameter.has_default:
                    continue
                message = "a JSON body is required"
            kwarg = getattr(parameter, "kwarg_definition", None)
            if isinstance(kwarg, ParameterKwarg):  # name headers and aliased queries as sent
                key = kwarg.header or kwarg.query or kwarg.cookie or getattr(kwarg, "name", None) or key
            errors.append({"field": _field_of(message, key), "message": message,
                           "source": item.get("source", "body")})
    return errors


def on_domain_error(request: Request, exc: DomainError) -> Response:
    return _problem(request, exc.status, exc.slug, exc.title, exc.detail, exc.headers, **exc.extra)


def on_validation_error(request: Request, exc: ValidationException) -> Response:
    errors = _validation_errors(request, exc)
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    else:
        detail = exc.detail if exc.detail and exc.detail != "Bad Request" else "Malformed request"
    return _problem(request, 400, "validation-error", "Invalid request", detail, errors=errors)


def on_http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    slug, title = _HTTP_SLUGS.get(status, ("error", "Error"))
    if status == 400:
        return on_validation_error(request, ValidationException(detail=exc.detail, extra=exc.extra))
    detail = exc.detail if exc.detail and exc.detail != title else None
    return _problem(request, status, slug, title, detail, dict(exc.headers or {}))


_BODY_DECODING = {
    UnicodeDecodeError: "the body is not UTF-8 text",
    RecursionError: "the JSON body is nested too deeply",
}


def _body_decoding_error(exc: Exception) -> str | None:
    """What is wrong with a request body that Litestar's JSON decoder let escape as a plain
    exception (msgspec raises these instead of its DecodeError), or None for anything else."""
    reason = next((text for kind, text in _BODY_DECODING.items() if isinstance(exc, kind)), None)
    if reason is None:
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    if any(f.name in ("decode_json", "decode_msgpack") and "/litestar/" in f.filename for f in frames):
        return reason
    return None


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    reason = _body_decoding_error(exc)
    if reason is not None:
        return _problem(request, 400, "validation-error", "Invalid request", f"JSON is malformed: {reason}",
                        errors=[{"field": "body", "message": reason, "source": "body"}])
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                    "Something went wrong on our side; it has been logged.")


@get("/health", summary="Liveness", tags=["health"], sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Readiness: the database answers", tags=["health"])
async def ready(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.db.engine.run_ddl("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return _problem(request, 503, "not-ready", "Database unavailable", str(exc)[:200])
    return Response({"status": "ready"}, media_type=MediaType.JSON)


def _route_handlers() -> list[Any]:
    from alveole.accounts.controllers import ROUTES as accounts_routes
    from booking.controllers import ROUTES as booking_routes
    from notify.controllers import ROUTES as notify_routes
    from workshops.controllers import ROUTES as workshops_routes

    return [health, ready, *accounts_routes, *workshops_routes, *booking_routes, *notify_routes]


def _default_notifier() -> Notifier:
    from notify.notifier import OutboxNotifier

    return OutboxNotifier()


def create_app(
    settings: Settings | None = None,
    *,
    mailer: Any = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    start_worker: bool = False,
) -> Litestar:
    """Build the app. The database is connected (and bound) on start-up; `alveole serve`
    migrates before calling this and passes `start_worker=True`."""
    settings = settings or Settings.from_env()
    runtime = Runtime(settings=settings, clock=clock or SystemClock(),
                      notifier=notifier or _default_notifier(), mailer=mailer)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime.database = await dbmod.connect(settings.database_url)
        await _start_parts(runtime)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(runtime, stop)) if start_worker else None
        try:
            yield
        finally:
            stop.set()
            if task:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=10)
            await _stop_parts(runtime)
            await dbmod.disconnect(runtime.database)

    app = Litestar(
        route_handlers=_route_handlers(),
        dependencies={
            "runtime": Provide(lambda: runtime, use_cache=True, sync_to_thread=False),
            "user": Provide(required_user),
            "maybe_user": Provide(optional_user),
            "admin": Provide(admin_user),
        },
        exception_handlers={
            DomainError: on_domain_error,
            ValidationException: on_validation_error,
            NotFoundException: on_http_error,
            MethodNotAllowedException: on_http_error,
            HTTPException: on_http_error,
            Exception: on_unexpected_error,
        },
        lifespan=[lifespan],
        middleware=[DefineMiddleware(CSRFMiddleware, secret_key=settings.secret_key)],
        openapi_config=OpenAPIConfig(
            title="Alvéole", version="0.1.0",
            description="Skill-sharing workshops for a neighbourhood. Errors are RFC 9457 "
                        "problem details whose `type` ends in a stable slug.",
            path="/schema",
        ),
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.clock = runtime.clock
    return app


async def _start_parts(runtime: Runtime) -> None:
    from booking.stats import BookingStatsFromDatabase
    from booking.store import start_store

    runtime.parts["booking_stats"] = BookingStatsFromDatabase()
    await start_store(runtime)
    _tune_gc_once()


_gc_tuned = False


def _tune_gc_once() -> None:
    """Start-up is over: move what exists now out of the collector's sight and collect less
    often, so a busy server's collections stay cheap (measured: ~10% less CPU per booking,
    lower p99). Once per process: later starts (tests build an app per test) must not freeze
    what may become garbage."""
    global _gc_tuned
    if not _gc_tuned:
        _gc_tuned = True
        gc.freeze()
        gc.set_threshold(20_000, 50, 100)


async def _stop_parts(runtime: Runtime) -> None:
    from booking.store import stop_store

    await stop_store(runtime)
