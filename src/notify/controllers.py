"""HTTP handlers of this package: calendar files and the personal feed (JSON API + .ics); the
/dev/outbox pages are `web.dev`'s."""
from __future__ import annotations

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts.auth import CurrentUser
from kernel.caching import NOT_MODIFIED, PRIVATE_FEED, rendered_feeds, validated
from kernel.http import CALENDAR, ProblemResponses, RuntimeDep, calendar_media_type
from notify import replies, service

# No charset here: Litestar appends "; charset=utf-8" to every text/* media type itself
# (giving it one too would answer "charset=utf-8; charset=utf-8").
UserDep = NamedDependency[CurrentUser]


class CalendarUrl(msgspec.Struct):
    calendar_url: str


problems = ProblemResponses({
    401: "not-authenticated", 403: "forbidden: not your booking", 404: "not-found",
    409: "invalid-state: the booking is pending payment or expired",
})


@get(
    "/api/v1/bookings/{booking_id:int}/invite.ics",
    summary="The booking's calendar invitation",
    description="For the booking's participant only. The file describes the participant's place "
                "in the session (one UID per session and participant, the one used in every "
                "email about it and in the personal feed) in its current state: "
                "`METHOD:REQUEST` while a booking of theirs for the session is confirmed, "
                "`METHOD:CANCEL` (STATUS:CANCELLED) once none is. If this booking was cancelled "
                "and the participant has since booked the same session again, the answer is the "
                "live booking's `METHOD:REQUEST`: an old booking's file can never cancel a newer "
                "one. The SEQUENCE is shared with the emails: never below one already sent, the "
                "same on repeated downloads while nothing changes, and higher whenever the state "
                "shown differs from the last message, so any later message outranks this file. "
                "A booking pending payment (or expired) has no invitation: 409.",
    tags=["calendar"],
    media_type=CALENDAR,
    responses=problems(401, 403, 404, 409),
)
async def booking_invite(booking_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Response[str]:
    calendar = await service.booking_invite(booking_id, user.id, runtime.settings,
                                            runtime.clock.now())
    return Response(calendar.text, media_type=calendar_media_type(calendar.method), headers={
        "Content-Disposition": 'inline; filename="invite.ics"', "Cache-Control": "private, no-cache"})


@get(
    "/calendar/{token:str}/feed.ics",
    summary="Personal calendar feed",
    description=f"The confirmed bookings of the feed's owner (`calendar_url` in /api/v1/me) whose session "
                f"ended at most {service.FEED_HISTORY.days} days ago or starts within the next "
                f"{service.FEED_AHEAD.days} days, in start order, at most {service.FEED_MAX_EVENTS} of them "
                "(the community feed's bounds); "
                "`METHOD:PUBLISH` (ORGANIZER the host, no ATTENDEE), with the same UIDs and "
                "SEQUENCE as the email invitations and the invite.ics download. The token in the "
                "URL is the credential: an unknown or revoked token answers 404.",
    tags=["calendar"],
    media_type=CALENDAR,
    responses={**problems(404), **NOT_MODIFIED},
)
async def personal_feed(request: Request, token: FromPath[str], runtime: RuntimeDep) -> Response[bytes]:
    # the validator first: a poll with a current ETag costs two small queries, no rendering
    now = runtime.clock.now()
    user_id, version = await service.personal_feed_version(token, runtime.settings, now)
    headers, not_modified = validated(request, version.etag, cache_control=PRIVATE_FEED,
                                      last_modified=version.last_modified,
                                      headers={"Referrer-Policy": "no-referrer"})
    if not_modified is not None:
        return not_modified
    # built once per version in a worker thread, then kept
    body = await rendered_feeds.get_or_build(
        (runtime.worker_id, "personal", user_id), version.etag,
        lambda: service.personal_feed(token, runtime.settings, now, user_id=user_id))
    return Response(body, media_type=CALENDAR, headers=headers)


@post(
    "/api/v1/me/calendar-token",
    summary="Revoke the personal calendar feed URL and get a new one",
    description="Issues a new unguessable feed token: the previous `calendar_url` answers 404 "
                "from now on. Answers 200 `{\"calendar_url\": …}` (also shown by /api/v1/me).",
    tags=["calendar"],
    status_code=200,
    responses=problems(401),
)
async def rotate_calendar_token(user: UserDep, runtime: RuntimeDep) -> CalendarUrl:
    return CalendarUrl(calendar_url=await service.rotate_calendar_url(user.id, runtime.settings))


@post(
    replies.WEBHOOK_PATH, status_code=200, tags=["sms"], summary="Twilio inbound text webhook",
    description="A reply to a text, form-encoded as Twilio sends it, signed (`X-Twilio-Signature`, "
                "checked with the official SDK's validator over ALVEOLE_BASE_URL + this path). "
                "`ANNULER`/`CANCEL` cancels the booking the number's last text was about (the waitlist "
                "is promoted), `OUI`/`YES` records the participant is coming, `STOP` opts the number out; "
                "anything else, an unknown number or a session that has started gets a short help "
                "answer and changes nothing. A missing or wrong signature, or a MessageSid already "
                "received → 403 `invalid-signature`. Answers TwiML.",
    media_type="application/xml",
    responses=ProblemResponses({403: "invalid-signature: `X-Twilio-Signature` missing or wrong, "
                                     "or the message was already received"})(403),
)
async def twilio_webhook(request: Request, runtime: RuntimeDep) -> Response[str]:
    form = await request.form()
    params = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    answer = await replies.handle_reply(runtime, params, request.headers.get("x-twilio-signature"))
    return Response(answer, media_type="application/xml")


ROUTES: list = [booking_invite, personal_feed, rotate_calendar_token, twilio_webhook]
