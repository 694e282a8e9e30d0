"""Phone numbers: the one place text typed by a person becomes the E.164 form that is stored,
compared and dialled (`+33612345678`), through Google's libphonenumber port (`phonenumbers`)."""
from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "FR"  # a number typed without `+` is read as French (API.md, text messages)
PHONE_INPUT_MAX = 32  # longer input is refused before parsing: nothing a person types is that long


def normalise_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """`text` in E.164 when it is one valid number (`06 12 34 56 78` → `+33612345678`;
    `+44 20 7946 0958` stays British), else None. Spaces, dots, dashes and brackets are ignored."""
    if not text or len(text) > PHONE_INPUT_MAX or "\x00" in text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_texts(e164: str) -> bool:
    """A number a text message can reach: mobile (or a region's mixed fixed-or-mobile range)."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def display_phone(e164: str) -> str:
    """How a stored number is shown to people: national format for French numbers
    (`06 12 34 56 78`), international otherwise (`+44 20 7946 0958`)."""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
