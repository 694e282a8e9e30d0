"""A small fake of Stripe's HTTP API on 127.0.0.1, for the official SDK to talk to in tests
(`stripe-mock` is not obtainable here; localstripe lacks Checkout Sessions).

It keeps what the service uses — Checkout Sessions (create, retrieve, expire), payment intents
(retrieve), refunds (create, retrieve, list) — with Stripe's idempotency keys (the same key
answers the same object), and lets a test play the other side: the participant paying
(`pay`), Stripe expiring a session, a refund made in the dashboard, configurable failures
(`fail`) and delays (`delay`), and webhook events signed like Stripe signs them.

Like Stripe it refuses a Checkout Session expiring less than 30 minutes or more than 24 hours
after the request (by the clock it is given: the test's), keeps the answer of a request —
failures included — under its idempotency key, and answers 409 `idempotency_error` while a
request with the same key is still being answered.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price_data][currency]=eur`) as nested dicts;
    numeric keys stay strings (`line_items["0"]`)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [a or b for a, b in _KEY.findall(key)]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe computes it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class FakeStripe:
    def __init__(self, now: Callable[[], dt.datetime] | None = None) -> None:
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self._in_flight: set[tuple[str, str]] = set()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], str | None]] = []  # method, path, params, key
        self._idempotent: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self._failures: dict[str, int] = {}
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ the test's controls

    def fail(self, route: str, times: int = 1) -> None:
        """The next `times` requests to `route` ("POST /v1/refunds") answer 500."""
        self._failures[route] = times

    def delay(self, route: str, seconds: float) -> None:
        """Requests to `route` answer only after `seconds` (0: at once again)."""
        self._delays[route] = seconds

    def calls(self, route: str) -> list[tuple[dict[str, Any], str | None]]:
        method, _, prefix = route.partition(" ")
        return [(params, key) for m, path, params, key in self.requests if m == method and path.startswith(prefix)]

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def pay(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """The participant pays on the Checkout page: the session completes with a payment intent."""
        with self._lock:
            session = self.sessions[session_id]
            intent_id = self._id("pi")
            metadata = session.get("payment_intent_data", {}).get("metadata", {})
            self.intents[intent_id] = {"id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                                       "currency": session["currency"], "metadata": metadata,
                                       "status": "succeeded" if payment_status == "paid" else "processing"}
            session.update(status="complete", payment_status=payment_status, payment_intent=intent_id)
            return dict(session)

    def settle_async(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            return dict(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="expired", url=None)
            return dict(session)

    def dashboard_refund(self, intent_id: str, amount: int) -> dict[str, Any]:
        """Someone refunds in Stripe's dashboard: a refund with none of our metadata."""
        with self._lock:
            return self._new_refund({"payment_intent": intent_id, "amount": str(amount)})

    def charge_of(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents[intent_id]
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent_id)
        return {"id": "ch_" + intent_id[3:], "object": "charge", "payment_intent": intent_id,
                "amount": intent["amount"], "amount_refunded": refunded, "refunded": refunded >= intent["amount"]}

    def event(self, kind: str, obj: dict[str, Any]) -> bytes:
        """A webhook event's body (a new event id each time)."""
        return json.dumps({"id": self._id("evt"), "object": "event", "type": kind, "api_version": "2024-06-20",
                           "created": int(time.time()), "data": {"object": obj}}).encode()

    # --------------------------------------------------------------------------- the API

    def _new_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            raise LookupError("no such payment_intent")
        refund_id = self._id("re")
        refund = {"id": refund_id, "object": "refund", "amount": int(params.get("amount") or intent["amount"]),
                  "currency": intent["currency"], "payment_intent": intent["id"], "status": "succeeded",
                  "metadata": params.get("metadata", {})}
        self.refunds[refund_id] = refund
        return refund

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if "expires_at" in params:
            ahead = int(params["expires_at"]) - self.now().timestamp()
            if not 30 * 60 <= ahead <= 24 * 3600:
                raise LookupError("expires_at must be 30 minutes to 24 hours from now")
        items = params.get("line_items", {})
        total = 0
        currency = None
        for item in items.values():
            price = item["price_data"]
            total += int(price["unit_amount"]) * int(item["quantity"])
            currency = price["currency"]
        session_id = self._id("cs")
        session = {"id": session_id, "object": "checkout.session", "url": f"{self.url}/pay/{session_id}",
                   "status": "open", "payment_status": "unpaid", "amount_total": total, "currency": currency,
                   "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata", {}),
                   "customer_email": params.get("customer_email"), "locale": params.get("locale"),
                   "expires_at": int(params["expires_at"]) if "expires_at" in params else None,
                   "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
                   "payment_intent": None, "line_items": items,
                   "payment_intent_data": params.get("payment_intent_data", {})}
        self.sessions[session_id] = session
        return session

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            try:
                return 200, self._create_session(params)
            except LookupError as exc:
                return 400, {"error": {"type": "invalid_request_error", "message": str(exc)}}
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) >= 4:
            session = self.sessions.get(parts[3])
            if session is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout.session"}}
            if method == "POST" and parts[4:] == ["expire"]:
                if session["status"] != "open":
                    return 400, {"error": {"type": "invalid_request_error", "message": "not open"}}
                session.update(status="expired", url=None)
            return 200, dict(session)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and parts[2] in self.intents:
            return 200, dict(self.intents[parts[2]])
        if parts == ["v1", "refunds"] and method == "POST":
            try:
                return 200, self._new_refund(params)
            except LookupError as exc:
                return 400, {"error": {"type": "invalid_request_error", "message": str(exc)}}
        if parts == ["v1", "refunds"]:
            intent = params.get("payment_intent")
            data = [r for r in self.refunds.values() if intent is None or r["payment_intent"] == intent]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        if parts[:2] == ["v1", "refunds"] and len(parts) == 3 and parts[2] in self.refunds:
            return 200, dict(self.refunds[parts[2]])
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL {path}"}}

    def _answer(self, method: str, path: str, route: str, params: dict[str, Any],
                key: str | None) -> tuple[int, dict[str, Any]]:
        if key and (method, key) in self._idempotent:
            return self._idempotent[(method, key)]
        failing = next((r for r, n in self._failures.items() if n > 0 and route.startswith(r)), None)
        if failing is not None:
            self._failures[failing] -= 1
            status, answer = 500, {"error": {"type": "api_error", "message": "fake outage"}}
        else:
            status, answer = self._route(method, path, params)
        if key and status != 400:  # Stripe keeps failures too, but not refused parameters
            self._idempotent[(method, key)] = (status, answer)
        return status, answer

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        params = _nest(parse_qsl(body or url.query, keep_blank_values=True))
        key = handler.headers.get("idempotency-key")
        route = f"{method} {url.path}"
        with self._lock:
            self.requests.append((method, url.path, params, key))
        with self._lock:
            busy = key is not None and (method, key) in self._in_flight
            if key is not None and not busy:
                self._in_flight.add((method, key))
        if busy:
            status, answer = 409, {"error": {"type": "idempotency_error",
                                             "message": "a request with this key is in progress"}}
        else:
            try:
                delay = next((s for r, s in self._delays.items() if route.startswith(r)), 0)
                if delay:
                    self._stop.wait(delay)
                with self._lock:
                    status, answer = self._answer(method, url.path, route, params, key)
            finally:
                if key is not None:
                    with self._lock:
                        self._in_flight.discard((method, key))
        payload = json.dumps(answer).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("Request-Id", f"req_{next(self._ids)}")
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
