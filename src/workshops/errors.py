"""Errors of the workshops package (DomainError subclasses; app.py renders them as problem+json)."""
from __future__ import annotations

from kernel.errors import DomainError


class PaymentsNotConfigured(DomainError):
    status, slug, title = 409, "payments-not-configured", "Online payments are not configured"
