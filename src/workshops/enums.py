"""The status and option values of workshops and sessions, one enum each: the tables' `choices=`,
the schemas' types and the rules' constants. String enums, so a member is the very string stored
and answered (`WorkshopStatus.draft == "draft"`, `f"{WorkshopStatus.draft}"` is `draft`).

Members are named by their value, in lower case, like booking's and notify's enums. The upper
case names are aliases of the same members, kept only while the page modules and their
templates still use them (they move to `web/`): new code uses the lower case names."""
from __future__ import annotations

from enum import StrEnum


class WorkshopStatus(StrEnum):
    """Where a workshop is in its life: proposed, moderated, public, closed."""

    draft = "draft"
    submitted = "submitted"
    published = "published"
    rejected = "rejected"
    cancelled = "cancelled"
    archived = "archived"
    # aliases for the page modules and templates until they use the names above
    DRAFT, SUBMITTED, PUBLISHED = draft, submitted, published
    REJECTED, CANCELLED, ARCHIVED = rejected, cancelled, archived


class Payment(StrEnum):
    """How participants pay: nothing, at the door, or online through Stripe."""

    free = "free"
    on_site = "on_site"
    stripe = "stripe"
    FREE, ON_SITE, STRIPE = free, on_site, stripe  # aliases for the page modules, as above


class WaitlistMode(StrEnum):
    """A freed seat is given to the next in line (`auto`) or offered for a while (`offer`)."""

    auto = "auto"
    offer = "offer"
    AUTO, OFFER = auto, offer  # aliases for the page modules, as above


class SessionStatus(StrEnum):
    """A dated session takes place unless cancelled."""

    scheduled = "scheduled"
    cancelled = "cancelled"
    SCHEDULED, CANCELLED = scheduled, cancelled  # aliases for the page modules, as above
