"""Pure rules: reminder windows, back-off, what counts as a permanent rejection."""
from __future__ import annotations

import datetime as dt

import aiosmtplib
import pytest

from notify.mailers import PermanentDeliveryError, SmtpConfig
from notify.outbox import is_permanent, retry_delay
from notify.rules import feedback_window, reminder_wanted, reminder_windows, roster_window

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)


class TestReminderWindows:
    def test_each_offset_covers_up_to_the_next_smaller_one(self):
        windows = reminder_windows([2 * H, 24 * H], NOW)
        assert [(w.offset, w.starts_after, w.starts_until) for w in windows] == [
            (24 * H, NOW + 2 * H, NOW + 24 * H),
            (2 * H, NOW, NOW + 2 * H),
        ]
        assert [w.offset_seconds for w in windows] == [86400, 7200]

    def test_a_session_is_in_exactly_one_window_until_it_starts(self):
        windows = reminder_windows([24 * H, 2 * H, 30 * dt.timedelta(minutes=1)], NOW)
        for minutes in range(1, 24 * 60 + 1, 7):
            starts = NOW + dt.timedelta(minutes=minutes)
            inside = [w for w in windows if w.starts_after < starts <= w.starts_until]
            assert len(inside) == 1
        assert not [w for w in windows if w.starts_after < NOW <= w.starts_until]

    def test_zero_and_duplicate_offsets_are_ignored(self):
        assert [w.offset for w in reminder_windows([H, H, dt.timedelta(0)], NOW)] == [H]

    def test_no_reminder_whose_moment_passed_before_the_booking(self):
        starts = NOW + 10 * H
        assert not reminder_wanted(starts, booked_at=NOW, offset=24 * H)
        assert reminder_wanted(starts, booked_at=NOW, offset=2 * H)
        assert not reminder_wanted(starts, booked_at=starts - 2 * H, offset=2 * H)

    def test_roster_window_is_the_smallest_offset(self):
        assert roster_window([2 * H, 24 * H], NOW) == (NOW, NOW + 2 * H)
        assert roster_window([], NOW) is None

    def test_feedback_window_ends_one_delay_ago(self):
        earliest, latest = feedback_window(NOW, H)
        assert latest == NOW - H and earliest < latest


class TestRetryDelay:
    def test_first_retry_within_30_seconds(self):
        assert dt.timedelta(0) < retry_delay(1) <= dt.timedelta(seconds=30)

    def test_grows_and_never_exceeds_ten_minutes(self):
        delays = [retry_delay(n) for n in range(1, 200)]
        assert delays == sorted(delays)
        assert delays[1] > delays[0]
        assert max(delays) == dt.timedelta(minutes=10)


class TestPermanentFailure:
    def test_5xx_recipient_rejection_is_permanent(self):
        refused = aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@example.org")
        assert is_permanent(aiosmtplib.SMTPRecipientsRefused([refused]))
        assert is_permanent(refused)
        assert is_permanent(aiosmtplib.SMTPDataError(554, "rejected"))
        assert is_permanent(PermanentDeliveryError("nope"))

    @pytest.mark.parametrize("exc", [
        aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "busy", "x@e.org")]),
        aiosmtplib.SMTPDataError(451, "try later"),
        aiosmtplib.SMTPConnectError("refused"),
        aiosmtplib.SMTPServerDisconnected("gone"),
        aiosmtplib.SMTPAuthenticationError(535, "bad credentials"),
        ConnectionRefusedError(),
        TimeoutError(),
    ])
    def test_temporary_or_relay_wide_failures_are_retried(self, exc):
        assert not is_permanent(exc)


class TestSmtpUrl:
    def test_plain(self):
        c = SmtpConfig.from_url("smtp://mail.example.org:2525")
        assert (c.hostname, c.port, c.username, c.use_tls, c.start_tls) == (
            "mail.example.org", 2525, None, False, False)

    def test_starttls_with_url_encoded_credentials(self):
        c = SmtpConfig.from_url("smtp+starttls://me%40example.org:p%3Ass%20w@relay:587")
        assert (c.username, c.password, c.start_tls, c.use_tls, c.port) == (
            "me@example.org", "p:ss w", True, False, 587)

    def test_implicit_tls_default_port(self):
        c = SmtpConfig.from_url("smtps://u:p@relay")
        assert (c.port, c.use_tls, c.start_tls) == (465, True, False)

    def test_unknown_scheme(self):
        with pytest.raises(ValueError):
            SmtpConfig.from_url("http://relay")
