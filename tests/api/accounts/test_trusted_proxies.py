"""`ALVEOLE_TRUSTED_PROXIES`: X-Forwarded-For / Forwarded are believed only from those peers
(rightmost untrusted address); from any other peer they are ignored, so a spoofed header
cannot spread a password guesser over fresh "addresses"."""
from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from kernel.http import client_address
from kernel.settings import Settings, SettingsError
from tests.api.accounts.test_login_lockout import client_at
from tests.factories import make_user

LOGIN = "/api/v1/auth/login"
PROXY = "10.0.0.5"


def nets(*texts: str):
    return tuple(ipaddress.ip_network(t) for t in texts)


class TestClientAddress:
    def test_without_trusted_proxies_the_headers_are_ignored(self):
        assert client_address("192.0.2.7", {"x-forwarded-for": "203.0.113.1"}, ()) == "192.0.2.7"

    def test_from_an_untrusted_peer_the_headers_are_ignored(self):
        headers = {"x-forwarded-for": "203.0.113.1", "forwarded": "for=203.0.113.2"}
        assert client_address("192.0.2.7", headers, nets("10.0.0.0/8")) == "192.0.2.7"

    def test_from_a_trusted_peer_the_rightmost_untrusted_address_counts(self):
        # the client wrote 6.6.6.6 itself; our two proxies appended what they saw
        headers = {"x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.4"}
        assert client_address(PROXY, headers, nets("10.0.0.0/8")) == "203.0.113.9"

    def test_forwarded_is_read_too_with_ports_and_ipv6(self):
        headers = {"forwarded": 'for=6.6.6.6, for="[2001:db8::1]:4711";proto=https, for=10.0.0.4'}
        assert client_address(PROXY, headers, nets("10.0.0.0/8")) == "2001:db8::1"
        assert client_address(PROXY, {"forwarded": "for=192.0.2.60:80"}, nets("10.0.0.5/32")) == "192.0.2.60"

    def test_a_trusted_peer_without_headers_is_the_client(self):
        assert client_address(PROXY, {}, nets("10.0.0.5")) == PROXY


class TestSetting:
    def test_parsed_from_the_environment(self):
        settings = Settings.from_env({"ALVEOLE_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,::1"})
        assert settings.trusted_proxies == nets("10.0.0.1/32", "192.168.0.0/16", "::1/128")
        assert Settings.from_env({}).trusted_proxies == ()

    def test_a_bad_entry_refuses_to_start(self):
        with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
            Settings.from_env({"ALVEOLE_TRUSTED_PROXIES": "10.0.0.1, proxy.example"})


class TestLoginLimits:
    async def test_a_spoofed_header_from_an_untrusted_peer_does_not_bypass_the_address_limit(
            self, app, client, runtime):
        user = await make_user()
        statuses = []
        async with client_at(app, "198.51.100.66") as http:
            for n in range(60):  # 50 attempts per address per 15 min
                response = await http.post(LOGIN, json={"email": user["email"], "password": "wrong-password"},
                                           headers={"X-Forwarded-For": f"203.0.113.{n}",
                                                    "Forwarded": f"for=192.0.2.{n}"})
                statuses.append(response.status_code)
        assert statuses.count(429) >= 10 and 429 in statuses[:50 + 1]

    async def test_behind_a_trusted_proxy_each_client_counts_apart(self, app, client, runtime):
        runtime.settings = dataclasses.replace(runtime.settings, trusted_proxies=nets("10.0.0.0/8"))
        user = await make_user()
        async with client_at(app, PROXY) as http:
            for n in range(60):
                response = await http.post(LOGIN, json={"email": user["email"], "password": user["password"]},
                                           headers={"X-Forwarded-For": f"203.0.113.{n}"})
                assert response.status_code == 200, (n, response.text)
