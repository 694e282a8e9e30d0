"""Settings read from ALVEOLE_* environment variables, with safe defaults for the embedded mode."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEV_SECRET_KEY = "alveole-dev-secret-key-do-not-use-in-production"

_DURATION = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class SettingsError(ValueError):
    """A setting is missing or malformed: the service refuses to start."""


def parse_duration(text: str) -> dt.timedelta:
    match = _DURATION.match(text)
    if not match:
        raise SettingsError(f"not a duration: {text!r} (use e.g. 24h, 90m, 2d, 30s)")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`ALVEOLE_TRUSTED_PROXIES`: comma-separated addresses or CIDRs (`10.0.0.1, 192.168.0.0/16, ::1`)."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"ALVEOLE_TRUSTED_PROXIES: not an address or CIDR: {part!r}") from None
    return tuple(networks)


def parse_durations(text: str) -> tuple[dt.timedelta, ...]:
    parts = [p for p in text.split(",") if p.strip()]
    return tuple(sorted({parse_duration(p) for p in parts}, reverse=True))


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/alveole.db"
    secret_key: str = DEV_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"
    env: str = "dev"
    smtp_url: str | None = None
    mail_from: str = "Alvéole <noreply@localhost>"
    mail_dir: Path = Path("var/mail")
    # text messages: unset → files under sms_dir; twilio://ACCOUNT_SID:AUTH_TOKEN@/+33XXXXXXXXX
    sms_url: str | None = None
    sms_dir: Path = Path("var/sms")
    twilio_api_base: str | None = None  # tests point the SDK at a local stand-in
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    payment_hold: dt.timedelta = dt.timedelta(minutes=30)
    stripe_timeout: float = 5.0  # seconds one Stripe call may take before the booking answers 503
    reminder_offsets: tuple[dt.timedelta, ...] = (dt.timedelta(hours=24), dt.timedelta(hours=2))
    feedback_delay: dt.timedelta = dt.timedelta(hours=1)
    worker_poll_seconds: float = 5.0
    # how long a client may take to send a whole request (headers and body) once it started, or
    # its first one once connected: a slow or stalled sender is cut off (alveole.http_server)
    request_timeout: float = 30.0
    # how long a request waits for the database (a connection, the write lock) before a 503
    db_wait_seconds: float = 5.0
    rate_limits: bool = True
    # after a session's start, seats of free and on-site bookings not checked in may be released
    # to the people on standby at the door (ALVEOLE_NOSHOW_RELEASE_MINUTES)
    noshow_release: dt.timedelta = dt.timedelta(minutes=10)
    # peers whose X-Forwarded-For / Forwarded is believed (kernel.http.client_address); none by default
    # (typed loosely: Litestar's signature models cannot describe a union of two address classes)
    trusted_proxies: tuple[Any, ...] = ()
    # False when ALVEOLE_BASE_URL is unset: `alveole serve` then uses the address it serves on
    base_url_explicit: bool = False

    def served_at(self, host: str, port: int) -> Settings:
        """These settings for a server on host:port: the base URL follows it unless set."""
        if self.base_url_explicit:
            return self
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else (
            f"[{host}]" if ":" in host else host)
        return replace(self, base_url=f"http://{shown}:{port}")

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def twilio(self) -> tuple[str, str, str] | None:
        """(account SID, auth token, sender number) from ALVEOLE_SMS_URL, if it names Twilio."""
        return parse_twilio_url(self.sms_url) if self.sms_url else None

    @property
    def payments_configured(self) -> bool:
        return bool(self.stripe_api_key and self.stripe_webhook_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"ALVEOLE_{name}")
            return value if value not in (None, "") else None

        mode = (get("ENV") or "dev").lower()
        if mode not in ("dev", "prod"):
            raise SettingsError(f"ALVEOLE_ENV must be 'dev' or 'prod', not {mode!r}")
        secret = get("SECRET_KEY")
        if secret is None:
            if mode == "prod":
                raise SettingsError(
                    "ALVEOLE_SECRET_KEY is required when ALVEOLE_ENV=prod "
                    "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            secret = DEV_SECRET_KEY
        elif mode == "prod" and len(secret) < 32:
            raise SettingsError("ALVEOLE_SECRET_KEY must be at least 32 characters in prod")
        elif mode == "prod" and secret == DEV_SECRET_KEY:
            raise SettingsError("ALVEOLE_SECRET_KEY is the published development key: in prod, "
                                "generate your own (python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        database_url = get("DATABASE_URL") or cls.database_url
        if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise SettingsError(
                "ALVEOLE_DATABASE_URL must be sqlite:///path or postgresql://user:pw@host:port/db"
            )
        smtp_url = get("SMTP_URL")
        if smtp_url and not smtp_url.startswith(("smtp://", "smtp+starttls://", "smtps://")):
            raise SettingsError("ALVEOLE_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        sms_url = get("SMS_URL")
        if sms_url:
            parse_twilio_url(sms_url)  # refuses a malformed one at start
        try:
            hold_minutes = int(get("PAYMENT_HOLD_MINUTES") or 30)
            poll = float(get("WORKER_POLL_SECONDS") or 5)
            stripe_timeout = float(get("STRIPE_TIMEOUT_SECONDS") or 5)
            request_timeout = float(get("REQUEST_TIMEOUT_SECONDS") or 30)
            db_wait = float(get("DB_WAIT_SECONDS") or 5)
            noshow_minutes = int(get("NOSHOW_RELEASE_MINUTES") or 10)
        except ValueError as exc:
            raise SettingsError(f"bad number in settings: {exc}") from None
        if poll <= 0:
            raise SettingsError("ALVEOLE_WORKER_POLL_SECONDS must be positive")
        if not 30 <= hold_minutes <= 24 * 60:
            raise SettingsError("ALVEOLE_PAYMENT_HOLD_MINUTES must be 30 to 1440: a Stripe Checkout Session "
                                "expires 30 minutes to 24 hours after it is opened")
        if not 0 < stripe_timeout <= 60:
            raise SettingsError("ALVEOLE_STRIPE_TIMEOUT_SECONDS must be more than 0 and at most 60")
        if not 0 < request_timeout <= 600:
            raise SettingsError("ALVEOLE_REQUEST_TIMEOUT_SECONDS must be more than 0 and at most 600")
        if not 0 < db_wait <= 60:
            raise SettingsError("ALVEOLE_DB_WAIT_SECONDS must be more than 0 and at most 60")
        if not 0 <= noshow_minutes <= 24 * 60:
            raise SettingsError("ALVEOLE_NOSHOW_RELEASE_MINUTES must be 0 to 1440")
        rate_limits = (get("RATE_LIMITS") or "on").lower()
        if rate_limits not in ("on", "off"):
            raise SettingsError("ALVEOLE_RATE_LIMITS must be 'on' or 'off'")
        return cls(
            database_url=database_url,
            secret_key=secret,
            base_url=(get("BASE_URL") or cls.base_url).rstrip("/"),
            base_url_explicit=get("BASE_URL") is not None,
            env=mode,
            smtp_url=smtp_url,
            sms_url=sms_url,
            sms_dir=Path(get("SMS_DIR") or "var/sms"),
            twilio_api_base=(get("TWILIO_API_BASE") or "").rstrip("/") or None,
            mail_from=get("MAIL_FROM") or cls.mail_from,
            mail_dir=Path(get("MAIL_DIR") or "var/mail"),
            stripe_api_key=get("STRIPE_API_KEY"),
            stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=get("STRIPE_API_BASE"),
            payment_hold=dt.timedelta(minutes=hold_minutes),
            stripe_timeout=stripe_timeout,
            reminder_offsets=parse_durations(get("REMINDER_OFFSETS") or "24h,2h"),
            feedback_delay=parse_duration(get("FEEDBACK_DELAY") or "1h"),
            worker_poll_seconds=poll,
            request_timeout=request_timeout,
            db_wait_seconds=db_wait,
            rate_limits=rate_limits == "on",
            noshow_release=dt.timedelta(minutes=noshow_minutes),
            trusted_proxies=parse_networks(get("TRUSTED_PROXIES") or ""),
        )


def parse_twilio_url(url: str) -> tuple[str, str, str]:
    """`twilio://ACCOUNT_SID:AUTH_TOKEN@/+33XXXXXXXXX` → (sid, token, sender in E.164)."""
    parts = urlsplit(url)
    sender = unquote(parts.path.lstrip("/"))
    if (parts.scheme != "twilio" or not parts.username or not parts.password
            or not sender.startswith("+") or not sender[1:].isdigit()):
        raise SettingsError("ALVEOLE_SMS_URL must be twilio://ACCOUNT_SID:AUTH_TOKEN@/+33XXXXXXXXX "
                            "(the sender number in E.164)")
    return unquote(parts.username), unquote(parts.password), sender


def secure_cookies(settings: Settings) -> bool:
    """Cookies are `Secure` in production and whenever the site is served over https."""
    return settings.is_prod or settings.base_url.startswith("https://")
