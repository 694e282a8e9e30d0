"""The status and option values of workshops and sessions, one enum each: the tables' `choices=`,
the schemas' types and the rules' constants. String enums, so a member is the very string stored
and answered (`WorkshopStatus.DRAFT == "draft"`, `f"{WorkshopStatus.DRAFT}"` is `draft`)."""
from __future__ import annotations

from enum import StrEnum


class WorkshopStatus(StrEnum):
    """Where a workshop is in its life: proposed, moderated, public, closed."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


class Payment(StrEnum):
    """How participants pay: nothing, at the door, or online through Stripe."""

    FREE = "free"
    ON_SITE = "on_site"
    STRIPE = "stripe"


class WaitlistMode(StrEnum):
    """A freed seat is given to the next in line (`auto`) or offered for a while (`offer`)."""

    AUTO = "auto"
    OFFER = "offer"


class SessionStatus(StrEnum):
    """A dated session takes place unless cancelled."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
