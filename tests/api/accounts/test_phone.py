"""A phone number and the text opt-in on the account: PATCH /api/v1/me (E.164, French by
default, 400 naming `phone`), the export, the erasure, My account in both languages."""
from __future__ import annotations

from typing import ClassVar

import pytest

from accounts.repository import opt_out_phone
from tests.api.accounts.conftest import error_fields, problem_slug
from tests.api.web.test_participant_pages import as_user
from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import auth, make_user
from tests.integration.booking.support import rows

ME = "/api/v1/me"


class TestPatchMe:
    async def test_a_new_user_has_no_phone_and_no_opt_in(self, client):
        body = (await client.get(ME, headers=auth(await make_user()))).json()
        assert (body["phone"], body["sms_opt_in"]) == (None, False)

    @pytest.mark.parametrize(("typed", "stored"), [("06 12 34 56 78", "+33612345678"),
                                                   ("+33 6 12 34 56 78", "+33612345678"),
                                                   ("07.81.23.45.67", "+33781234567"),
                                                   ("+44 7911 123456", "+447911123456")])
    async def test_the_number_is_stored_in_e164(self, client, typed, stored):
        user = await make_user()
        response = await client.patch(ME, json={"phone": typed, "sms_opt_in": True}, headers=auth(user))
        assert response.status_code == 200
        assert (response.json()["phone"], response.json()["sms_opt_in"]) == (stored, True)

    @pytest.mark.parametrize("typed", ["12", "01 23 45 67 89", "not a number", "+33 6 12", "0" * 40, "06\x0012"])
    async def test_an_invalid_or_fixed_line_number_is_400_naming_phone_and_nothing_is_written(self, client, typed):
        user = await make_user()
        response = await client.patch(ME, json={"phone": typed, "sms_opt_in": True, "bio": "new"}, headers=auth(user))
        assert response.status_code == 400 and problem_slug(response) == "validation-error"
        assert error_fields(response) == {"phone"}
        body = (await client.get(ME, headers=auth(user))).json()
        assert (body["phone"], body["sms_opt_in"], body["bio"]) == (None, False, "")

    async def test_null_removes_the_number(self, client):
        user = await make_user(phone="+33612345678", sms_opt_in=True)
        response = await client.patch(ME, json={"phone": None}, headers=auth(user))
        assert response.json()["phone"] is None

    async def test_opting_in_again_does_not_lift_a_stop_from_that_number(self, client, clock):
        """Typing a number in proves nothing about owning it: only a START sent from the number
        lifts its STOP (tests/api/notify/test_review_findings.py)."""
        user = await make_user(phone="+33612345678", sms_opt_in=True)
        await opt_out_phone("+33612345678", clock.now())
        assert (await client.get(ME, headers=auth(user))).json()["sms_opt_in"] is False
        await client.patch(ME, json={"sms_opt_in": True}, headers=auth(user))
        assert [r["phone"] for r in await rows("SELECT phone FROM sms_opt_out")] == ["+33612345678"]

    async def test_anonymous_is_401(self, client):
        assert (await client.patch(ME, json={"phone": "0612345678"})).status_code == 401


class TestPrivacy:
    async def test_the_export_has_them_and_the_erasure_clears_them(self, client):
        user = await make_user(phone="+33612345678", sms_opt_in=True)
        profile = (await client.get(ME + "/export", headers=auth(user))).json()["profile"]
        assert (profile["phone"], profile["sms_opt_in"]) == ("+33612345678", True)
        assert (await client.delete(ME, headers=auth(user))).status_code == 204
        (row,) = await rows('SELECT phone, sms_opt_in FROM app_user WHERE id = {}', user["id"])
        assert row["phone"] is None and not row["sms_opt_in"]


class TestAccountPage:
    PROFILE: ClassVar[dict[str, str]] = {"display_name": "Zoé", "bio": "", "skills": "", "locale": "fr",
                                        "timezone": "Europe/Paris"}

    async def test_the_number_and_opt_in_are_saved_and_shown(self, client, settings):
        user = await make_user(display_name="Zoé", locale="fr")
        csrf = as_user(client, user, settings)
        page = html_page(await client.get("/me/account", headers=BROWSER))
        assert "SMS" in page.visible and "STOP" in page.visible and "ANNULER" in page.visible
        saved = await client.post("/me/account", headers=BROWSER, data={
            **self.PROFILE, "phone": "06 12 34 56 78", "sms_opt_in": "on", "csrf_token": csrf})
        assert saved.status_code == 303
        me = (await client.get(ME, headers=auth(user))).json()
        assert (me["phone"], me["sms_opt_in"]) == ("+33612345678", True)
        form = await client.get("/me/account", headers=BROWSER)
        assert 'value="06 12 34 56 78"' in form.text and 'id="sms_opt_in" name="sms_opt_in" checked' in form.text
        # unticked: no field sent
        await client.post("/me/account", headers=BROWSER, data={
            **self.PROFILE, "phone": "06 12 34 56 78", "csrf_token": csrf})
        assert (await client.get(ME, headers=auth(user))).json()["sms_opt_in"] is False

    @pytest.mark.parametrize("locale", ["en", "fr"])
    async def test_a_wrong_number_is_told_next_to_the_field(self, client, settings, locale):
        user = await make_user(display_name="Zoé", locale=locale)
        csrf = as_user(client, user, settings)
        response = await client.post("/me/account", headers=BROWSER, data={
            **self.PROFILE, "locale": locale, "phone": "12", "csrf_token": csrf})
        page = html_page(response, 400)
        assert ("Saisissez un numéro de mobile" if locale == "fr" else "Enter a mobile number") in page.visible
        assert 'id="phone-error"' in response.text
        assert (await client.get(ME, headers=auth(user))).json()["phone"] is None
