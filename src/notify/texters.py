"""Texters: where a finished text message goes. Files under `./var/sms/` by default, Twilio in
production (ALVEOLE_SMS_URL=twilio://ACCOUNT_SID:AUTH_TOKEN@/+33XXXXXXXXX).

Twilio is reached through its official SDK (`twilio.rest.Client`), which is blocking: each
call runs on a small thread pool of its own, never on the event loop, bounded by
TWILIO_TIMEOUT seconds (the HTTP client's timeout, and a wait around the call). The SDK has no
base-URL setting: a `TwilioHttpClient` that rewrites `https://api.twilio.com` to
ALVEOLE_TWILIO_API_BASE points it at the tests' local fake (twilio-python #521).

Errors are raised for `notify.outbox` to settle: `ProviderUnavailable` (a ConnectionError:
refused connection, timeout, 5xx, 429 — the rest of the batch waits too) or
`PermanentDeliveryError` (Twilio refused this number: invalid, not a mobile, unsubscribed).
"""
from __future__ import annotations

import asyncio
import functools
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from kernel.settings import Settings
from notify.mailers import PermanentDeliveryError

TWILIO_API = "https://api.twilio.com"
TWILIO_TIMEOUT = 10.0
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="twilio")


class Texter(Protocol):
    async def send(self, to: str, body: str, key: str) -> None:
        """Deliver one text to `to` (E.164) or raise; `key` names the message (its dedupe key)."""


class ProviderUnavailable(ConnectionError):
    """The text provider cannot be reached or answered 5xx/429: retried later."""


class FileTexter:
    """Writes each text to `<sms_dir>/<dedupe key>.txt` (a retry overwrites the same file)."""

    def __init__(self, sms_dir: Path | str) -> None:
        self.sms_dir = Path(sms_dir)

    def path_for(self, key: str) -> Path:
        return self.sms_dir / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', key)}.txt"

    async def send(self, to: str, body: str, key: str) -> None:
        await asyncio.to_thread(self._write, to, body, key)

    def _write(self, to: str, body: str, key: str) -> None:
        self.sms_dir.mkdir(parents=True, exist_ok=True)
        path = self.path_for(key)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(f"To: {to}\nKey: {key}\n\n{body}\n", encoding="utf-8")
        tmp.replace(path)


class _BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending what it meant for api.twilio.com to `base` instead."""

    def __init__(self, base: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout, max_retries=None)
        self.base = base.rstrip("/") if base else None

    def request(self, method, url, *args, **kwargs) -> Response:
        if self.base and url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioTexter:
    def __init__(self, account_sid: str, auth_token: str, sender: str, *, api_base: str | None = None,
                 timeout: float = TWILIO_TIMEOUT) -> None:
        self.sender, self.timeout = sender, timeout
        self._client = Client(account_sid, auth_token,
                              http_client=_BaseUrlHttpClient(api_base, timeout))

    def _create(self, to: str, body: str) -> str:
        return self._client.messages.create(to=to, from_=self.sender, body=body).sid

    async def send(self, to: str, body: str, key: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(_POOL, functools.partial(self._create, to, body)),
                                   self.timeout + 1)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise ProviderUnavailable(f"Twilio answered {exc.status} ({exc.code})") from None
            raise PermanentDeliveryError(f"Twilio refused the text: {exc.status} ({exc.code})") from None
        except (requests.RequestException, TimeoutError, OSError) as exc:
            raise ProviderUnavailable(f"Twilio unreachable: {type(exc).__name__}") from None


def build_texter(settings: Settings) -> FileTexter | TwilioTexter:
    twilio = settings.twilio
    if twilio is None:
        return FileTexter(settings.sms_dir)
    sid, token, sender = twilio
    return TwilioTexter(sid, token, sender, api_base=settings.twilio_api_base)
