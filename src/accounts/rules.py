"""Pure account rules: what a valid email, display name, timezone, profile and slug look like."""
from __future__ import annotations


import functools
import re
import zoneinfo
from dataclasses import dataclass

LOCALES = ("en", "fr")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
DISPLAY_NAME_MAX = 120
BIO_MAX = 2000
SKILLS_MAX, SKILL_MAX = 20, 40
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
# Ids and list offsets beyond PostgreSQL's 32-bit integers name nothing (and overflow drivers)

# Deliberately loose: one @, no spaces, a dot in the domain. The mailbox proves the rest.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "source": "body"}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def has_nul(text: str) -> bool:
    """PostgreSQL text cannot hold NUL characters: such input is refused, never sent to SQL."""
    return "\x00" in text


def is_valid_email(email: str) -> bool:
    return len(email) <= 320 and not has_nul(email) and bool(_EMAIL.match(email))


@functools.cache
def _timezones() -> frozenset[str]:
    # available_timezones() lists every TZif file on the zone path, system aliases included
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}


def is_valid_timezone(name: str) -> bool:
    """An IANA zone name known to zoneinfo (`Europe/Paris`, `UTC`); not `localtime` or paths."""
    return name in _timezones()


def email_errors(email: str) -> list[FieldError]:
    if not is_valid_email(normalise_email(email)):
        return [FieldError("email", "not an email address (expected name@domain.tld)")]
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
    """What msgspec's length checks cannot see: blank names, unknown zones, blank skills, NULs."""
    errors = nul_errors(display_name=display_name, bio=bio, skills=skills)
    if display_name is not None and not display_name.strip():
        errors.append(FieldError("display_name", "must not be blank"))
    if timezone is not None and not is_valid_timezone(timezone):
        errors.append(FieldError("timezone", f"unknown IANA timezone {timezone!r} "
                                             "(expected e.g. 'Europe/Paris' or 'UTC')"))
    if skills is not None and any(not s.strip() for s in skills):
        errors.append(FieldError("skills", "skills must not be blank"))
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
