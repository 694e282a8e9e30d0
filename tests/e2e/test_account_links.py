"""The emailed links in chromium with JavaScript off: a neighbour who came for a workshop signs
up, follows the `verify_email` link from the mail file and lands back on that workshop with the
Book button, and books; a neighbour who forgot her password asks for a link, sets a new
password with it and logs in."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import emailed_link, log_in, open_menu, sign_up

pytestmark = pytest.mark.slow
WORKSHOP = "Pain au levain"


def test_sign_up_from_a_workshop_verify_from_the_mail_and_book(new_page, demo_server):
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name=WORKSHOP).click()
    workshop = page.url.removeprefix(demo_server.url)
    page.get_by_role("link", name="Log in to book").first.click()
    page.get_by_role("link", name="Create an account").click()
    assert f"next={workshop}" in page.url, page.url
    address = f"e2e-verify-{workshop.rsplit('/', 1)[1]}@example.org"
    page.get_by_label("Your name").fill("Inès")
    page.get_by_label("Email address").fill(address)
    page.get_by_label(re.compile("^Password")).fill("a long enough password")
    page.get_by_role("button", name="Create my account").click()
    assert page.url.endswith(workshop), page.url
    main = page.locator("main").inner_text()
    assert "Confirm your email address to book" in main
    assert page.get_by_role("button", name=re.compile("^Book")).count() == 0
    assert page.get_by_role("button", name="Send the link again").count() == 1

    page.goto(emailed_link(demo_server, address, "verify_email"))
    page.get_by_role("button", name="Confirm my address").click()
    assert page.url.endswith(workshop), page.url
    assert "Your email address is confirmed" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name=re.compile("^Book")).first.click()
    assert page.url.endswith("/me/bookings"), page.url
    assert page.locator(".booking", has_text=WORKSHOP).count() == 1


def test_forgot_reset_then_log_in_with_the_new_password(new_page, demo_server):
    page = new_page()
    address = sign_up(page, "Rosa")
    open_menu(page)
    page.locator("header").get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a link").click()
    assert "a link to choose a new password is on its way" in page.locator("main").inner_text()

    page.goto(emailed_link(demo_server, address, "password_reset"))
    page.get_by_label("New password").fill("a brand new password")
    page.get_by_role("button", name="Save my new password").click()
    assert page.url.endswith("/login"), page.url
    assert "Your new password is saved" in page.get_by_role("status").first.inner_text()
    log_in(page, address, "a brand new password")
