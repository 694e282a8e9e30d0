"""Pure account rules."""
from __future__ import annotations

import pytest

from accounts import rules


@pytest.mark.parametrize("email", ["a@b.co", "ada.lovelace+tag@example.org", "x@sub.domain.fr"])
def test_valid_emails(email):
    assert rules.email_errors(email) == []


@pytest.mark.parametrize("email", ["", "a", "a@b", "@b.co", "a@.co", "a@b.", "a b@c.de",
                                   "a@@b.co", "a@b..co", "x" * 65 + "@b.co", "a@" + "b" * 320 + ".co"])
def test_invalid_emails(email):
    assert [e.field for e in rules.email_errors(email)] == ["email"]


def test_email_is_compared_trimmed_and_lowercased():
    assert rules.normalise_email("  Ada@Example.ORG ") == "ada@example.org"
    assert rules.email_errors("  Ada@Example.ORG ") == []


@pytest.mark.parametrize("name, ok", [("Europe/Paris", True), ("UTC", True), ("America/Montreal", True),
                                      ("europe/paris", False), ("Paris", False), ("", False),
                                      ("localtime", False), ("posixrules", False),
                                      ("../etc/passwd", False)])
def test_timezones(name, ok):
    assert rules.is_valid_timezone(name) is ok


@pytest.mark.parametrize("password, ok", [("1234567", False), ("12345678", True), ("x" * 256, True),
                                          ("x" * 257, False)])
def test_password_length(password, ok):
    assert (rules.password_errors(password) == []) is ok


def test_profile_errors_name_each_field():
    errors = rules.profile_errors(display_name="  ", timezone="Nowhere/Town", skills=["ok", " "])
    assert [e.field for e in errors] == ["display_name", "timezone", "skills"]
    assert rules.profile_errors(display_name="Ada", timezone="UTC", skills=["bread"]) == []
    assert rules.profile_errors() == []


def test_skills_are_trimmed_and_deduplicated_case_insensitively():
    assert rules.clean_skills([" Bread", "bread ", "Bikes", "BREAD"]) == ["Bread", "Bikes"]


def test_erased_email_is_unique_and_undeliverable():
    assert rules.erased_email(7) == "deleted-7@invalid"
    assert rules.erased_email(7) != rules.erased_email(8)
