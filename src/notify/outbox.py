"""Outbox delivery: claim due rows, expand fan-outs, render once, send, settle.

Life of a row: `pending` → (claimed) `sending` → `sent` | `failed` | `skipped`, or back to
`pending` with `next_attempt_at` pushed back after a failed attempt.

- Claiming is one statement: `UPDATE … SET status='sending', claimed_until = now + LEASE,
  claimed_by = <worker> WHERE id IN (SELECT … due … LIMIT n) RETURNING …` on SQLite (the
  statement holds the write lock throughout), and on PostgreSQL a `WITH due AS MATERIALIZED
  (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … FROM due`, so several workers split the
  due rows between them. A row left `sending` past its lease (its worker crashed) is due
  again: nothing is lost.
- A batch (BATCH_SIZE rows, 10) is rendered in three short database steps (reads; SEQUENCE
  bumps; storing the results), then sent over one SMTP connection. Each row is marked sent in
  its own statement as soon as the relay accepted it, so a worker killed mid-batch can leave at
  most the one message it was sending accepted but unmarked (sent again after the lease).
- The lease is short (LEASE, 30 s) and renewed before any send it could not cover (a
  heartbeat over the batch's rows still held), so a dead worker's rows wait at most 30 s.
- Only the claiming worker settles a row (`WHERE claimed_by = me`), and it does not send once
  its lease has run out, so in normal operation one dedupe key is never sent twice.
- The subject, bodies and attachments are rendered once and stored in the row: a retry sends
  identical content, with the same Message-ID (random, stored with the rendering) and Date.
- A failed attempt counts in `attempts`, keeps `last_error` and waits `retry_delay(attempts)`:
  15 s, 30 s, 60 s … capped at 10 minutes. Transient failures (connection refused, timeouts,
  4xx) are retried until they succeed; a permanent rejection of the recipient (5xx to RCPT or
  DATA) marks the row `failed` after PERMANENT_FAILURE_ATTEMPTS attempts. Each row is settled
  on its own, so one bad recipient never holds up the others. When the relay itself cannot be
  reached, the rest of the batch is not tried (each row counts a failed attempt and waits).
- Fan-out rows (`payload.fanout`) are expanded into one row per recipient with
  `INSERT … ON CONFLICT (dedupe_key) DO NOTHING` (expanding twice is harmless), then marked
  sent.

- Two channels: `email` rows go to the mailer, `sms` rows (text messages, `notify.texting`:
  written beside their email when it is rendered) to the texter, with the same claim, lease,
  retries and settling; a provider that is down holds up the rest of its own channel only. A
  text is checked against STOP just before it is handed over.

The statements themselves are `notify.repository`'s; this module decides when to run them.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import aiosmtplib
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from kernel.events import OutboxRow
from kernel.runtime import Runtime
from kernel.sql import engine, write_transaction
from notify import context as ctx
from notify import repository
from notify.compose import Composed, Prepared, Skip, email_message, prepare, render, take_sequence
from notify.mailers import Mailer, PermanentDeliveryError, build_mailer
from notify.notifier import (
    FANOUT_COMMUNITY_ORGANIZERS,
    FANOUT_SESSION_PARTICIPANTS,
    session_updated_coalesce_key,
    session_updated_key,
    workshop_submitted_key,
)
from notify.schemas import OutboxStatus
from notify.texters import Texter, build_texter
from notify.texting import ComposedText, prepare_text, still_wanted, text_recipient
from notify.texts import EMAIL, SMS, text_twin

log = logging.getLogger("alveole.notify")

# A claim lasts LEASE and is renewed (a heartbeat) before a send it could not cover: rows of a
# worker that died are due again at most LEASE later.
LEASE = dt.timedelta(seconds=30)
# Small batches: a dead worker's claimed rows are few, and wait for no more than LEASE.
BATCH_SIZE = 10
# One message may take this long to hand to the relay (connect, MAIL, RCPT, DATA); beyond it
# the attempt fails and the row is retried. The lease left when a send starts covers it.
SEND_TIMEOUT = 20.0
SEND_MARGIN = dt.timedelta(seconds=SEND_TIMEOUT + 5)
MAX_BATCHES_PER_RUN = 20
PERMANENT_FAILURE_ATTEMPTS = 3
FIRST_RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 600

# What became of a claimed row within a batch, kept in the record only (never stored)
EXPANDED = "expanded"  # a fan-out row, replaced by its per-recipient rows
LOST = "lost"  # another worker took it over


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt: 15 s, 30 s, 60 s, … never above 10 min."""
    exponent = min(max(attempts, 1) - 1, 16)
    return dt.timedelta(seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** exponent))


def is_permanent(exc: BaseException) -> bool:
    """A 5xx rejection of this message or its recipient: retrying will not help. (5xx to
    EHLO, AUTH or MAIL FROM is the relay's configuration, the same for every row: retried.)"""
    if isinstance(exc, PermanentDeliveryError):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)):
        return 500 <= exc.code < 600
    return False


def is_relay_unreachable(exc: BaseException) -> bool:
    """The relay cannot be reached or dropped us: not about this message."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return False
    return isinstance(exc, (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError,
                            aiosmtplib.SMTPServerDisconnected, ConnectionError, TimeoutError))


def worker_id(runtime: Runtime) -> str:
    """This process's claim owner name (random, so two processes never share one)."""
    return runtime.worker_id


def get_mailer(runtime: Runtime) -> Mailer:
    if runtime.mailer is None:
        runtime.mailer = build_mailer(runtime.settings)
    return runtime.mailer


def get_texter(runtime: Runtime) -> Texter:
    if runtime.texter is None:
        runtime.texter = build_texter(runtime.settings)
    return runtime.texter


async def insert_rows(rows: Sequence[OutboxRow], now: dt.datetime, chunk: int = 200) -> int:
    """Insert outbox rows, skipping dedupe keys already present. Returns how many were new."""
    return await repository.insert_outbox_rows(rows, now, chunk)


async def claim(now: dt.datetime, owner: str, limit: int = BATCH_SIZE,
                lease: dt.timedelta = LEASE) -> list[dict[str, Any]]:
    """Claim up to `limit` due rows for `owner`, oldest due first (`repository.CLAIM_DUE`)."""
    return await repository.claim_due(now, owner, limit, now + lease)


async def mark_sent(record: dict[str, Any], owner: str, now: dt.datetime, attempted: bool) -> bool:
    return await repository.mark_sent(record["id"], owner, now, 1 if attempted else 0)


async def mark_skipped(record: dict[str, Any], owner: str, reason: str) -> bool:
    return await repository.mark_skipped(record["id"], owner, reason[:2000])


async def mark_failed_attempt(record: dict[str, Any], owner: str, now: dt.datetime,
                              exc: BaseException) -> OutboxStatus:
    attempts = int(record["attempts"]) + 1
    permanent = is_permanent(exc)
    status = (OutboxStatus.failed if permanent and attempts >= PERMANENT_FAILURE_ATTEMPTS
              else OutboxStatus.pending)
    error = f"{'permanent' if permanent else 'transient'}: {type(exc).__name__}: {exc}"[:2000]
    await repository.mark_attempt_failed(record["id"], owner, status, attempts, error,
                                         now + retry_delay(attempts))
    return status


async def store_rendering(record: dict[str, Any], owner: str, now: dt.datetime,
                          composed: Composed) -> bool:
    header = composed.message_id or None
    stored = await repository.store_rendering(
        record["id"], owner, now, subject=composed.subject, body_text=composed.body_text,
        body_html=composed.body_html, attachments=composed.attachments,
        recipient_id=composed.recipient.id, recipient_email=composed.recipient.email,
        message_id_header=header)
    if not stored:
        record["status"] = LOST
    else:
        record.update(subject=composed.subject, body_text=composed.body_text,
                      body_html=composed.body_html, attachments=composed.attachments,
                      rendered_at=now, recipient=composed.recipient.id,
                      recipient_email=composed.recipient.email, message_id=header)
    return stored


async def fanout_rows(record: dict[str, Any]) -> list[OutboxRow]:
    """The per-recipient rows a fan-out row stands for, computed now."""
    payload = {k: v for k, v in record["payload"].items() if k != "fanout"}
    fanout = record["payload"].get("fanout")
    if fanout == FANOUT_SESSION_PARTICIPANTS:
        session_id, sequence = int(payload["session_id"]), int(payload["sequence"])
        bookings = await ctx.confirmed_bookings_of_session(session_id, ctx.utc(payload.get("at")))
        return [
            OutboxRow(record["kind"], session_updated_key(session_id, sequence, booking_id),
                      user_id, {**payload, "booking_id": booking_id},
                      coalesce_key=session_updated_coalesce_key(session_id, booking_id))
            for booking_id, user_id in bookings
        ]
    if fanout == FANOUT_COMMUNITY_ORGANIZERS:
        organizers = await ctx.community_organizers(int(payload["community_id"]))
        return [
            OutboxRow(record["kind"], workshop_submitted_key(record["dedupe_key"], person.id),
                      person.id, payload)
            for person in organizers
        ]
    raise ValueError(f"unknown fan-out {fanout!r}")


def _transaction(*, write: bool) -> Any:
    """One connection for a group of statements (Piccolo's SQLite engine otherwise opens one
    per statement); on SQLite a writing group takes the lock up front (BEGIN IMMEDIATE)."""
    if write:
        return write_transaction()
    bound = engine()
    if isinstance(bound, SQLiteEngine):
        return bound.transaction(transaction_type=TransactionType.deferred)
    return bound.transaction()


async def render_batch(runtime: Runtime, records: list[dict[str, Any]], owner: str) -> None:
    """Render the claimed rows not rendered yet, in three short database steps: reads on one
    connection, the SEQUENCE bumps in one write transaction (in row order, so a participant's
    messages get increasing values), the results stored in another. Rendering itself runs
    outside any transaction. A row that fails is one failed attempt of that row alone."""
    texts = [r for r in records if r.get("channel") == SMS]
    if texts:
        await render_texts(texts, owner, runtime.clock.now())
    records = [r for r in records if r.get("channel") != SMS]
    if not records:
        return
    now = runtime.clock.now()
    settings = runtime.settings
    prepared: list[Prepared] = []
    skipped: list[tuple[dict[str, Any], str]] = []
    failed: list[tuple[dict[str, Any], BaseException]] = []
    twins: dict[int, OutboxRow] = {}  # id(record) → its text twin
    async with _transaction(write=False):
        for record in records:
            try:
                item = await prepare(record, settings, now)
                # its text twin, for a participant who takes texts (written with the rendering)
                twin = text_twin(record)
                if twin is not None and item.booking is not None and await text_recipient(item.booking):
                    twins[id(record)] = twin
                prepared.append(item)
            except Skip as skip:
                skipped.append((record, str(skip)))
            except Exception as exc:  # noqa: BLE001 - this row's failure, not the batch's
                failed.append((record, exc))
    sequences: dict[int, int | None] = {}
    if any(p.sequence_key for p in prepared):
        async with _transaction(write=True):
            for item in prepared:
                sequences[id(item)] = await take_sequence(item)
    composed: list[tuple[dict[str, Any], Composed]] = []
    for item in prepared:
        try:
            composed.append((item.record, render(item, settings, now, sequences.get(id(item)))))
        except Exception as exc:  # noqa: BLE001 - this row's failure, not the batch's
            failed.append((item.record, exc))
    if composed or skipped:
        async with _transaction(write=True):
            stored = [record for record, result in composed
                      if await store_rendering(record, owner, now, result)]
            # the email's text twin, written with its rendering: once, whatever happens next
            await insert_rows([twins[id(r)] for r in stored if id(r) in twins], now)
            for record, reason in skipped:
                await mark_skipped(record, owner, reason)
                record["status"] = OutboxStatus.skipped
    for record, exc in failed:
        await _failed(record, owner, now, exc)


async def render_texts(records: list[dict[str, Any]], owner: str, now: dt.datetime) -> None:
    """Write the claimed text rows' messages and keep them (a retry sends the same words to the
    same number): reads on one connection, the results stored in one write transaction."""
    composed: list[tuple[dict[str, Any], ComposedText]] = []
    skipped: list[tuple[dict[str, Any], str]] = []
    failed: list[tuple[dict[str, Any], BaseException]] = []
    async with _transaction(write=False):
        for record in records:
            try:
                composed.append((record, await prepare_text(record, now)))
            except Skip as skip:
                skipped.append((record, str(skip)))
            except Exception as exc:  # noqa: BLE001 - this row's failure, not the batch's
                failed.append((record, exc))
    if composed or skipped:
        async with _transaction(write=True):
            for record, text in composed:
                # a text's "subject" is its language (the language a reply is answered in)
                stored = await repository.store_rendering(
                    record["id"], owner, now, subject=text.recipient.language, body_text=text.body,
                    body_html="", attachments=[], recipient_id=text.recipient.user_id,
                    recipient_email=text.recipient.phone, message_id_header=None)
                if stored:
                    record.update(subject=text.recipient.language, body_text=text.body, body_html="",
                                  rendered_at=now, recipient=text.recipient.user_id,
                                  recipient_email=text.recipient.phone)
                else:
                    record["status"] = LOST
            for record, reason in skipped:
                await mark_skipped(record, owner, reason)
                record["status"] = OutboxStatus.skipped
    for record, exc in failed:
        await _failed(record, owner, now, exc)


async def _failed(record: dict[str, Any], owner: str, now: dt.datetime, exc: BaseException) -> None:
    status = await mark_failed_attempt(record, owner, now, exc)
    record["status"] = status
    log.warning("outbox %s (%s) attempt %s failed → %s: %s: %s", record["id"], record["kind"],
                int(record["attempts"]) + 1, status, type(exc).__name__, exc)


async def renew_claims(records: list[dict[str, Any]], owner: str, now: dt.datetime) -> None:
    """The heartbeat: extend the claim of the batch's rows still to send; a row another
    worker took over meanwhile (our lease ran out) is LOST, never sent by us."""
    waiting = [r for r in records if r["status"] == OutboxStatus.sending]
    if not waiting:
        return
    until = now + LEASE
    held = set(await repository.renew_claims([r["id"] for r in waiting], owner, until))
    for record in waiting:
        if record["id"] in held:
            record["claimed_until"] = until
        else:
            record["status"] = LOST


async def release_claims(records: list[dict[str, Any]], owner: str) -> None:
    """Hand the batch's rows still to send back (pending, due at once): a worker that stops
    leaves nothing waiting for its lease to run out."""
    waiting = [r["id"] for r in records if r["status"] == OutboxStatus.sending]
    if waiting:
        await repository.release_claims(waiting, owner)
        for record in records:
            if record["status"] == OutboxStatus.sending:
                record["status"] = OutboxStatus.pending


async def process_batch(runtime: Runtime, records: list[dict[str, Any]], owner: str,
                        mailer: Mailer, texter: Texter | None = None) -> None:
    """Expand the fan-outs, render what needs it, send, settle each row as soon as it is sent."""
    clock = runtime.clock
    for record in records:
        if record["payload"].get("fanout"):
            try:
                await insert_rows(await fanout_rows(record), clock.now())
                await mark_sent(record, owner, clock.now(), attempted=False)
                record["status"] = EXPANDED
            except Exception as exc:  # noqa: BLE001 - a fan-out that fails is retried like any row
                await _failed(record, owner, clock.now(), exc)
    await render_batch(runtime, [r for r in records if r["status"] == OutboxStatus.sending and r["subject"] is None],
                       owner)
    # per channel: the SMTP relay and the text provider fail apart
    relay_down: dict[str, BaseException] = {}
    for record in records:
        if record["status"] != OutboxStatus.sending or record["subject"] is None:
            continue  # expanded, skipped, failed, or taken over meanwhile
        if runtime.stopping:  # asked to stop: hand the rest back for another worker, now
            await release_claims(records, owner)
            break
        channel = record.get("channel") or EMAIL
        if channel in relay_down:
            # no point waiting for a dead relay once per row: the rest of the batch waits
            await _failed(record, owner, clock.now(), relay_down[channel])
            continue
        if clock.now() + SEND_MARGIN >= record["claimed_until"]:
            await renew_claims(records, owner, clock.now())  # the lease must cover this send
            if record["status"] != OutboxStatus.sending:
                continue  # our lease ran out and another worker has it
        try:
            if channel == SMS:
                if not await still_wanted(record):  # a STOP (or opt-out) since it was queued
                    await mark_skipped(record, owner, "the number no longer takes texts")
                    record["status"] = OutboxStatus.skipped
                    continue
                texter = texter or get_texter(runtime)
                await asyncio.wait_for(texter.send(record["recipient_email"], record["body_text"],
                                                   record["dedupe_key"]), timeout=SEND_TIMEOUT)
            else:
                await asyncio.wait_for(mailer.send(email_message(record, runtime.settings)),
                                       timeout=SEND_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any failure is one failed attempt of this row
            await _failed(record, owner, clock.now(), exc)
            if is_relay_unreachable(exc):
                relay_down[channel] = exc
        else:
            # at once, in its own short statement: a crash after this point repeats nothing
            await mark_sent(record, owner, clock.now(), attempted=True)
            record["status"] = OutboxStatus.sent


async def deliver_due(runtime: Runtime, *, batch_size: int = BATCH_SIZE,
                      max_batches: int = MAX_BATCHES_PER_RUN) -> int:
    """Deliver what is due now, a batch at a time. Returns how many rows were handled."""
    owner = worker_id(runtime)
    mailer = get_mailer(runtime)
    handled = 0
    try:
        for _ in range(max_batches):
            if runtime.stopping:
                break
            records = await claim(runtime.clock.now(), owner, batch_size)
            if not records:
                break
            await process_batch(runtime, records, owner, mailer)
            handled += len(records)
    finally:
        close = getattr(mailer, "close", None)
        if close is not None:
            await close()
    return handled
