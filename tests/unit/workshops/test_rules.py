"""Pure rules of workshops and sessions: fields, lifecycle, times, RRULE expansion, geography, filters."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kernel.errors import InvalidState, ValidationFailed
from workshops import rules
from workshops.rules import VenueFields, WorkshopFields

UTC = dt.timezone.utc
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VENUE = VenueFields(name="Maison du quartier", address="12 rue de Belleville, Paris", lat=48.872, lon=2.377)


def fields(**overrides) -> WorkshopFields:
    base = WorkshopFields(title="Fix your bike", summary="Brakes and gears", category="repair", capacity=8,
                          venue=VENUE)
    return dataclasses.replace(base, **overrides)


def problem_fields(f: WorkshopFields) -> list[str]:
    return [p.field for p in rules.check_workshop(f)]


def field_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return exc.value.extra["errors"][0]["field"]


class TestCheckWorkshop:
    def test_a_complete_free_workshop_is_valid(self):
        assert rules.check_workshop(fields()) == []

    def test_a_venue_or_an_online_url_is_required(self):
        assert problem_fields(fields(venue=None)) == ["venue"]
        assert rules.check_workshop(fields(venue=None, online_url="https://meet.example.org/x")) == []

    def test_online_url_must_be_http(self):
        assert problem_fields(fields(online_url="javascript:alert(1)")) == ["online_url"]
        assert problem_fields(fields(online_url="https://")) == ["online_url"]

    def test_free_costs_nothing(self):
        assert problem_fields(fields(payment="free", price_cents=500)) == ["price_cents"]

    @pytest.mark.parametrize("payment", ["on_site", "stripe"])
    def test_paying_workshops_have_a_positive_price(self, payment):
        assert problem_fields(fields(payment=payment, price_cents=0)) == ["price_cents"]
        assert problem_fields(fields(payment=payment, price_cents=-5)) == ["price_cents"]
        assert rules.check_workshop(fields(payment=payment, price_cents=1500)) == []

    def test_unknown_payment(self):
        assert problem_fields(fields(payment="barter")) == ["payment"]

    @pytest.mark.parametrize("code", ["EUR", "eur", "Chf", "JPY"])
    def test_currency_any_case(self, code):
        assert rules.check_workshop(fields(currency=code)) == []
        assert rules.normalise_currency(code) == code.lower()

    @pytest.mark.parametrize("code", ["XYZ", "EURO", "€", "", "e1r"])
    def test_currency_must_be_iso_4217(self, code):
        assert problem_fields(fields(currency=code)) == ["currency"]
        assert rules.normalise_currency(code) is None

    @pytest.mark.parametrize("name,value", [
        ("capacity", 0), ("capacity", rules.CAPACITY_MAX + 1), ("max_seats_per_booking", 0),
        ("waitlist.offer_ttl_minutes", 0), ("cancellation_deadline_hours", -1),
    ])
    def test_integer_ranges(self, name, value):
        attribute = name.replace("waitlist.", "")
        assert problem_fields(fields(**{attribute: value})) == [name]

    def test_one_seat_per_booking_is_enough(self):
        assert rules.check_workshop(fields(max_seats_per_booking=1, capacity=1)) == []

    @pytest.mark.parametrize("lat,lon,bad", [
        (90.5, 2.0, "venue.lat"), (-91, 2.0, "venue.lat"), (48.0, 180.1, "venue.lon"),
        (48.0, -181, "venue.lon"), (float("nan"), 2.0, "venue.lat"),
    ])
    def test_coordinates_in_range(self, lat, lon, bad):
        venue = VenueFields(name="Hall", address="Somewhere", lat=lat, lon=lon)
        assert problem_fields(fields(venue=venue)) == [bad]

    def test_coordinates_come_in_pairs(self):
        assert problem_fields(fields(venue=VenueFields(name="Hall", address="x", lat=48.0))) == ["venue.lon"]

    def test_extreme_coordinates_are_fine(self):
        venue = VenueFields(name="Pole", address="North", lat=90, lon=-180)
        assert rules.check_workshop(fields(venue=venue)) == []

    def test_texts(self):
        assert problem_fields(fields(title="  ")) == ["title"]
        assert problem_fields(fields(category="x" * 41)) == ["category"]
        assert rules.check_workshop(fields(category="x" * 40)) == []
        assert problem_fields(fields(tags=("ok", " "))) == ["tags[1]"]
        assert problem_fields(fields(language="French")) == ["language"]
        assert rules.check_workshop(fields(language="pt-BR")) == []

    def test_waitlist_mode(self):
        assert problem_fields(fields(waitlist_mode="lottery")) == ["waitlist.mode"]

    def test_every_problem_is_reported(self):
        assert problem_fields(fields(title="", capacity=0, venue=None)) == ["title", "venue", "capacity"]

    def test_validation_error_names_fields(self):
        error = rules.validation_error([rules.FieldProblem("capacity", "too small")])
        assert error.status == 400 and error.slug == "validation-error"
        assert error.extra["errors"] == [{"field": "capacity", "message": "too small"}]
        assert "capacity" in error.detail


class TestLifecycle:
    @pytest.mark.parametrize("status", ["draft", "rejected"])
    def test_submit_goes_to_moderation(self, status):
        assert rules.status_after_submit(status, moderation=True) == "submitted"

    def test_submit_publishes_without_moderation(self):
        assert rules.status_after_submit("draft", moderation=False) == "published"

    @pytest.mark.parametrize("status", ["submitted", "published", "cancelled", "archived"])
    def test_submit_from_other_states_is_refused(self, status):
        with pytest.raises(InvalidState):
            rules.status_after_submit(status, moderation=True)

    @pytest.mark.parametrize("status", ["draft", "published", "rejected", "cancelled", "archived"])
    def test_only_submitted_ones_are_moderated(self, status):
        with pytest.raises(InvalidState):
            rules.check_can_moderate(status)
        rules.check_can_moderate("submitted")

    def test_a_published_one_is_moderated_while_a_revision_waits(self):
        rules.check_can_moderate("published", pending_revision=True)
        for status in ("draft", "rejected", "cancelled", "archived"):
            with pytest.raises(InvalidState):
                rules.check_can_moderate(status, pending_revision=True)

    def test_closed_workshops_cannot_change(self):
        for status in ("cancelled", "archived"):
            with pytest.raises(InvalidState):
                rules.check_open_for_changes(status)
        rules.check_open_for_changes("published")

    def test_reason(self):
        assert rules.check_reason("  too vague  ") == "too vague"
        for bad in ("", "   ", "x" * 1001):
            with pytest.raises(ValidationFailed) as exc:
                rules.check_reason(bad)
            assert field_of(exc) == "reason"

    def test_place_changed(self):
        assert not rules.place_changed((VENUE, None), (VENUE, None))
        moved = dataclasses.replace(VENUE, address="3 rue Ramponeau")
        assert rules.place_changed((VENUE, None), (moved, None))
        assert rules.place_changed((VENUE, None), (VENUE, "https://meet.example.org"))
        assert rules.place_changed((VENUE, None), (None, "https://meet.example.org"))
        assert rules.place_changed((VENUE, None), (dataclasses.replace(VENUE, lat=48.873), None))
        assert rules.place_changed((VENUE, None), (dataclasses.replace(VENUE, lat=None, lon=None), None))

    def test_the_same_place_resent_is_no_change(self):
        stored = dataclasses.replace(VENUE, lat=48.87200164794922, lon=2.3770000934600830)  # float4 noise
        resent = dataclasses.replace(VENUE, name=" Maison du quartier ")
        assert not rules.place_changed((stored, None), (resent, None))
        assert not rules.place_changed((None, "https://a.example"), (None, "https://a.example"))


class TestSessionTimes:
    def test_naive_times_are_read_in_the_session_zone(self):
        start, end = rules.validate_session_times(
            dt.datetime(2026, 12, 5, 14, 0), dt.datetime(2026, 12, 5, 16, 0), "Europe/Paris", NOW)
        assert start == dt.datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
        assert end == dt.datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
        assert start.tzinfo == UTC

    def test_offsets_win_over_the_zone(self):
        start, _ = rules.validate_session_times(
            dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.datetime(2026, 12, 5, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), "Europe/Paris", NOW)
        assert start == dt.datetime(2026, 12, 5, 19, 0, tzinfo=UTC)

    @pytest.mark.parametrize("starts,ends,tz,bad", [
        (dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 5, 14), "Europe/Paris", "ends_at"),
        (dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 5, 13), "Europe/Paris", "ends_at"),
        (dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 12, 14, 1), "Europe/Paris", "ends_at"),
        (dt.datetime(2026, 11, 30, 14), dt.datetime(2026, 11, 30, 16), "Europe/Paris", "starts_at"),
        (dt.datetime(2026, 12, 1, 10, 0), dt.datetime(2026, 12, 1, 11), "Europe/Paris", "starts_at"),
        (dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 5, 16), "Mars/Olympus", "timezone"),
        (dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 5, 16), "../../etc/passwd", "timezone"),
        (dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 5, 16), "", "timezone"),
    ])
    def test_bad_times_name_the_field(self, starts, ends, tz, bad):
        with pytest.raises(ValidationFailed) as exc:
            rules.validate_session_times(starts, ends, tz, NOW)
        assert field_of(exc) == bad

    def test_seven_days_is_the_longest(self):
        rules.validate_session_times(dt.datetime(2026, 12, 5, 14), dt.datetime(2026, 12, 12, 14),
                                     "Europe/Paris", NOW)


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(UTC)


class TestExpandRrule:
    def test_weekly_count(self):
        got = rules.expand_rrule("FREQ=WEEKLY;COUNT=4", paris(2026, 12, 5, 14), paris(2026, 12, 5, 16),
                                 "Europe/Paris")
        assert [s for s, _ in got] == [paris(2026, 12, d, 14) for d in (5, 12, 19, 26)]
        assert all(e - s == dt.timedelta(hours=2) for s, e in got)

    def test_rrule_prefix_is_accepted(self):
        got = rules.expand_rrule("RRULE:FREQ=DAILY;COUNT=2", paris(2026, 12, 5, 14), paris(2026, 12, 5, 16),
                                 "Europe/Paris")
        assert len(got) == 2

    def test_wall_clock_time_is_kept_across_dst(self):
        # Paris leaves winter time on 28 March 2027: 14:00 local stays 14:00, so UTC moves an hour
        got = rules.expand_rrule("FREQ=WEEKLY;COUNT=3", paris(2027, 3, 21, 14), paris(2027, 3, 21, 16),
                                 "Europe/Paris")
        starts = [s for s, _ in got]
        assert starts == [dt.datetime(2027, 3, 21, 13, tzinfo=UTC), dt.datetime(2027, 3, 28, 12, tzinfo=UTC),
                          dt.datetime(2027, 4, 4, 12, tzinfo=UTC)]
        assert [s.astimezone(PARIS).hour for s in starts] == [14, 14, 14]
        assert all(e - s == dt.timedelta(hours=2) for s, e in got)

    def test_autumn_change_too(self):
        got = rules.expand_rrule("FREQ=WEEKLY;COUNT=2", paris(2027, 10, 24, 10), paris(2027, 10, 24, 11),
                                 "Europe/Paris")
        assert [s.astimezone(PARIS).hour for s, _ in got] == [10, 10]
        assert got[1][0] - got[0][0] == dt.timedelta(days=7, hours=1)

    # finding 15: more than the cap is refused, naming it, never silently cut to 52
    @pytest.mark.parametrize("rule", ["FREQ=DAILY", "FREQ=WEEKLY;COUNT=100", "FREQ=DAILY;UNTIL=20270401"])
    def test_more_than_52_is_refused_naming_the_cap(self, rule):
        with pytest.raises(ValidationFailed) as exc:
            rules.expand_rrule(rule, paris(2026, 12, 5, 14), paris(2026, 12, 5, 15), "Europe/Paris", now=NOW)
        assert field_of(exc) == "rrule" and "52" in exc.value.detail

    def test_exactly_52_is_fine(self):
        got = rules.expand_rrule("FREQ=WEEKLY;COUNT=52", paris(2026, 12, 5, 14), paris(2026, 12, 5, 15),
                                 "Europe/Paris", now=NOW)
        assert len(got) == 52

    @pytest.mark.parametrize("until", ["20261219", "20261219T140000", "20261219T130000Z"])
    def test_until_forms(self, until):
        got = rules.expand_rrule(f"FREQ=WEEKLY;UNTIL={until}", paris(2026, 12, 5, 14), paris(2026, 12, 5, 15),
                                 "Europe/Paris")
        assert [s for s, _ in got] == [paris(2026, 12, 5, 14), paris(2026, 12, 12, 14), paris(2026, 12, 19, 14)]

    def test_byday(self):
        got = rules.expand_rrule("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", paris(2026, 12, 1, 18),
                                 paris(2026, 12, 1, 20), "Europe/Paris")
        assert [s.astimezone(PARIS).day for s, _ in got] == [1, 3, 8, 10]

    @pytest.mark.parametrize("rule", [
        "FREQ=FORTNIGHTLY", "hello", "", "FREQ=WEEKLY;COUNT=x", "DTSTART:20270101T000000\nRRULE:FREQ=DAILY",
        "FREQ=WEEKLY;UNTIL=2027", "FREQ=WEEKLY;UNTIL=20200101",
    ])
    def test_bad_rules_name_rrule(self, rule):
        with pytest.raises(ValidationFailed) as exc:
            rules.expand_rrule(rule, paris(2026, 12, 5, 14), paris(2026, 12, 5, 15), "Europe/Paris")
        assert field_of(exc) == "rrule"


class TestGeography:
    def test_haversine(self):
        # Place de la République → Parc de Belleville: about 1.9 km
        assert rules.haversine_km(48.8674, 2.3636, 48.8716, 2.3849) == pytest.approx(1.63, abs=0.05)
        assert rules.haversine_km(48.0, 2.0, 48.0, 2.0) == 0

    def test_bounding_box_contains_the_circle(self):
        box = rules.bounding_box(48.87, 2.38, 10)
        for bearing_lat, bearing_lon in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            # a point about 9.9 km away in each direction lies inside
            lat = 48.87 + bearing_lat * 9.9 / 111.2
            lon = 2.38 + bearing_lon * 9.9 / (111.2 * 0.657)
            assert rules.haversine_km(48.87, 2.38, lat, lon) < 10
            assert box.min_lat <= lat <= box.max_lat and box.min_lon <= lon <= box.max_lon
        assert box.max_lat - box.min_lat < 0.2

    def test_box_near_the_antimeridian_drops_longitude(self):
        box = rules.bounding_box(0.0, 179.99, 50)
        assert box.min_lon is None and box.max_lon is None

    def test_box_near_a_pole(self):
        box = rules.bounding_box(89.99, 0, 50)
        assert box.max_lat == 90 and box.min_lon is None


class TestListingQuery:
    def test_empty(self):
        assert rules.parse_listing_query() == rules.ListingQuery()

    def test_dates_cover_whole_days_in_the_zone(self):
        got = rules.parse_listing_query(starts_from="2026-12-05", starts_to="2026-12-05", tz=PARIS)
        assert got.starts_from == dt.datetime(2026, 12, 4, 23, tzinfo=UTC)
        assert got.starts_before == dt.datetime(2026, 12, 5, 23, tzinfo=UTC)

    def test_datetimes(self):
        got = rules.parse_listing_query(starts_from="2026-12-05T14:00:00+01:00", starts_to="2026-12-06T10:00:00Z")
        assert got.starts_from == dt.datetime(2026, 12, 5, 13, tzinfo=UTC)
        assert got.starts_before == dt.datetime(2026, 12, 6, 10, tzinfo=UTC)

    def test_an_unencoded_plus_becomes_a_space_and_is_understood(self):
        got = rules.parse_listing_query(starts_from="2026-12-05T14:00:00 01:00")
        assert got.starts_from == dt.datetime(2026, 12, 5, 13, tzinfo=UTC)

    def test_near(self):
        got = rules.parse_listing_query(near="48.87,2.38", radius_km="2.5")
        assert got.near == rules.Near(48.87, 2.38, 2.5)
        assert rules.parse_listing_query(near=" 48.87 , 2.38 ").near.radius_km == 10

    @pytest.mark.parametrize("kwargs,param", [
        ({"starts_from": "tomorrow"}, "from"), ({"starts_to": "2026-13-01"}, "to"),
        ({"starts_from": "2026-12-06", "starts_to": "2026-12-04"}, "to"),
        ({"near": "48.87"}, "near"), ({"near": "abc,2"}, "near"), ({"near": "95,2"}, "near"),
        ({"near": "nan,2"}, "near"), ({"near": "48,2", "radius_km": "-1"}, "radius_km"),
        ({"near": "48,2", "radius_km": "far"}, "radius_km"), ({"radius_km": "5"}, "radius_km"),
        ({"payment": "gratis"}, "payment"), ({"host": "abc"}, "host"), ({"host": "99999999999"}, "host"),
        ({"category": "c" * 41}, "category"),
    ])
    def test_bad_values_name_the_parameter(self, kwargs, param):
        with pytest.raises(ValidationFailed) as exc:
            rules.parse_listing_query(**kwargs)
        assert field_of(exc) == param

    def test_like_pattern_escapes_wildcards(self):
        assert rules.like_pattern("100%_Vélo\\") == "%100\\%\\_vélo\\\\%"


class TestReasons:
    """Forms explain some refusals in their own words: they read `reason`, a stable code, never
    the message (which API clients read and which may be reworded)."""

    @pytest.mark.parametrize("rule,reason", [
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=2", rules.INTERVAL),
        ("FREQ=WEEKLY;COUNT=100", rules.TOO_MANY),
        ("FREQ=WEEKLY;COUNT=0", rules.TOO_MANY),
        ("FREQ=DAILY", rules.TOO_MANY),
        ("FREQ=DAILY;UNTIL=20270401", rules.TOO_MANY),
        ("FREQ=YEARLY;UNTIL=20400101", rules.BEYOND_HORIZON),
        ("FREQ=YEARLY;INTERVAL=20;COUNT=2", rules.BEYOND_HORIZON),
        ("FREQ=FORTNIGHTLY", None),
    ])
    def test_rrule_refusals_carry_their_reason(self, rule, reason):
        with pytest.raises(ValidationFailed) as exc:
            rules.expand_rrule(rule, paris(2026, 12, 5, 14), paris(2026, 12, 5, 15), "Europe/Paris", now=NOW)
        assert [item.get("reason") for item in exc.value.extra["errors"]] == [reason]

    @pytest.mark.parametrize("starts,reason", [
        (dt.datetime(2026, 11, 30, 14), rules.PAST), (dt.datetime(2037, 12, 5, 14), rules.TOO_FAR)])
    def test_start_refusals_carry_their_reason(self, starts, reason):
        with pytest.raises(ValidationFailed) as exc:
            rules.validate_session_times(starts, starts + dt.timedelta(hours=1), "Europe/Paris", NOW)
        assert exc.value.extra["errors"][0]["reason"] == reason
