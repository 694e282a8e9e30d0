"""The status and option values of workshops and sessions, one enum each: the tables' `choices=`,
the schemas' types and the rules' constants. String enums, so a member is the very string stored
and answered (`WorkshopStatus.draft == "draft"`, `f"{WorkshopStatus.draft}"` is `draft`).

Members are named by their value, in lower case, like booking's and notify's enums."""
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


class Payment(StrEnum):
    """How participants pay: nothing, at the door, or online through Stripe."""

    free = "free"
    on_site = "on_site"
    stripe = "stripe"


class WaitlistMode(StrEnum):
    """A freed seat is given to the next in line (`auto`) or offered for a while (`offer`)."""

    auto = "auto"
    offer = "offer"


class SessionStatus(StrEnum):
    """A dated session takes place unless cancelled."""

    scheduled = "scheduled"
    cancelled = "cancelled"


class Licence(StrEnum):
    """The open licences a recipe may be published under (SPDX identifiers)."""

    cc_by_sa_4 = "CC-BY-SA-4.0"
    cc_by_4 = "CC-BY-4.0"
    cc0_1 = "CC0-1.0"
