"""The one converter from errors to RFC 9457 problem details: domain errors, Litestar's HTTP
and validation errors, a database that cannot be reached (503 `database-unavailable` with
`Retry-After`), and anything unexpected (logged, answered 500 `internal-error`)."""
from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException, SerializationException, MethodNotAllowedException, NotFoundException, ValidationException,
)
from litestar.params import ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from kernel.db import is_database_unavailable
from kernel.errors import DomainError, problem_body

log = logging.getLogger("alveole")
PROBLEM_JSON = "application/problem+json"

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


def problem_response(request: Request, status: int, slug: str, title: str, detail: str | None = None,
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
    return problem_response(request, exc.status, exc.slug, exc.title, exc.detail, exc.headers, **exc.extra)


def on_validation_error(request: Request, exc: ValidationException) -> Response:
    errors = _validation_errors(request, exc)
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    else:
        detail = exc.detail if exc.detail and exc.detail != "Bad Request" else "Malformed request"
    return problem_response(request, 400, "validation-error", "Invalid request", detail, errors=errors)


def on_http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    slug, title = _HTTP_SLUGS.get(status, ("error", "Error"))
    if status == 400:
        return on_validation_error(request, ValidationException(detail=exc.detail, extra=exc.extra))
    detail = exc.detail if exc.detail and exc.detail != title else None
    return problem_response(request, status, slug, title, detail, dict(exc.headers or {}))


class JsonRequest(Request):
    """Litestar's request, whose JSON body decoding names what is wrong with a body that is
    not UTF-8 or is nested too deeply (a 400 problem naming `body`), whatever the decoder
    raises for it: msgspec has raised UnicodeDecodeError, DecodeError and RecursionError."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            raise _malformed("the JSON body is nested too deeply") from None
        except (UnicodeDecodeError, SerializationException):
            body = await self.body()
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                raise _malformed("the body is not UTF-8 text") from None
            raise
        # a NUL can be stored by SQLite but not by PostgreSQL: refused everywhere, by name
        if b"u0000" in (body := await self.body()) or b"U0000" in body:
            paths = _nul_paths(value)
            if paths:
                raise ValidationException(
                    detail="a NUL character is not allowed",
                    extra=[{"key": where or "body", "message": "a NUL character is not allowed",
                            "source": "body"} for where in paths])
        return self._strictly(value)

    def _strictly(self, value: Any) -> Any:
        """The body as the handler's `data` type, converted strictly: Litestar converts it
        laxly (for query strings), which would take `"5"` or `1e3` for an integer. A value
        that fails is a 400 naming the field, as Litestar's own errors do."""
        parameter = _parameter(self, "data")
        if parameter is None:
            return value
        target = parameter.annotation
        try:
            return msgspec.convert(value, target, strict=True)
        except msgspec.ValidationError as exc:
            message = str(exc)
            path = _AT_PATH.search(message)
            raise ValidationException(detail=message, extra=[{
                "key": path.group(1) if path else "data", "message": message.split(" - at ")[0],
                "source": "body"}]) from None
        except Exception:  # noqa: BLE001 - a type msgspec cannot convert to: Litestar decides
            return value


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """The dotted paths of the strings (or keys) holding a NUL; a list's items are named by
    the list, as other field errors are."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found.extend([inner] if "\x00" in str(key) else _nul_paths(item, inner))
    elif isinstance(value, list):
        for item in value:
            found.extend(_nul_paths(item, path))
    return list(dict.fromkeys(found))


def _malformed(reason: str) -> ValidationException:
    return ValidationException(detail=f"JSON is malformed: {reason}",
                               extra=[{"key": "body", "message": reason, "source": "body"}])


# the same answer as the booking store's StoreUnavailable, for a read or any other statement
DATABASE_RETRY_AFTER = "2"


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    if is_database_unavailable(exc):  # an outage, not a bug: the client may retry
        log.warning("database unavailable on %s %s: %s: %s", request.method, request.url.path,
                    type(exc).__name__, exc)
        return problem_response(request, 503, "database-unavailable", "The database is busy or unavailable",
                                "The database did not answer in time; please try again in a moment.",
                                {"Retry-After": DATABASE_RETRY_AFTER})
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                    "Something went wrong on our side; it has been logged.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    NotFoundException: on_http_error,
    MethodNotAllowedException: on_http_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}
