"""Replies to text messages (Twilio's inbound webhook): ANNULER/CANCEL frees the seat the
number's last text was about (through `booking.service.cancel_booking`, so the waitlist is
promoted as for any cancellation), OUI/YES records that the participant is coming, STOP opts
the number out; anything else gets one short help answer and changes nothing.

A request is believed only with a valid `X-Twilio-Signature` (the SDK's `RequestValidator`
over the public URL Twilio called: ALVEOLE_BASE_URL + the path), and acted on once: its
MessageSid is kept, and the same SID again is refused like a forgery.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from accounts import repository as accounts_repo
from accounts.auth import CurrentUser
from booking import repository as booking_repo
from booking import service as booking_service
from booking.schemas import BookingStatus
from kernel.errors import DomainError
from kernel.i18n import language_of
from kernel.phones import normalise_phone
from kernel.runtime import Runtime
from kernel.sql import write_transaction
from notify import context as ctx
from notify import repository, texting
from notify.texts import CANCEL_WORDS, CONFIRM_WORDS, START_WORDS, STOP_WORDS, answer, reply_word
from workshops.enums import SessionStatus

log = logging.getLogger("alveole.notify.replies")
WEBHOOK_PATH = "/api/v1/sms/twilio/webhook"


class ForgedReply(DomainError):
    status, slug, title = 403, "invalid-signature", "The webhook signature is missing or wrong"


def check_signature(runtime: Runtime, params: Mapping[str, str], signature: str | None) -> None:
    """403 `invalid-signature` unless Twilio signed these parameters for our public URL."""
    twilio = runtime.settings.twilio
    if twilio is None or not signature:
        raise ForgedReply()
    url = runtime.settings.base_url + WEBHOOK_PATH
    if not RequestValidator(twilio[1]).validate(url, dict(params), signature):
        raise ForgedReply()


def twiml(text: str) -> str:
    response = MessagingResponse()
    response.message(text)
    return str(response)


async def handle_reply(runtime: Runtime, params: Mapping[str, str], signature: str | None) -> str:
    """Act on one inbound text; the TwiML answer."""
    check_signature(runtime, params, signature)
    now = runtime.clock.now()
    sid = (params.get("MessageSid") or params.get("SmsSid") or "")[:64]
    phone = normalise_phone(params.get("From") or "") or ""
    word = reply_word(params.get("Body") or "")
    if not sid or not await repository.record_inbound(sid, phone, word, now):
        raise ForgedReply("This message was already received.")  # a replay
    last = await repository.last_text_to(phone) if phone else None
    language = language_of(last["subject"] if last else await accounts_repo.user_language_at(phone))
    if phone and word in STOP_WORDS:
        async with write_transaction():
            await accounts_repo.opt_out_phone(phone, now)
        return twiml(answer(language, "stopped"))
    if phone and word in START_WORDS:
        async with write_transaction():
            await accounts_repo.forget_opt_out(phone)
        return twiml(answer(language, "started"))
    help_text = twiml(answer(language, "help"))
    if last is None or word not in CANCEL_WORDS | CONFIRM_WORDS:
        return help_text
    booking = await ctx.load_booking(int(last["payload"]["booking_id"]))
    if (booking is None or booking.status != BookingStatus.confirmed
            or booking.session.status != SessionStatus.scheduled or now >= booking.session.starts_at):
        return help_text
    recipient = await texting.text_recipient(booking)
    if recipient is None or recipient.phone != phone:  # the number no longer stands for this booking
        return help_text
    title = booking.session.workshop.title
    if word in CONFIRM_WORDS:
        await booking_repo.confirm_by_text(booking.id, now)
        return twiml(answer(language, "confirmed", starts_at=booking.session.starts_at,
                            timezone=booking.session.timezone))
    participant = booking.participant
    actor = CurrentUser(id=participant.id, email=participant.email,
                        display_name=participant.display_name, locale=participant.locale,
                        timezone=participant.timezone, is_admin=False)
    try:
        await booking_service.cancel_booking(runtime, actor, booking.id)
    except DomainError as exc:  # too late, already cancelled meanwhile…: nothing changed
        log.info("text reply could not cancel booking %s: %s", booking.id, exc.slug)
        return help_text
    return twiml(answer(language, "cancelled", title=title))
