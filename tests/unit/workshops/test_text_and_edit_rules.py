"""Text fields refuse what would disguise them (outside finding 15), and which edits of a
published workshop go back to moderation (finding 6)."""
from __future__ import annotations

import dataclasses

import pytest

from kernel.errors import ValidationFailed
from workshops import rules
from workshops.enums import WorkshopStatus
from workshops.rules import VenueFields, WorkshopFields

VENUE = VenueFields(name="Maison du quartier", address="12 rue de Belleville, Paris", lat=48.872, lon=2.377)
BASE = WorkshopFields(title="Fix your bike", summary="Brakes and gears", category="repair", capacity=8,
                      venue=VENUE, tags=("bike", "vélo"), description="Bring\nyour bike.")

HIDDEN = {
    "line feed": "Free\niPhone", "carriage return": "Free\riPhone", "tab": "Free\tiPhone",
    "escape": "Free\x1b[31miPhone", "delete": "Free\x7f", "C1 control": "Free\x85iPhone",
    "line separator": "Free\u2028iPhone", "right-to-left override": "Free \u202egnp.exe",
    "left-to-right embedding": "\u202aFree", "pop formatting": "Free\u202c",
    "first strong isolate": "\u2068Free", "pop isolate": "Free\u2069",
}
BLANK = {"zero width space": "\u200b", "zero width joiner": "\u200d\u200d", "word joiner": "\u2060",
         "byte order mark": "\ufeff", "spaces and zero widths": " \u200b \u200c ", "hangul filler": "\u3164",
         "soft hyphen": "\u00ad"}


def fields_of(f: WorkshopFields) -> list[str]:
    return [p.field for p in rules.check_workshop(f)]


def with_venue(**changes) -> WorkshopFields:
    return dataclasses.replace(BASE, venue=dataclasses.replace(VENUE, **changes))


class TestControlCharacters:
    @pytest.mark.parametrize("value", HIDDEN.values(), ids=HIDDEN.keys())
    @pytest.mark.parametrize("field", ["title", "summary", "category"])
    def test_one_line_fields_refuse_controls_and_bidi_overrides(self, field, value):
        assert fields_of(dataclasses.replace(BASE, **{field: value})) == [field]

    @pytest.mark.parametrize("value", HIDDEN.values(), ids=HIDDEN.keys())
    def test_tags_and_venue_too(self, value):
        assert fields_of(dataclasses.replace(BASE, tags=("bike", value))) == ["tags[1]"]
        assert fields_of(with_venue(name=value)) == ["venue.name"]
        assert fields_of(with_venue(address=value)) == ["venue.address"]

    @pytest.mark.parametrize("value", BLANK.values(), ids=BLANK.keys())
    def test_invisible_only_values_are_empty(self, value):
        assert fields_of(dataclasses.replace(BASE, title=value)) == ["title"]
        assert fields_of(dataclasses.replace(BASE, tags=(value,))) == ["tags[0]"]
        assert fields_of(with_venue(name=value)) == ["venue.name"]

    def test_the_description_keeps_line_breaks_and_tabs_but_nothing_else(self):
        assert rules.check_workshop(dataclasses.replace(BASE, description="# Plan\r\n\n- one\n\tcode")) == []
        for value in ("a\x1bb", "a\x85b", "a\u202eb", "a\u2066b", "a\u2028b", "a\x0bb"):
            assert fields_of(dataclasses.replace(BASE, description=value)) == ["description"], repr(value)

    def test_the_message_names_the_problem(self):
        [problem] = rules.check_workshop(dataclasses.replace(BASE, title="a\u202eb"))
        assert "bidirectional" in problem.message
        [problem] = rules.check_workshop(dataclasses.replace(BASE, title="a\nb"))
        assert "control" in problem.message

    def test_ordinary_text_in_any_script_is_fine(self):
        for title in ("Réparer son vélo", "ورشة إصلاح الدراجات", "自転車の修理", "Café 👩‍🔧 repair", "שיעור\u200fא"):
            assert rules.check_workshop(dataclasses.replace(BASE, title=title)) == [], title

    def test_online_url_and_reason_refuse_controls(self):
        assert fields_of(dataclasses.replace(BASE, venue=None, online_url="https://x.example/\u202eabc")) == [
            "online_url"]
        with pytest.raises(ValidationFailed):
            rules.check_reason("Spam\x1b[0m")
        assert rules.check_reason("Please add\nthe address.") == "Please add\nthe address."


class TestEditsOfPublishedWorkshops:
    @pytest.mark.parametrize("change", [
        {"title": "FREE iPhone – claim at http://phish.example"}, {"summary": "Other"},
        {"description": "Other"}, {"category": "other"}, {"tags": ("bike",)}, {"language": "fr"},
        {"venue": dataclasses.replace(VENUE, address="1 rue Ailleurs")}, {"venue": None, "online_url": "https://x.example"},
        {"online_url": "https://phish.example"}, {"payment": "on_site", "price_cents": 500},
        {"currency": "chf"},
    ])
    def test_a_content_change_is_named_field_by_field(self, change):
        after = dataclasses.replace(BASE, **change)
        assert rules.content_changed(BASE, after)
        names = {"venue" if k == "venue" else k for k in change}
        assert set(rules.changed_content(BASE, after)) == names

    @pytest.mark.parametrize("change", [
        {"capacity": 20}, {"max_seats_per_booking": 1}, {"waitlist_enabled": False},
        {"waitlist_mode": "offer"}, {"offer_ttl_minutes": 30}, {"cancellation_deadline_hours": 48},
        {"title": " Fix your bike "}, {"currency": "EUR"},
        {"venue": dataclasses.replace(VENUE, lat=48.87201)},  # the same spot, as stored
    ])
    def test_other_changes_and_resent_values_are_not_content(self, change):
        assert not rules.content_changed(BASE, dataclasses.replace(BASE, **change))

    @pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "cancelled", "archived"])
    def test_only_published_ones_keep_a_revision(self, status):
        assert not rules.keeps_revision(status, True)
        assert rules.keeps_revision(WorkshopStatus.published, True)

    def test_without_moderation_an_edit_applies_at_once(self):
        assert not rules.keeps_revision(WorkshopStatus.published, False)


class TestWhoMaySee:
    @pytest.mark.parametrize("status", ["published", "cancelled", "archived"])
    def test_public_statuses(self, status):
        assert rules.may_view(status, is_host=False, is_admin=False, is_organizer=False)

    @pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
    def test_the_others_for_host_organizers_and_admins_only(self, status):
        assert not rules.may_view(status, is_host=False, is_admin=False, is_organizer=False)
        for who in ("is_host", "is_admin", "is_organizer"):
            flags = {"is_host": False, "is_admin": False, "is_organizer": False, who: True}
            assert rules.may_view(status, **flags)
