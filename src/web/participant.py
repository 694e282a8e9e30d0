"""The participant's pages: book seats or join the waitlist from a workshop's page
(`POST /sessions/{id}/book|waitlist`), my bookings (`/me/bookings`: upcoming and past, cancel
with a warning when it is late, the invite, the check-in QR code, feedback), my waitlist
entries (`/me/waitlist`: accept or decline an offer, leave), and the feedback form, both the
logged-in one (`/me/bookings/{id}/feedback`) and the one the `feedback_request` email links to
(`/feedback/{signed-token}`, no login needed), and the emailed payment link
(`/me/bookings/{id}/pay`: 303 to the hold's Stripe Checkout page).

Thin handlers over `booking.service` and `booking.feedback`, the functions the JSON API calls,
rendered from `web/templates/participant/`. A visitor is sent to log in (the kit's guard);
another
user's booking or entry is a 404, as is an id that is not plain digits. A domain error becomes
a flash message on the page the participant comes back to (or a 400 page for seats that are
no number), never a 500. Times are shown in the viewer's time zone and language (Babel).

The emailed link (`/feedback/{token}`) is its own credential (see `booking.feedback`): its page
is in the participant's language, says politely when the link is unknown (404), expired (410)
or used (409), and refers no one (`Referrer-Policy: no-referrer`: the URL is the credential).
A visitor who also carries a session cookie gets the CSRF field the middleware asks of cookie
posts. A client that does not ask for HTML gets the API's problems instead of these pages.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from accounts.auth import SESSION_COOKIE, CurrentUser
from accounts.csrf import csrf_token_for
from booking import checkout as booking_checkout
from booking import feedback
from booking import rules as booking_rules
from booking import service as booking_service
from booking.errors import (
    FeedbackExists,
    FeedbackNotOpen,
    PaymentProviderUnavailable,
    SessionFull,
    StoreUnavailable,
)
from booking.schemas import COMMENT_MAX, Attendance, Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from booking.service import ensure_id
from kernel.asgi import Cookies
from kernel.cookies import cookie_name
from kernel.errors import DomainError, Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.http import RuntimeDep
from kernel.i18n import language_of
from kernel.runtime import Runtime
from kernel.sql import as_datetime
from web.kit import (
    settings_of,
    N_,
    MaybeUserDep,
    UserDep,
    Viewer,
    chosen_language,
    login_required,
    moment,
    money,
    page_viewer,
    path_id,
    render,
    see_other,
    span,
    wants_html,
    zone_of,
)
from workshops import service as workshops_service
from workshops.calendar import workshop_path
from workshops.enums import Payment, SessionStatus

MY_BOOKINGS, MY_WAITLIST = "/me/bookings", "/me/waitlist"
SHOWN = 100  # the newest bookings (or entries) a page lists

# What a refusal of the booking engine says on the page the participant comes back to
REFUSALS = {
    "session-full": N_("This session is full: you can join its waitlist."),
    "already-booked": N_("You already have a booking or a waitlist place for this session: see My bookings and My waitlist."),
    "booking-closed": N_("This session can no longer be booked: it has started or it was cancelled."),
    "waitlist-disabled": N_("This session is full and has no waitlist."),
    "offer-expired": N_("This offer has expired: the seats went to the next person in line."),
    "payments-not-configured": N_("Online payment is not available for this workshop yet: nothing was booked."),
    "payment-provider-unavailable": N_("The payment service is not answering: nothing was booked. Please try again in a moment."),
    "database-unavailable": N_("The service is busy; nothing was changed. Please try again in a moment."),
    "invalid-state": N_("This can no longer be done: things changed since the page was shown. Here is how they stand now."),
    "rate-limited": N_("You have booked or joined many sessions in a short time: nothing was booked. Please try again later."),
    "email-not-verified": N_("Confirm your email address first: follow the link we emailed you, or ask for a new one below."),
}
BOOK_INSTEAD = N_("Seats are free for this session: book them instead.")
NOT_DONE = N_("This could not be done. Please try again.")
BOOKING_STATUSES = {
    BookingStatus.pending_payment: N_("Waiting for your payment"), BookingStatus.confirmed: N_("Confirmed"),
    BookingStatus.cancelled: N_("Cancelled"), BookingStatus.expired: N_("Expired: not paid in time"),
}
ENTRY_STATUSES = {
    WaitlistStatus.waiting: N_("Waiting"), WaitlistStatus.offered: N_("Seats offered to you"),
    WaitlistStatus.booked: N_("Booked"), WaitlistStatus.expired: N_("Offer expired"),
    WaitlistStatus.withdrawn: N_("Left the waitlist"),
}
PAYMENT_NOTICES = {"done": N_("Thank you! Your payment is being confirmed: your booking shows as confirmed in a moment."),
                   "cancelled": N_("The payment was cancelled: your seats stay held until the time shown. Pay now to keep them.")}
FEEDBACK_ERRORS = {
    "rating": N_("Please choose a rating from 1 to 5."),
    "comment": N_("The comment is too long (at most %(max)s characters)."),
    "characters": N_("The comment contains characters that cannot be kept."),
}


# ------------------------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class BookingLine:
    """One booking of the participant, with its session and workshop, as a page lists it."""

    booking: Booking
    session: Any  # workshops.service.SessionRecord
    workshop: Any  # workshops.service.WorkshopRecord
    when: tuple[str, str]
    amount: str | None  # formatted seats × price; None when free
    refunded: str  # formatted, what Stripe gave back
    hold_expires: str | None
    upcoming: bool  # the session has not ended
    cancellable: bool  # active and not started
    late: bool  # cancelling now would be after the workshop's cancellation deadline
    deadline: str  # the cancellation deadline, formatted
    feedback_open: bool  # may give feedback now (confirmed, not no-show, in the window)
    rating: int | None  # the feedback given, if any

    @property
    def session_cancelled(self) -> bool:
        return self.session.status == SessionStatus.cancelled


async def _booking_lines(runtime: Runtime, user: CurrentUser, bookings: list[Booking],
                         language: str) -> list[BookingLine]:
    """Bookings with what is shown of them, from three queries (and one more per booking in
    its feedback window, whose feedback may have been given)."""
    sessions = await workshops_service.get_sessions([b.session_id for b in bookings])
    workshops = await workshops_service.get_workshops([s.workshop_id for s in sessions.values()])
    now, zone = runtime.clock.now(), zone_of(user.timezone)
    lines = []
    for booking in bookings:
        session = sessions.get(booking.session_id)
        workshop = workshops.get(session.workshop_id) if session else None
        if session is None or workshop is None:
            continue
        active = booking.status in (BookingStatus.confirmed, BookingStatus.pending_payment)
        may_rate = (booking.status == BookingStatus.confirmed and booking.attendance != Attendance.no_show
                    and session.ends_at <= now <= booking_rules.feedback_closes_at(session.ends_at)
                    and user.id != workshop.host_id)
        rating = None
        if may_rate:
            view = await feedback.link_view(booking.id)
            rating = view["f_rating"] if view is not None and view["f_id"] is not None else None
        deadline = session.starts_at - dt.timedelta(hours=workshop.cancellation_deadline_hours)
        lines.append(BookingLine(
            booking=booking, session=session, workshop=workshop,
            when=span(session.starts_at, session.ends_at, zone, language),
            amount=money(booking.amount_cents, booking.currency, language) if booking.amount_cents else None,
            refunded=money(booking.refunded_cents, booking.currency, language),
            hold_expires=moment(booking.hold_expires_at, zone, language) if booking.hold_expires_at else None,
            upcoming=session.ends_at > now, cancellable=active and session.starts_at > now,
            late=booking_rules.is_late_cancellation(session.starts_at, workshop.cancellation_deadline_hours, now),
            deadline=moment(deadline, zone, language), feedback_open=may_rate and rating is None, rating=rating,
        ))
    return lines


async def _own_booking(runtime: Runtime, user: CurrentUser, booking_id: int) -> Booking:
    """The user's own booking; anyone else's (the host's and organizers' included) is a 404 here."""
    try:
        booking = await booking_service.get_booking(runtime, user, booking_id)
    except Forbidden:
        raise NotFound("No such booking.") from None
    if booking.user_id != user.id:
        raise NotFound("No such booking.")
    return booking


def _refusal(error: DomainError) -> str:
    """The flash message of a refusal; a 404 stays a 404 (another user's booking or entry too)."""
    if isinstance(error, (NotFound, Forbidden)):
        raise NotFound("No such page.") from error
    return REFUSALS.get(error.slug, NOT_DONE)


def _after_booking(runtime: Runtime, booking: Booking, late: bool) -> Response:
    """To my bookings, where a hold waiting for its payment has its Pay now link to Stripe
    Checkout. Not a 303 to Checkout itself: the pages' `form-action 'self'` makes a browser
    block a form post that redirects to another origin (Chromium does), so the way to
    Checkout is a link the participant follows. `late`: the cancellation deadline has passed
    already, which the confirmation says (a cancellation would count as late)."""
    if booking.status == BookingStatus.pending_payment:
        return see_other(MY_BOOKINGS, runtime.settings, flash=N_(
            "Your seats are held: pay now to confirm your booking. The cancellation deadline has "
            "already passed: cancelling would count as late.") if late else N_(
            "Your seats are held: pay now to confirm your booking."))
    return see_other(MY_BOOKINGS, runtime.settings, flash=N_(
        "Booked! Your booking is confirmed; the invitation is on its way by email. The cancellation "
        "deadline has already passed: cancelling would count as late.") if late else N_(
        "Booked! Your booking is confirmed; the invitation is on its way by email."))


# ------------------------------------------------------------------------- book, join waitlist

async def _seats_form(request: Request) -> int | None:
    """The seats asked for, or None when the field holds no plain number."""
    text = str((await request.form()).get("seats") or "1").strip()
    return int(text) if re.fullmatch(r"\d{1,4}", text) else None


def _seats_problem(request: Request, runtime: Runtime, user: CurrentUser, workshop: Any) -> Response:
    """A page saying which numbers of seats may be asked for (the API's problem for an API client)."""
    if not wants_html(request):
        message = f"from 1 to {workshop.max_seats_per_booking}"
        raise ValidationFailed(f"seats: {message}", errors=[{"field": "seats", "message": message, "source": "body"}])
    viewer = page_viewer(request, user)
    return render(viewer, "participant/problem.html", status=400,
                  heading=N_("Check the number of seats"),
                  message=N_("Choose a number of seats from 1 to %(max)s."),
                  values={"max": workshop.max_seats_per_booking}, back=workshop_path(workshop.id),
                  back_label=N_("Back to the workshop"))


async def _session_and_workshop(runtime: Runtime, session_id: str, user: CurrentUser | None) -> tuple[Any, Any]:
    session = await workshops_service.get_session(path_id(session_id))
    return session, await workshops_service.visible_workshop(session.workshop_id, user)


@post("/sessions/{session_id:str}/book", include_in_schema=False)
async def book(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
               maybe_user: MaybeUserDep) -> Response:
    """Books the seats; a full session sends back to the workshop's page, whose waitlist form
    is then shown."""
    session, workshop = await _session_and_workshop(runtime, session_id, maybe_user)
    back = workshop_path(workshop.id)
    if maybe_user is None:  # after the 404 of an unknown session; back to its workshop
        raise login_required(back)
    seats = await _seats_form(request)
    if seats is None:
        return _seats_problem(request, runtime, maybe_user, workshop)
    try:
        booking, _ = await booking_service.book(runtime, maybe_user, session.id, seats)
    except ValidationFailed:
        return _seats_problem(request, runtime, maybe_user, workshop)
    except SessionFull:
        return see_other(back, runtime.settings, flash=REFUSALS["session-full"], notice=True)
    except DomainError as error:
        return see_other(back, runtime.settings, flash=_refusal(error), notice=True)
    return _after_booking(runtime, booking, booking_rules.is_late_cancellation(
        session.starts_at, workshop.cancellation_deadline_hours, runtime.clock.now()))


@post("/sessions/{session_id:str}/waitlist", include_in_schema=False)
async def join_waitlist(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                        maybe_user: MaybeUserDep) -> Response:
    session, workshop = await _session_and_workshop(runtime, session_id, maybe_user)
    back = workshop_path(workshop.id)
    if maybe_user is None:  # after the 404 of an unknown session; back to its workshop
        raise login_required(back)
    seats = await _seats_form(request)
    if seats is None:
        return _seats_problem(request, runtime, maybe_user, workshop)
    try:
        await booking_service.join_waitlist(runtime, maybe_user, session.id, seats)
    except ValidationFailed:
        return _seats_problem(request, runtime, maybe_user, workshop)
    except InvalidState:
        return see_other(back, runtime.settings, flash=BOOK_INSTEAD, notice=True)
    except DomainError as error:
        return see_other(back, runtime.settings, flash=_refusal(error), notice=True)
    return see_other(MY_WAITLIST, runtime.settings,
                     flash=N_("You are on the waitlist. We will email you as soon as seats free up for you."))


# --------------------------------------------------------------------------------- my bookings

@get(MY_BOOKINGS, include_in_schema=False)
async def my_bookings(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """Upcoming sessions first (soonest first), then past ones (latest first)."""
    viewer = page_viewer(request, user)
    found = await booking_service.my_bookings(runtime, user, SHOWN, 0)
    lines = await _booking_lines(runtime, user, found.items, viewer.language)
    upcoming = sorted((line for line in lines if line.upcoming), key=lambda line: line.session.starts_at)
    past = sorted((line for line in lines if not line.upcoming), key=lambda line: line.session.starts_at, reverse=True)
    return render(viewer, "participant/my_bookings.html", upcoming=upcoming, past=past,
                  more=max(0, found.total - len(found.items)), statuses=BOOKING_STATUSES,
                  payment_notice=PAYMENT_NOTICES.get(str(request.query_params.get("payment") or "")),
                  on_site=Payment.on_site, stripe=Payment.stripe)


async def _own_line(runtime: Runtime, user: CurrentUser, booking_id: str, viewer: Viewer) -> BookingLine:
    booking = await _own_booking(runtime, user, path_id(booking_id))
    (line,) = await _booking_lines(runtime, user, [booking], viewer.language)
    return line


@get("/me/bookings/{booking_id:str}/cancel", include_in_schema=False)
async def cancel_form(booking_id: FromPath[str], request: Request, runtime: RuntimeDep,
                      user: UserDep) -> Response:
    """The confirmation, which says plainly when cancelling now is late (and so not refunded)."""
    viewer = page_viewer(request, user)
    line = await _own_line(runtime, user, booking_id, viewer)
    return render(viewer, "participant/cancel.html", line=line, stripe=Payment.stripe)


@post("/me/bookings/{booking_id:str}/cancel", include_in_schema=False, back_to=lambda p: f"/me/bookings/{path_id(p['booking_id'])}/cancel")
async def cancel(booking_id: FromPath[str], request: Request, runtime: RuntimeDep,
                 user: UserDep) -> Response:
    booking = await _own_booking(runtime, user, path_id(booking_id))
    try:
        cancelled = await booking_service.cancel_booking(runtime, user, booking.id)
    except DomainError as error:
        return see_other(MY_BOOKINGS, runtime.settings, flash=_refusal(error), notice=True)
    flash = (N_("Your booking is cancelled. It was after the cancellation deadline, so it counts as late.")
             if cancelled.late_cancellation else N_("Your booking is cancelled. Thank you for freeing your seats."))
    return see_other(MY_BOOKINGS, runtime.settings, flash=flash)


@get("/me/bookings/{booking_id:int}/pay", include_in_schema=False)
async def pay(booking_id: FromPath[int], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The emailed payment link: 303 to the hold's Stripe Checkout page, opened now if needed
    (an id that is not plain digits names nothing: 404)."""
    settings = runtime.settings
    try:
        booking = await booking_checkout.checkout_for_participant(runtime, user, ensure_id(booking_id, "booking"))
    except PaymentProviderUnavailable:
        return see_other("/me/bookings", settings,
                         flash=N_("Online payment is not answering right now: your seats were released. "
                                  "Please try booking again in a few minutes."))
    if booking is None or not booking.checkout_url:
        return see_other("/me/bookings", settings, flash=N_("This booking is not waiting for a payment."))
    return Redirect(booking.checkout_url, status_code=303, headers={"Cache-Control": "no-store"})



# -------------------------------------------------------------------------------- my waitlist

@dataclass(frozen=True)
class EntryLine:
    """One waitlist entry of the participant, with its session and workshop."""

    entry: WaitlistEntry
    session: Any
    workshop: Any
    when: tuple[str, str]
    offer_expires: str | None
    started: bool  # the session has begun: an entry still open there will get no seat


async def _entry_lines(entries: list[WaitlistEntry], user: CurrentUser, language: str,
                       now: dt.datetime) -> list[EntryLine]:
    sessions = await workshops_service.get_sessions([e.session_id for e in entries])
    workshops = await workshops_service.get_workshops([s.workshop_id for s in sessions.values()])
    zone, lines = zone_of(user.timezone), []
    for entry in entries:
        session = sessions.get(entry.session_id)
        workshop = workshops.get(session.workshop_id) if session else None
        if session is not None and workshop is not None:
            lines.append(EntryLine(entry=entry, session=session, workshop=workshop,
                                   when=span(session.starts_at, session.ends_at, zone, language),
                                   offer_expires=moment(entry.offer_expires_at, zone, language)
                                   if entry.offer_expires_at else None, started=session.starts_at <= now))
    return lines


@get(MY_WAITLIST, include_in_schema=False)
async def my_waitlist(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    viewer = page_viewer(request, user)
    found = await booking_service.my_waitlist(runtime, user, SHOWN, 0)
    entries = await _entry_lines(found.items, user, viewer.language, runtime.clock.now())
    return render(viewer, "participant/my_waitlist.html", entries=entries,
                  more=max(0, found.total - len(found.items)), statuses=ENTRY_STATUSES,
                  waiting=WaitlistStatus.waiting, offered=WaitlistStatus.offered, booked=WaitlistStatus.booked)


@get("/me/waitlist/{entry_id:int}", include_in_schema=False)
async def waitlist_entry_page(entry_id: FromPath[int], request: Request, runtime: RuntimeDep,
                              user: UserDep) -> Response:
    """One waitlist entry, where the `waitlist_offer` email leads: an open offer with Accept and
    Decline, else what became of it. Someone else's entry is 404."""
    viewer = page_viewer(request, user)
    entry = await booking_service.my_waitlist_entry(runtime, user, entry_id)
    lines = await _entry_lines([entry], user, viewer.language, runtime.clock.now())
    if not lines:
        raise NotFound(f"No waitlist entry {entry_id}.")
    return render(viewer, "participant/waitlist_entry.html", line=lines[0], statuses=ENTRY_STATUSES,
                  waiting=WaitlistStatus.waiting, offered=WaitlistStatus.offered, booked=WaitlistStatus.booked)


@post("/me/waitlist/{entry_id:str}/accept", include_in_schema=False,
      back_to=lambda p: f"/me/waitlist/{path_id(p['entry_id'])}")
async def accept_offer(entry_id: FromPath[str], request: Request, runtime: RuntimeDep,
                       user: UserDep) -> Response:
    try:
        booking = await booking_service.accept_offer(runtime, user, path_id(entry_id))
    except DomainError as error:
        return see_other(MY_WAITLIST, runtime.settings, flash=_refusal(error), notice=True)
    session, workshop = await _session_and_workshop(runtime, str(booking.session_id), user)
    return _after_booking(runtime, booking, booking_rules.is_late_cancellation(
        session.starts_at, workshop.cancellation_deadline_hours, runtime.clock.now()))


async def _leave(entry_id: str, runtime: Runtime, user: CurrentUser, flash: str) -> Response:
    try:
        await booking_service.leave_waitlist(runtime, user, path_id(entry_id))
    except DomainError as error:
        return see_other(MY_WAITLIST, runtime.settings, flash=_refusal(error), notice=True)
    return see_other(MY_WAITLIST, runtime.settings, flash=flash)


@post("/me/waitlist/{entry_id:str}/decline", include_in_schema=False,
      back_to=lambda p: f"/me/waitlist/{path_id(p['entry_id'])}")
async def decline_offer(entry_id: FromPath[str], runtime: RuntimeDep, user: UserDep) -> Response:
    """Declining an offer is leaving the waitlist: the seats go to the next in line."""
    return await _leave(entry_id, runtime, user, N_("Offer declined: the seats go to the next person in line."))


@post("/me/waitlist/{entry_id:str}/leave", include_in_schema=False, back_to=MY_WAITLIST)
async def leave_waitlist(entry_id: FromPath[str], runtime: RuntimeDep, user: UserDep) -> Response:
    return await _leave(entry_id, runtime, user, N_("You have left the waitlist."))


# ---------------------------------------------------------------------------------- feedback

class _FeedbackForm:
    """A booking's feedback form, reached by the emailed link or from my bookings; `refusal`
    is the page to answer instead, if any (for a client that does not ask for HTML, the
    refusal is raised as the API's problem)."""

    def __init__(self, runtime: Runtime, request: Request, viewer: Viewer, action: str) -> None:
        self.runtime, self.request, self.viewer, self.action = runtime, request, viewer, action
        self.html = wants_html(request)
        self.view: Any = None
        self.refusal: Response | None = None

    def check(self, view: Any, expires_at: dt.datetime | None = None) -> _FeedbackForm:
        """Whether the booking `view` (`feedback.link_view`) may be rated now; `expires_at` is
        the signed link's own deadline."""
        self.view = view
        if view is None:
            self.refusal = self.invalid()
            return self
        if view["p_deleted_at"] is not None:  # the link dies with its participant's account
            self.refusal = self.gone()
            return self
        if view["f_id"] is not None:
            return self  # used: the GET says thank you, a POST that it was already received
        now = self.runtime.clock.now()
        ends_at = as_datetime(view["s_ends_at"])
        if (expires_at is not None and now > expires_at) or now > booking_rules.feedback_closes_at(ends_at):
            self.refusal = self.expired()
        elif now < ends_at:
            self.refusal = self.not_open()
        elif view["b_status"] != BookingStatus.confirmed or view["b_attendance"] == Attendance.no_show or view["b_user"] == view["h_id"]:
            self.refusal = self.cannot()
        return self

    def notice(self, status: int, heading: str, message: str, **values: Any) -> Response:
        response = render(self.viewer, "participant/feedback_notice.html", status=status,
                          heading=heading, message=message, values=values)
        response.headers["Referrer-Policy"] = "no-referrer"  # the emailed link's URL is its credential
        return response

    def _page(self, error: DomainError, status: int, heading: str, message: str, **values: Any) -> Response:
        if not self.html:
            raise error
        return self.notice(status, heading, message, **values)

    def invalid(self) -> Response:
        return self._page(NotFound("no such feedback link"), 404, N_("Link not valid"),
                          N_("This link is not valid. Please open it exactly as it appears in the email."))

    def gone(self) -> Response:
        return self._page(NotFound("this feedback link is no longer valid"), 404, N_("Link not valid"),
                          N_("This link is no longer valid: the account it was sent to has been deleted."))

    def expired(self) -> Response:
        return self._page(InvalidState("this feedback link has expired"), 410, N_("Link expired"),
                          N_("This feedback link has expired: feedback can be given until 30 days after the session."))

    def not_open(self) -> Response:
        return self._page(FeedbackNotOpen("feedback opens when the session ends"), 409, N_("Not yet"),
                          N_("The feedback form opens when the session ends."))

    def cannot(self) -> Response:
        return self._page(Forbidden("this booking cannot be rated"), 403, N_("Feedback not possible"),
                          N_("This booking cannot be rated."))

    def thanks(self) -> Response:
        return self.notice(200, N_("Thank you!"), N_("Your feedback on “%(title)s” has been received: %(rating)s out of 5."),
                           title=self.view["w_title"], rating=self.view["f_rating"])

    def already(self, status: int) -> Response:
        return self._page(FeedbackExists("feedback was already given for this booking"), status, N_("Already received"),
                          N_("Your feedback on “%(title)s” was already received. Thank you!"), title=self.view["w_title"])

    def busy(self, error: StoreUnavailable) -> Response:
        response = self._page(error, 503, N_("Please try again"),
                              N_("The service is busy; nothing was recorded. Please try again in a moment."))
        response.headers["Retry-After"] = "2"
        return response

    def form(self, status: int = 200, error: str | None = None, rating: str = "", comment: str = "") -> Response:
        field = "rating" if error == "rating" else "comment"
        if error and not self.html:
            message = FEEDBACK_ERRORS[error] % {"max": COMMENT_MAX} if error == "comment" else FEEDBACK_ERRORS[error]
            raise ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}])
        view = self.view
        zone = zone_of(view["p_timezone"])  # the participant's, who rates
        response = render(
            self.viewer, "participant/feedback_form.html", status=status,
            workshop_title=view["w_title"], host=view["h_display_name"], action=self.action,
            when=moment(as_datetime(view["s_starts_at"]), zone, self.viewer.language),
            error=FEEDBACK_ERRORS[error] if error else None, error_field=field, rating=rating,
            comment=comment, comment_max=COMMENT_MAX)
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def submit(self, user_id: int) -> Response | None:
        """Records the form's rating and comment: None when done, else the page to answer."""
        form = await self.request.form()
        # browsers send a textarea's line breaks as CRLF, which its maxlength counts as one character
        rating, comment = str(form.get("rating") or ""), str(form.get("comment") or "").replace("\r\n", "\n")
        if rating not in ("1", "2", "3", "4", "5"):
            return self.form(400, "rating", rating, comment)
        if len(comment) > COMMENT_MAX:
            return self.form(400, "comment", rating, comment)
        try:
            await feedback.give(self.runtime, user_id, self.view["b_id"], int(rating), comment)
        except FeedbackExists:
            return self.already(409)
        except FeedbackNotOpen:
            return self.not_open()
        except ValidationFailed:
            return self.form(400, "characters", rating, comment)
        except InvalidState:
            return self.expired()
        except Forbidden:
            return self.cannot()
        except NotFound:
            return self.invalid()
        except StoreUnavailable as busy:
            return self.busy(busy)
        return None


def _link_viewer(request: Request, user: CurrentUser | None, language: str, secret_key: str) -> Viewer:
    """The emailed link's page is in the participant's language; its forms carry the CSRF token
    only for a browser with a session cookie (the middleware asks it of those posts)."""
    session = Cookies.of_headers(request.headers).get(cookie_name(SESSION_COOKIE, settings_of(request)))
    token = csrf_token_for(session, secret_key) if session else ""
    return Viewer(language=language, csrf_token=token, user=user if token else None, path=request.url.path)


async def _link_form(token: str, request: Request, runtime: Runtime, user: CurrentUser | None) -> _FeedbackForm:
    """The form of an emailed link: its booking if the signature holds, in its participant's language."""
    key = runtime.settings.secret_key
    try:
        claim: feedback.LinkClaim | None = feedback.read_token(key, token)
    except feedback.BadLink:
        claim = None
    view = await feedback.link_view(claim.booking_id) if claim else None
    language = language_of(view["p_locale"]) if view else chosen_language(request)
    page = _FeedbackForm(runtime, request, _link_viewer(request, user, language, key), f"/feedback/{token}")
    return page.check(view, claim.expires_at if claim else None)


async def _my_form(booking_id: str, request: Request, runtime: Runtime, user: CurrentUser) -> _FeedbackForm:
    """The form of one of the user's bookings (anyone else's is a 404)."""
    number = path_id(booking_id)
    view = await feedback.link_view(number)
    if view is None or view["b_user"] != user.id:
        raise NotFound("No such booking.")
    page = _FeedbackForm(runtime, request, page_viewer(request, user), f"/me/bookings/{number}/feedback")
    return page.check(view)


@get("/feedback/{token:str}", include_in_schema=False)
async def feedback_page(token: FromPath[str], request: Request, runtime: RuntimeDep,
                        maybe_user: MaybeUserDep) -> Response:
    page = await _link_form(token, request, runtime, maybe_user)
    if page.refusal is not None:
        return page.refusal
    return page.thanks() if page.view["f_id"] is not None else page.form()


@post("/feedback/{token:str}", include_in_schema=False, status_code=303)
async def feedback_submit(token: FromPath[str], request: Request, runtime: RuntimeDep,
                          maybe_user: MaybeUserDep) -> Response:
    page = await _link_form(token, request, runtime, maybe_user)
    if page.refusal is not None:
        return page.refusal
    if page.view["f_id"] is not None:
        return page.already(409)
    refused = await page.submit(page.view["b_user"])
    if refused is not None:
        return refused
    response = see_other(f"/feedback/{token}", runtime.settings)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@get("/me/bookings/{booking_id:str}/feedback", include_in_schema=False)
async def my_feedback_page(booking_id: FromPath[str], request: Request, runtime: RuntimeDep,
                           user: UserDep) -> Response:
    page = await _my_form(booking_id, request, runtime, user)
    if page.refusal is not None:
        return page.refusal
    return page.thanks() if page.view["f_id"] is not None else page.form()


@post("/me/bookings/{booking_id:str}/feedback", include_in_schema=False, back_to=lambda p: f"/me/bookings/{path_id(p['booking_id'])}/feedback")
async def my_feedback_submit(booking_id: FromPath[str], request: Request, runtime: RuntimeDep,
                             user: UserDep) -> Response:
    page = await _my_form(booking_id, request, runtime, user)
    if page.refusal is not None:
        return page.refusal
    if page.view["f_id"] is not None:
        return page.already(409)
    refused = await page.submit(user.id)
    return refused or see_other(MY_BOOKINGS, runtime.settings, flash=N_("Thank you for your feedback!"))


ROUTES = [feedback_page, feedback_submit, book, join_waitlist, my_bookings, cancel_form, cancel, pay,
          my_waitlist, waitlist_entry_page, accept_offer, decline_offer, leave_waitlist, my_feedback_page, my_feedback_submit]
