"""Domain errors and the one converter that turns them into RFC 9457 problem details."""
from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://alveole.example/problems/"


class DomainError(Exception):
    """Base of every error a use case may raise; carries its HTTP status and problem slug."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "validation-error"
    title: ClassVar[str] = "Invalid request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class ValidationFailed(DomainError):
    status, slug, title = 400, "validation-error", "Invalid request"


class NotAuthenticated(DomainError):
    status, slug, title = 401, "not-authenticated", "Authentication required"


class InvalidCredentials(DomainError):
    status, slug, title = 401, "invalid-credentials", "Invalid email or password"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class InvalidState(DomainError):
    status, slug, title = 409, "invalid-state", "Not allowed in the current state"


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str | None = None, retry_after: int = 60, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))


def problem_body(
    status: int, slug: str, title: str, detail: str | None = None, instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body
