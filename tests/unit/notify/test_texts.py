"""Texts that fit: GSM-7 basic set only, at most 160 characters, every kind in both languages
with the longest title allowed and a long place."""
from __future__ import annotations

import datetime as dt

import pytest

from notify.texts import (
    ANSWERS,
    SMS_LIMIT,
    TEXT_KINDS,
    TextFacts,
    answer,
    compose_text,
    gsm7,
    is_gsm7,
    reply_word,
)
from workshops.rules import TITLE_MAX, VENUE_ADDRESS_MAX, VENUE_NAME_MAX

STARTS = dt.datetime(2026, 12, 12, 13, 30, tzinfo=dt.timezone.utc)  # 14:30 in Paris


class TestGsm7:
    def test_keeps_the_accents_gsm7_has_and_maps_the_others(self):
        assert gsm7("é è ù ì ò Ç É à") == "é è ù ì ò Ç É à"
        assert gsm7("fête â ô œuvre l’atelier « ici » 5 €") == 'fete a o oeuvre l\'atelier " ici " 5 EUR'
        assert gsm7("ça") == "ca"
        assert gsm7("Ĉ☃") == "C?"
        assert is_gsm7(gsm7("Ω{[~^|\\]}… – —\u202f"))


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", sorted(TEXT_KINDS))
def test_every_kind_fits_one_sms_with_the_longest_title_and_a_long_place(kind, language):
    facts = TextFacts(title="Atelier « réparation » de vélos à l’œil " * 20, starts_at=STARTS,
                      timezone="Europe/Paris",
                      place=("Maison des fêtes " * 20)[:VENUE_NAME_MAX] + ", " + ("12 rue " * 100)[:VENUE_ADDRESS_MAX],
                      short_place=("Maison des fêtes " * 20)[:VENUE_NAME_MAX])
    facts = TextFacts(title=facts.title[:TITLE_MAX], starts_at=facts.starts_at, timezone=facts.timezone,
                      place=facts.place, short_place=facts.short_place)
    text = compose_text(kind, language, facts)
    assert len(text) <= SMS_LIMIT and is_gsm7(text), text
    assert ("14h30" if language == "fr" else "14:30") in text  # the session's zone, not UTC
    if kind in ("reminder", "session_updated"):
        assert "ANNULER" in text
        assert ("Répondez" if language == "fr" else "Reply") in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_short_text_is_left_whole(language):
    text = compose_text("reminder", language, TextFacts("Fix your bike", STARTS, "Europe/Paris",
                                                        "Maison du quartier, 1 rue de la Paix"))
    assert "Fix your bike" in text and "Maison du quartier, 1 rue de la Paix" in text
    assert ("Rappel" if language == "fr" else "Reminder") in text


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("what", sorted(ANSWERS))
def test_answers_fit_one_sms(what, language):
    text = answer(language, what, title="T" * TITLE_MAX, starts_at=STARTS, timezone="Europe/Paris")
    assert len(text) <= SMS_LIMIT and is_gsm7(text)


def test_reply_words_ignore_case_accents_spaces_and_punctuation():
    assert reply_word(" annulér ! ") == "ANNULER"
    assert reply_word("Oui.") == "OUI"
    assert reply_word("s t o p") == "STOP"
