"""The outbox every email goes through, and per-(session, participant) invite sequences."""
from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from notify.schemas import OutboxStatus

USER = LazyTableReference("User", module_path="accounts.tables")


class OutboxMessage(Table, tablename="outbox_message"):
    kind = Varchar(length=32, index=True)
    recipient = ForeignKey(USER, on_delete=OnDelete.set_null, null=True, default=None)
    recipient_email = Varchar(length=320, default="")
    dedupe_key = Varchar(length=200, unique=True)
    # what the renderer needs (ids, snapshot values); bodies are rendered once, then kept
    payload = JSON(default={})
    subject = Text(null=True, default=None)
    body_text = Text(null=True, default=None)
    body_html = Text(null=True, default=None)
    attachments = JSON(default=[])
    status = Varchar(length=10, default=OutboxStatus.pending, choices=OutboxStatus, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_until = Timestamptz(null=True, default=None)
    # which delivery worker holds the claim (random per process): only it may settle the row
    claimed_by = Varchar(length=40, null=True, default=None)
    # when the bodies were rendered: the Date header, so a retry sends identical content
    rendered_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    # the Message-ID, chosen at random when the row is rendered and kept for its retries:
    # unique across rows and databases (a row id repeats in every fresh database)
    message_id = Varchar(length=200, null=True, default=None)
    # rows with the same key while pending and unrendered are one message: a newer one replaces
    # the older's payload instead of adding a row (a burst of session changes → one email each)
    coalesce_key = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    # `email`, or `sms`: a text message (its number in `recipient_email`, its words in
    # `body_text`, its language in `subject`)
    channel = Varchar(length=8, default="email")


class SmsInbound(Table, tablename="sms_inbound"):
    """Every reply acted on, by Twilio's MessageSid: a replayed webhook finds its SID here."""

    message_sid = Varchar(length=64, unique=True)
    phone = Varchar(length=16, default="")
    word = Varchar(length=16, default="")
    received_at = Timestamptz(default=TimestamptzNow())


class InviteSequence(Table, tablename="invite_sequence"):
    """SEQUENCE counter per (session, participant): strictly increasing across their messages."""

    # "session_id:user_id"
    pair = Varchar(length=40, unique=True)
    sequence = Integer(default=0)
    # the state the last SEQUENCE was handed out for ("REQUEST" or "CANCEL"; NULL: unknown, from
    # before this column): a download or the feed may show that SEQUENCE again only for that state
    method = Varchar(length=8, null=True, default=None)
