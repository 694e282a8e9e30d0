"""Pure rules of attendance and feedback: check-in codes as typed, who manages a session, the
marking and feedback windows, comments, and the signed feedback link."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from booking import feedback, ops, rules
from kernel.errors import Forbidden, InvalidState, ValidationFailed

UTC = dt.timezone.utc
START = dt.datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
END = START + dt.timedelta(hours=2)
KEY = "a-secret-key-of-at-least-thirty-two-characters"


def facts(**overrides):
    values = dict(id=1, workshop_id=1, host_id=10, community_id=1, starts_at=START, ends_at=END,
                  timezone="Europe/Paris", capacity=5, status="scheduled", sequence=0,
                  workshop_status="published", payment="free", price_cents=0, currency="eur",
                  max_seats_per_booking=4, waitlist_enabled=True, waitlist_mode="auto", offer_ttl_minutes=60,
                  cancellation_deadline_hours=24)
    values.update(overrides)
    return rules.SessionFacts(**values)


class TestCheckinCodes:
    def test_new_codes_hold_80_random_bits_in_a_readable_alphabet(self):
        codes = {ops.new_checkin_code() for _ in range(500)}
        assert len(codes) == 500
        for code in codes:
            groups = code.split("-")
            assert [len(g) for g in groups] == [4, 4, 4, 4]
            assert set("".join(groups)) <= set(rules.CODE_ALPHABET)
        assert len(rules.CODE_ALPHABET) == 32 and math.log2(32) * 16 >= 64

    @pytest.mark.parametrize("typed", ["ABCD-EFGH-JKMN-PQRS", "abcd efgh jkmn pqrs", " abcdefghjkmnpqrs ",
                                       "ABCD-EFGH-JKMN-PQRS\n"])
    def test_typed_loosely(self, typed):
        assert rules.normalise_checkin_code(typed) == "ABCD-EFGH-JKMN-PQRS"

    def test_misread_letters_count_as_the_digits_they_look_like(self):
        assert rules.normalise_checkin_code("O0IL-0000-1111-2222") == "0011-0000-1111-2222"

    @pytest.mark.parametrize("typed", ["", "ABC", "ABCD-EFGH-JKMN-PQRSX", "ABCD-EFGH-JKMN-PQR!", "ABCD-EFGH-JKMN-PQRU"])
    def test_not_one_of_ours(self, typed):
        assert rules.normalise_checkin_code(typed) is None


class TestWhoManages:
    def test_host_organizer_admin(self):
        assert rules.manager_role(10, 10, False, False) == "host"
        assert rules.manager_role(11, 10, True, False) == "organizer"
        assert rules.manager_role(12, 10, False, True) == "admin"
        with pytest.raises(Forbidden):
            rules.manager_role(13, 10, False, False)


class TestMarkingWindow:
    @pytest.mark.parametrize(("now", "open_"), [
        (START - dt.timedelta(hours=1, microseconds=1), False), (START - dt.timedelta(hours=1), True),
        (END + dt.timedelta(days=7), True), (END + dt.timedelta(days=7, microseconds=1), False),
    ])
    def test_edges(self, now, open_):
        if open_:
            rules.ensure_marks_open(facts(), now)
        else:
            with pytest.raises(InvalidState):
                rules.ensure_marks_open(facts(), now)

    def test_not_for_a_cancelled_session(self):
        with pytest.raises(InvalidState):
            rules.ensure_marks_open(facts(status="cancelled"), START)

    @pytest.mark.parametrize("status", ["pending_payment", "cancelled", "expired"])
    def test_only_confirmed_bookings(self, status):
        with pytest.raises(InvalidState):
            rules.ensure_markable(status)


class TestFeedbackRules:
    def test_window(self):
        from booking.errors import FeedbackExists, FeedbackNotOpen

        with pytest.raises(FeedbackNotOpen):
            rules.ensure_feedback_window(END, END - dt.timedelta(microseconds=1), exists=False)
        rules.ensure_feedback_window(END, END, exists=False)
        rules.ensure_feedback_window(END, END + dt.timedelta(days=30), exists=False)
        with pytest.raises(InvalidState):
            rules.ensure_feedback_window(END, END + dt.timedelta(days=30, microseconds=1), exists=False)
        with pytest.raises(FeedbackExists):
            rules.ensure_feedback_window(END, END, exists=True)

    @pytest.mark.parametrize(("kwargs", "allowed"), [
        (dict(user_id=1, participant_id=1, host_id=10, status="confirmed", attendance="attended"), True),
        (dict(user_id=1, participant_id=1, host_id=10, status="confirmed", attendance="unknown"), True),
        (dict(user_id=1, participant_id=1, host_id=10, status="confirmed", attendance="no_show"), False),
        (dict(user_id=1, participant_id=1, host_id=10, status="cancelled", attendance="unknown"), False),
        (dict(user_id=1, participant_id=1, host_id=10, status="expired", attendance="unknown"), False),
        (dict(user_id=2, participant_id=1, host_id=10, status="confirmed", attendance="unknown"), False),
        (dict(user_id=10, participant_id=10, host_id=10, status="confirmed", attendance="unknown"), False),
    ])
    def test_who_may_rate(self, kwargs, allowed):
        if allowed:
            rules.ensure_may_give_feedback(**kwargs)
        else:
            with pytest.raises(Forbidden):
                rules.ensure_may_give_feedback(**kwargs)

    def test_comments(self):
        assert rules.clean_comment("  Bien\r\nmerci\t! ") == "Bien\nmerci\t!"
        assert rules.clean_comment("<b>&</b>") == "<b>&</b>"  # plain text: escaped where shown
        for bad in ("bell\x07", "nul\x00", "del\x7f"):
            with pytest.raises(ValidationFailed):
                rules.clean_comment(bad)


class TestFeedbackLink:
    def test_round_trip_until_the_window_closes(self):
        token = feedback.link_token(KEY, 42, END)
        claim = feedback.read_token(KEY, token)
        assert claim.booking_id == 42 and claim.expires_at == END + dt.timedelta(days=30)

    @pytest.mark.parametrize("change", ["booking", "expiry", "signature", "key", "shape"])
    def test_tampered_tokens_are_refused(self, change):
        token = feedback.link_token(KEY, 42, END)
        _booking, expires, signature = token.split(".")
        forged = {"booking": f"43.{expires}.{signature}", "expiry": f"42.{int(expires) + 1}.{signature}",
                  "signature": f"42.{expires}.{signature[::-1]}", "key": feedback.link_token(KEY + "x", 42, END),
                  "shape": f"42.{expires}"}[change]
        with pytest.raises(feedback.BadLink):
            feedback.read_token(KEY, forged)

    @pytest.mark.parametrize("token", ["", "..", "٤٢.1.x", "1.2.3.4", "a.b.c", "1" * 11 + ".1.x"])
    def test_garbage(self, token):
        with pytest.raises(feedback.BadLink):
            feedback.read_token(KEY, token)


def test_the_access_log_hides_feedback_links():
    from alveole.cli import _redacted

    assert _redacted('"POST /feedback/4.1799.abc_D-e HTTP/1.1" 303') == '"POST /feedback/*** HTTP/1.1" 303'
    assert _redacted("GET /api/v1/workshops/3/feedback") == "GET /api/v1/workshops/3/feedback"
