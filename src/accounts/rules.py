"""Pure account rules: what a valid email, display name, timezone, profile and slug look like."""
from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from dataclasses import dataclass

import email_validator

PASSWORD_MIN, PASSWORD_MAX = 8, 256
DISPLAY_NAME_MAX = 120
BIO_MAX = 2000
SKILLS_MAX, SKILL_MAX = 20, 40
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
# Ids and list offsets beyond PostgreSQL's 32-bit integers name nothing (and overflow drivers)

EMAIL_MAX = 320

# Never part of a one-line name: line and paragraph separators, and the bidi embeddings,
# overrides and isolates that reorder the text around them (controls, Cc, are refused too).
_NOT_IN_NAMES = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern)
_BLANK_GRAPHICS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "source": "body"}


def _parse_email(email: str) -> str:
    """The stored form of `email`, or EmailNotValidError saying what is wrong with it.

    One plain address (`name@domain.tld`) as email-validator parses it: no display name or
    angle brackets, no quoted local part, no IP literal, so never two addresses in one `To:`.
    `strict` keeps the local part within 64 characters (RFC 5321). No DNS look-up (the mailbox
    proves the rest); `test_environment` admits the reserved `.test` domain (demo and test
    accounts) while `localhost` and `.invalid` (erased accounts) stay out."""
    if len(email) > EMAIL_MAX or has_nul(email):
        raise email_validator.EmailNotValidError("The email address is too long or holds a NUL.")
    # lower-cased before and after: the whole address compares case-insensitively, and the
    # result parses to itself (normalise_email is idempotent)
    parsed = email_validator.validate_email(
        email.strip().lower(), check_deliverability=False, test_environment=True,
        allow_smtputf8=True, allow_display_name=False, allow_quoted_local=False,
        allow_domain_literal=False, allow_empty_local=False, strict=True)
    return parsed.normalized.lower()


def normalise_email(email: str) -> str | None:
    """The one form an address is stored, looked up and compared in (trimmed, normalised by
    email-validator, lower-cased), or None when `email` is not exactly one valid address."""
    try:
        return _parse_email(email)
    except email_validator.EmailNotValidError:
        return None


def has_nul(text: str) -> bool:
    """PostgreSQL text cannot hold NUL characters: such input is refused, never sent to SQL."""
    return "\x00" in text


def is_valid_email(email: str) -> bool:
    return normalise_email(email) is not None


@functools.cache
def _timezones() -> frozenset[str]:
    # available_timezones() lists every TZif file on the zone path, system aliases included
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}


def is_valid_timezone(name: str) -> bool:
    """An IANA zone name known to zoneinfo (`Europe/Paris`, `UTC`); not `localtime` or paths."""
    return name in _timezones()


def email_errors(email: str) -> list[FieldError]:
    try:
        _parse_email(email)
    except email_validator.EmailNotValidError as exc:
        return [FieldError("email", f"not one email address (expected name@domain.tld): {exc}")]
    return []


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_GRAPHICS


def name_errors(field: str, name: str | None) -> list[FieldError]:
    """A name or label shown on one line (display name, community name, skill): no control
    characters, line breaks or bidi overrides, and at least one visible character (not only
    spaces, zero-width or format characters)."""
    if name is None:
        return []
    if any(unicodedata.category(c) == "Cc" or c in _NOT_IN_NAMES for c in name):
        return [FieldError(field, "must not contain control characters, line breaks or "
                                  "bidirectional overrides")]
    if not any(_visible(c) for c in name):
        return [FieldError(field, "must not be blank (it needs a visible character)")]
    return []


def password_errors(password: str, field: str = "password") -> list[FieldError]:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return [FieldError(field, f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")]
    return []


def nul_errors(**texts: str | list[str] | None) -> list[FieldError]:
    """A FieldError for each given text (or list of texts) holding a NUL character."""
    errors = []
    for name, value in texts.items():
        values = value if isinstance(value, list) else [value]
        if any(v is not None and has_nul(v) for v in values):
            errors.append(FieldError(name, "must not contain NUL characters"))
    return errors


def profile_errors(*, display_name: str | None = None, timezone: str | None = None,
                   skills: list[str] | None = None, bio: str | None = None) -> list[FieldError]:
    """What msgspec's length checks cannot see: blank or control-character names and skills,
    unknown zones, NULs."""
    errors = nul_errors(display_name=display_name, bio=bio, skills=skills)
    named = {e.field for e in errors}
    if "display_name" not in named:
        errors += name_errors("display_name", display_name)
    if timezone is not None and not is_valid_timezone(timezone):
        errors.append(FieldError("timezone", f"unknown IANA timezone {timezone!r} "
                                             "(expected e.g. 'Europe/Paris' or 'UTC')"))
    if skills is not None and "skills" not in named:
        errors += [e for skill in skills for e in name_errors("skills", skill)][:1]
    return errors


def clean_skills(skills: list[str]) -> list[str]:
    """Trimmed, first occurrence kept, case-insensitively."""
    seen: set[str] = set()
    cleaned = []
    for skill in (s.strip() for s in skills):
        if skill.lower() not in seen:
            seen.add(skill.lower())
            cleaned.append(skill)
    return cleaned


def erased_email(user_id: int) -> str:
    """The placeholder an erased account's email becomes (unique, undeliverable by RFC 6761)."""
    return f"deleted-{user_id}@invalid"
