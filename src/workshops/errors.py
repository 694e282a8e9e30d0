"""Errors of the workshops package (DomainError subclasses; app.py renders them as problem+json)."""
from __future__ import annotations

from kernel.errors import DomainError, InvalidState


class PaymentsNotConfigured(DomainError):
    status, slug, title = 409, "payments-not-configured", "Online payments are not configured"


class RevisionChanged(InvalidState):
    """Approving a revision the host changed since the moderator was shown it (409 invalid-state)."""
