"""Errors of the accounts package (DomainError subclasses; app.py turns them into problems)."""
from __future__ import annotations

from kernel.errors import DomainError, InvalidState


class EmailTaken(DomainError):
    status, slug, title = 409, "email-taken", "An account with this email already exists"


class CommunityExists(InvalidState):
    """A community slug is taken: API.md has no slug of its own for it, so `invalid-state`."""


class InvalidToken(DomainError):
    """A verification or reset link that is unknown, used, expired or tampered with."""

    status, slug, title = 400, "invalid-token", "This link is not valid (any more)"


class EmailNotVerified(DomainError):
    status, slug, title = 403, "email-not-verified", "Confirm your email address first"
