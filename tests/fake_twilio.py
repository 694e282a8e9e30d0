"""A small fake of Twilio's Messages API on 127.0.0.1, for the official SDK to talk to in tests
(through ALVEOLE_TWILIO_API_BASE): `POST /2010-04-01/Accounts/{sid}/Messages.json` with HTTP
basic auth, form-encoded `To`, `From`, `Body`; answers 201 with a message resource.

A test plays the other side: `fail_status` answers every request with that status (a 5xx
outage, a 400 refusal with `fail_code`), `stop()`/`start()` refuse connections on the same
port, `messages` keeps what was accepted (to count doubles), and `sign` computes the
`X-Twilio-Signature` Twilio would send with an inbound webhook.
"""
from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
SENDER = "+33700000000"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature of a webhook request, as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, params)


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.requests = 0
        self.fail_status: int | None = None
        self.fail_code = 21211
        # called with each accepted message's number, before it is answered (a test may kill
        # the sender there: the message was taken, its answer never arrives)
        self.on_message: Callable[[int], None] | None = None
        self.port = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sms_url(self) -> str:
        return f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@/{SENDER}"

    def to(self, phone: str) -> list[str]:
        return [m["Body"] for m in self.messages if m["To"] == phone]

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                with fake._lock:
                    fake.requests += 1
                    if self.headers.get("Authorization") != expected:
                        return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
                        return self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
                    if fake.fail_status is not None:
                        return self._answer(fake.fail_status, {"code": fake.fail_code,
                                                               "message": "failing", "status": fake.fail_status})
                    sid = f"SM{next(fake._ids):032d}"
                    fake.messages.append({**form, "sid": sid})
                    if fake.on_message is not None:
                        fake.on_message(len(fake.messages))
                return self._answer(201, {"sid": sid, "account_sid": ACCOUNT_SID, "to": form.get("To"),
                                          "from": form.get("From"), "body": form.get("Body"),
                                          "status": "queued", "num_segments": "1"})

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.allow_reuse_address = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
