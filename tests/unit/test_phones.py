"""kernel.phones: typed numbers to E.164, refused input, display forms."""
import pytest

from kernel.phones import can_receive_texts, display_phone, normalise_phone


@pytest.mark.parametrize(("typed", "stored"), [
    ("06 12 34 56 78", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+44 20 7946 0958", "+442079460958"),
    ("01 42 68 53 00", "+33142685300"),
])
def test_valid_numbers_are_stored_in_e164(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["", "12", "06 12 34", "not a phone", "+33 6 12 34 56 78 90 12",
                                   "06\x0012345678", "0" * 40, "+999 123 456 789"])
def test_invalid_input_is_none(typed):
    assert normalise_phone(typed) is None


def test_mobiles_can_receive_texts_and_landlines_cannot():
    assert can_receive_texts("+33612345678")
    assert not can_receive_texts("+33142685300")


def test_display_is_national_for_french_numbers_and_international_otherwise():
    assert display_phone("+33612345678") == "06 12 34 56 78"
    assert display_phone("+442079460958") == "+44 20 7946 0958"
