"""Workshops and their dated sessions."""
from piccolo.columns import (
    JSON, Boolean, Float, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from workshops.rules import new_short_code

from workshops.enums import Payment, SessionStatus, WaitlistMode, WorkshopStatus

USER = LazyTableReference("User", module_path="accounts.tables")
COMMUNITY = LazyTableReference("Community", module_path="accounts.tables")


class Workshop(Table, tablename="workshop"):
    community = ForeignKey(COMMUNITY, on_delete=OnDelete.restrict, index=True)
    host = ForeignKey(USER, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    summary = Varchar(length=500)
    description = Text(default="")
    description_html = Text(default="")  # rendered when saved (workshops.text), read by the pages
    search_text = Text(default="")  # what `q` searches, folded when saved (workshops.text.search_text)
    category = Varchar(length=40, index=True)
    tags = JSON(default=[])
    language = Varchar(length=8, default="en")
    venue_name = Varchar(length=200, null=True, default=None)
    venue_address = Varchar(length=500, null=True, default=None)
    venue_lat = Float(null=True, default=None)
    venue_lon = Float(null=True, default=None)
    online_url = Varchar(length=500, null=True, default=None)
    payment = Varchar(length=10, default=Payment.free, choices=Payment)
    price_cents = Integer(default=0)
    currency = Varchar(length=3, default="eur")
    capacity = Integer()
    max_seats_per_booking = Integer(default=4)
    waitlist_enabled = Boolean(default=True)
    waitlist_mode = Varchar(length=8, default=WaitlistMode.auto, choices=WaitlistMode)
    offer_ttl_minutes = Integer(default=60)
    cancellation_deadline_hours = Integer(default=24)
    status = Varchar(length=12, default=WorkshopStatus.draft, index=True, choices=WorkshopStatus)
    rejection_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    recipe_id = Integer(null=True, default=None, index=True)  # the recipe it was copied from
    # a published workshop's edit waiting for moderation (workshops.service.update_workshop): the
    # proposed content fields as JSON in the API's shape ("" when none), its description rendered
    # when submitted, and when it was last changed (NULL when no revision waits)
    revision = Text(default="")
    revision_description_html = Text(default="")
    revision_submitted_at = Timestamptz(null=True, default=None)


class WorkshopSession(Table, tablename="workshop_session"):
    """One dated occurrence of a workshop; times are stored in UTC, `timezone` is for display."""

    workshop = ForeignKey(Workshop, on_delete=OnDelete.cascade, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    timezone = Varchar(length=64)
    capacity = Integer()
    status = Varchar(length=10, default=SessionStatus.scheduled, index=True,
                     choices=SessionStatus)
    sequence = Integer(default=0)
    cancel_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # `/s/{code}` and the printed programme: 6 characters without look-alikes, made at creation
    short_code = Varchar(length=6, unique=True, null=True, default=new_short_code)


class Recipe(Table, tablename="recipe"):
    """What a workshop that ran needs to run elsewhere, published by its host under an open
    licence. It keeps its own text (a snapshot of the workshop's title, summary and category):
    editing the workshop changes the recipe only when the host publishes it again."""

    workshop = ForeignKey(Workshop, on_delete=OnDelete.restrict, unique=True)
    author = ForeignKey(USER, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    summary = Varchar(length=500)
    category = Varchar(length=40, index=True)
    materials = JSON(default=[])
    steps = JSON(default=[])
    duration_minutes = Integer()
    group_size = Integer(null=True, default=None)
    cost_note = Varchar(length=300, default="")
    licence = Varchar(length=16)
    copied_from = Integer(null=True, default=None, index=True)  # the recipe id its workshop was copied from
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
