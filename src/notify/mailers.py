"""Mailers: where a finished email goes. `.eml` files by default, any SMTP relay in production.

`build_mailer(settings)` picks one from ALVEOLE_SMTP_URL:
  unset                              → FileMailer(settings.mail_dir)
  smtp://host:port                   → plain SMTP (no STARTTLS, even if offered)
  smtp+starttls://user:pw@host:port  → STARTTLS required, then AUTH when credentials are given
  smtps://user:pw@host:port          → implicit TLS (port 465 by default)
User and password are URL-decoded (`%40` for `@`). Errors are raised as they come
(aiosmtplib's exceptions, OSError); the outbox decides what is permanent.
"""
from __future__ import annotations

import asyncio
import email.message
import email.utils
import os
import re
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from kernel.settings import Settings


class Mailer(Protocol):
    async def send(self, message: email.message.EmailMessage) -> None:
        """Deliver one message or raise."""


class PermanentDeliveryError(Exception):
    """A mailer's way to say: retrying this message will never succeed."""


def message_bytes(message: email.message.Message, linesep: str = "\n") -> bytes:
    """The message as bytes, under its own policy (never mangling "From " lines)."""
    return message.as_bytes(policy=message.policy.clone(linesep=linesep, mangle_from_=False))


def envelope(message: email.message.Message) -> tuple[str, list[str]]:
    """(sender, recipients) from the From, To and Cc headers (notify never writes a Bcc)."""
    sender = email.utils.parseaddr(str(message.get("Sender") or message.get("From") or ""))[1]
    fields = [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
    recipients = [address for _, address in email.utils.getaddresses(fields) if address]
    return sender, recipients


class FileMailer:
    """Writes each message to `<mail_dir>/<message-id>.eml` (a retry overwrites the same file)."""

    def __init__(self, mail_dir: Path | str) -> None:
        self.mail_dir = Path(mail_dir)

    def path_for(self, message: email.message.EmailMessage) -> Path:
        ident = (message.get("Message-ID") or "").strip("<> ")
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ident) or f"message-{time.time_ns()}"
        return self.mail_dir / f"{safe}.eml"

    async def send(self, message: email.message.EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: email.message.EmailMessage) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        path = self.path_for(message)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(message_bytes(message))
        tmp.replace(path)

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(f"unsupported SMTP URL scheme: {scheme!r}")
        default_port = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            use_tls=scheme == "smtps",
            start_tls=scheme == "smtp+starttls",
        )


class SmtpMailer:
    """Sends through one SMTP connection, kept open between messages of a delivery run.

    Any error closes the connection (the next message opens a fresh one), so a half-failed
    session never leaks into the next message. `close()` ends the connection."""

    def __init__(self, url: str, *, timeout: float = 30.0,
                 tls_context: ssl.SSLContext | None = None, idle_seconds: float = 20.0) -> None:
        self.config = SmtpConfig.from_url(url)
        self.timeout = timeout
        self.tls_context = tls_context
        self.idle_seconds = idle_seconds
        self._client: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = asyncio.Lock()

    async def _connect(self) -> aiosmtplib.SMTP:
        c = self.config
        client = aiosmtplib.SMTP(
            hostname=c.hostname, port=c.port, timeout=self.timeout, use_tls=c.use_tls,
            start_tls=c.start_tls, tls_context=self.tls_context,
            username=c.username, password=c.password,
        )
        await client.connect()
        return client

    async def send(self, message: email.message.EmailMessage) -> None:
        sender, recipients = envelope(message)
        data = message_bytes(message, "\r\n")
        async with self._lock:
            if self._client is not None and (
                not self._client.is_connected
                or time.monotonic() - self._last_used > self.idle_seconds
            ):
                await self._drop()
            try:
                if self._client is None:
                    self._client = await self._connect()
                await self._client.sendmail(sender, recipients, data)
            except BaseException:
                await self._drop()
                raise
            self._last_used = time.monotonic()

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await asyncio.wait_for(client.quit(), timeout=2)
        except Exception:  # noqa: BLE001 - a dead connection cannot say goodbye
            client.close()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()


def build_mailer(settings: Settings) -> FileMailer | SmtpMailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url)
    return FileMailer(settings.mail_dir)
