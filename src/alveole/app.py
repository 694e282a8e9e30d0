"""The Litestar application: routes of every package, dependencies, error handling, lifecycle."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import typing
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import msgspec.inspect

from litestar import Litestar, MediaType, Request, Response, get
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference, Schema, SecurityScheme

from kernel.cookies import cookie_name
from accounts.auth import SESSION_COOKIE, admin_user, optional_user, required_user
from accounts.controllers import ROUTES as accounts_routes
from accounts.csrf import CSRFMiddleware
from booking.controllers import ROUTES as booking_routes
from booking.report_controllers import ROUTES as report_routes
from booking.store import ping
from notify.controllers import ROUTES as notify_routes
from notify.outbox import SEND_TIMEOUT
from workshops.controllers import ROUTES as workshops_routes
from workshops.recipe_controllers import ROUTES as recipe_routes
from alveole import bootstrap, worker
from kernel.asgi import RequestGuardsMiddleware, add_strict_transport_security
from kernel.clock import Clock
from kernel.events import Notifier
from kernel.http import PROBLEM_JSON, ProblemResponses
from kernel.ports import Mailer
from kernel.problems import EXCEPTION_HANDLERS, JsonRequest, problem_response
from kernel.runtime import Runtime
from kernel.settings import Settings
from web import EXCEPTION_HANDLERS as page_exception_handlers, ROUTES as web_routes
from web.kit import error_page_asgi, html_error_handlers
from web.schema import SelfHostedSwaggerUI, openapi_router as schema_router

MAX_BODY_BYTES = 1_000_000


@get("/health", summary="Liveness", tags=["health"], sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Readiness: the database answers and a booking could be taken now",
     tags=["health"], responses=ProblemResponses({503: "not-ready: the database does not answer, or the "
                                                         "booking path cannot take a write now"})(503))
async def ready(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    wait = runtime.settings.db_wait_seconds
    try:
        # a read through the shared pool, then the booking path itself (its own connections on
        # PostgreSQL, the write lock on SQLite): both must answer within the bounded wait
        await asyncio.wait_for(runtime.db.engine.run_ddl("SELECT 1"), timeout=wait)
        if runtime.booking_store is not None:
            await asyncio.wait_for(runtime.booking_store.run(ping), timeout=wait)
    except Exception as exc:  # noqa: BLE001 - whatever it is, this process cannot serve now
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return problem_response(request, 503, "not-ready", "Database unavailable", reason[:200],
                                {"Retry-After": "2"})
    return Response({"status": "ready"}, media_type=MediaType.JSON)


def _route_handlers() -> list[Any]:
    """Every route, in one place: each package's API, then every page (`web.ROUTES`)."""
    return [health, ready, *accounts_routes, *workshops_routes, *recipe_routes, *booking_routes, *report_routes,
            *notify_routes, *web_routes]


def create_app(
    settings: Settings | None = None,
    *,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    start_worker: bool = False,
) -> Litestar:
    """Build the app. The database is connected (and bound) on start-up; `alveole serve`
    migrates before calling this and passes `start_worker=True`."""
    runtime = bootstrap.build_runtime(settings, clock=clock, notifier=notifier, mailer=mailer)
    settings = runtime.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap.started(runtime):
            _tune_gc_once()
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run_forever(runtime, stop)) if start_worker else None
            try:
                yield
            finally:
                worker.request_stop(runtime, stop)  # it finishes the message it is sending
                if task:
                    with contextlib.suppress(Exception):
                        # a send takes at most SEND_TIMEOUT: cut one short and it may go twice
                        await asyncio.wait_for(task, timeout=SEND_TIMEOUT + 5)

    app = Litestar(
        route_handlers=_route_handlers(),
        dependencies={
            "runtime": Provide(lambda: runtime, use_cache=True, sync_to_thread=False),
            "user": Provide(required_user),
            "maybe_user": Provide(optional_user),
            "admin": Provide(admin_user),
        },
        # no handler keeps `settings`: the pages read the runtime's at request time
        exception_handlers={**html_error_handlers(EXCEPTION_HANDLERS), **page_exception_handlers},
        lifespan=[lifespan],
        middleware=[DefineMiddleware(RequestGuardsMiddleware),
                    DefineMiddleware(CSRFMiddleware, html_page=error_page_asgi)],
        openapi_config=OpenAPIConfig(
            title="Alvéole", version="0.1.0",
            description="Skill-sharing workshops for a neighbourhood. Errors are RFC 9457 "
                        "problem details whose `type` ends in a stable slug.",
            path="/schema",
            # the viewer is served by the app itself (web.schema): nothing from another origin
            render_plugins=[SelfHostedSwaggerUI()],
            openapi_router=schema_router(),
        ),
        before_send=[add_strict_transport_security],
        request_class=JsonRequest,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )
    app.state.runtime = runtime
    _document_what_litestar_does_not(app)
    return app


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


def _document_what_litestar_does_not(app: Litestar) -> None:
    """The OpenAPI document tells the truth about two things Litestar leaves out: who must be
    authenticated (`bearer`, or the session cookie a login sets, on handlers that take `user` or
    `admin`; optional on `maybe_user`), and that a 204 answer has no body."""
    schema = app.openapi_schema
    components = schema.components
    components.security_schemes = {
        "bearer": SecurityScheme(type="http", scheme="bearer",
                                 description="The token from POST /api/v1/auth/login"),
        "session": SecurityScheme(type="apiKey", security_scheme_in="cookie",
                                  name=cookie_name(SESSION_COOKIE, app.state.runtime.settings),
                                  description="The session cookie set at login; writes also need "
                                              "the X-CSRF-Token header"),
    }
    required = [{"bearer": []}, {"session": []}]
    body_structs: set[type[msgspec.Struct]] = set()
    for route in app.routes:
        item = (schema.paths or {}).get(route.path_format)
        if item is None:
            continue
        for handler in getattr(route, "route_handlers", ()):
            parameters = handler.parsed_fn_signature.parameters
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if operation is None:
                    continue
                body = parameters.get("data")
                if body is not None and body.has_default and operation.request_body is not None:
                    operation.request_body.required = False  # `JSONBody[T | None] = None`
                if body is not None:
                    body_structs.update(_structs_in(body.annotation))
                if "user" in parameters or "admin" in parameters:
                    operation.security = required
                elif "maybe_user" in parameters:
                    operation.security = [{}, *required]
                responses = operation.responses = operation.responses or {}
                for status, response in responses.items():
                    if status == "204" and hasattr(response, "content"):
                        response.content = None
                if not route.path.startswith("/api/"):
                    continue
                # answered by the middlewares before any handler runs (kernel.asgi, accounts.csrf)
                responses.setdefault("400", _problem_response(
                    "validation-error: a NUL character in the query or a header (named in `errors`)"))
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    if operation.security:
                        responses.setdefault("403", _problem_response(
                            "forbidden: a cookie-authenticated write without its X-CSRF-Token"))
                    if operation.request_body is not None:
                        responses.setdefault("415", _problem_response(
                            "unsupported-media-type: the body is not application/json"))
    # the body Structs' schemas: closed when they refuse unknown fields, with their list items' limits
    by_name = {struct.__name__: struct for struct in body_structs}
    for name, component in (components.schemas or {}).items():
        struct = by_name.get(name.rsplit("_", 1)[-1])
        if struct is None or not isinstance(component, Schema):
            continue
        if struct.__struct_config__.forbid_unknown_fields:
            component.additional_properties = False
        _document_list_items(struct, component)


def _structs_in(annotation: Any) -> set[type[msgspec.Struct]]:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return {annotation}
    found: set[type[msgspec.Struct]] = set()
    for argument in typing.get_args(annotation):
        found |= _structs_in(argument)
    return found


def _document_list_items(struct: type[msgspec.Struct], component: Schema) -> None:
    """Litestar drops the limits of a list's items (`list[Annotated[str, Meta(min_length=1)]]`):
    copy them from msgspec's own view of the body, so `tags: [""]` is documented as refused."""
    for field in msgspec.inspect.type_info(struct).fields:
        for option in _options(field.type):
            if not isinstance(option, msgspec.inspect.ListType):
                continue
            item = option.item_type
            if not isinstance(item, msgspec.inspect.StrType):
                continue
            documented = (component.properties or {}).get(field.encode_name)
            for schema in [documented, *(getattr(documented, "one_of", None) or [])]:
                if isinstance(schema, Schema) and isinstance(schema.items, Schema):
                    schema.items.min_length = item.min_length
                    schema.items.max_length = item.max_length


def _options(info: Any) -> list[Any]:
    return list(info.types) if isinstance(info, msgspec.inspect.UnionType) else [info]


def _problem_response(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(description=description, content={PROBLEM_JSON: OpenAPIMediaType(
        schema=Reference(ref="#/components/schemas/Problem"))})
