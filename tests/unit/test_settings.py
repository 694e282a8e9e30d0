import datetime as dt

import pytest

from kernel.settings import DEV_SECRET_KEY, Settings, SettingsError, parse_duration, parse_durations


class TestFromEnv:
    def test_defaults_are_the_embedded_mode(self):
        settings = Settings.from_env({})
        assert settings.database_url == "sqlite:///var/alveole.db"
        assert settings.env == "dev" and settings.secret_key == DEV_SECRET_KEY
        assert settings.smtp_url is None and not settings.payments_configured
        assert settings.reminder_offsets == (dt.timedelta(hours=24), dt.timedelta(hours=2))
        assert settings.feedback_delay == dt.timedelta(hours=1)
        assert settings.payment_hold == dt.timedelta(minutes=30)
        assert settings.rate_limits is True

    def test_prod_without_secret_key_refuses_to_start(self):
        with pytest.raises(SettingsError, match="ALVEOLE_SECRET_KEY"):
            Settings.from_env({"ALVEOLE_ENV": "prod"})

    def test_prod_with_a_secret_key_starts_and_sqlite_stays_allowed(self):
        settings = Settings.from_env({"ALVEOLE_ENV": "prod", "ALVEOLE_SECRET_KEY": "k" * 40})
        assert settings.is_prod and settings.database_url.startswith("sqlite")

    def test_prod_refuses_a_short_secret(self):
        with pytest.raises(SettingsError):
            Settings.from_env({"ALVEOLE_ENV": "prod", "ALVEOLE_SECRET_KEY": "short"})

    @pytest.mark.parametrize("name,value", [
        ("ENV", "staging"), ("DATABASE_URL", "mysql://x"), ("SMTP_URL", "http://x"),
        ("PAYMENT_HOLD_MINUTES", "soon"), ("PAYMENT_HOLD_MINUTES", "0"), ("REMINDER_OFFSETS", "24x"),
        ("FEEDBACK_DELAY", "one hour"), ("RATE_LIMITS", "maybe"), ("WORKER_POLL_SECONDS", "-1"),
        ("SMS_URL", "http://x"), ("SMS_URL", "twilio://AC1@/+33700000000"),
        ("SMS_URL", "twilio://AC1:token@/0700000000"),
    ])
    def test_malformed_values_are_clear_errors(self, name, value):
        with pytest.raises(SettingsError):
            Settings.from_env({f"ALVEOLE_{name}": value})

    def test_overrides(self):
        settings = Settings.from_env({
            "ALVEOLE_REMINDER_OFFSETS": "2h, 3d,30m", "ALVEOLE_RATE_LIMITS": "off",
            "ALVEOLE_BASE_URL": "https://alveole.example/", "ALVEOLE_STRIPE_API_KEY": "sk",
            "ALVEOLE_STRIPE_WEBHOOK_SECRET": "whsec",
        })
        assert settings.reminder_offsets == (dt.timedelta(days=3), dt.timedelta(hours=2),
                                             dt.timedelta(minutes=30))
        assert settings.rate_limits is False and settings.payments_configured
        assert settings.base_url == "https://alveole.example"


@pytest.mark.parametrize("text,expected", [
    ("24h", dt.timedelta(hours=24)), ("90m", dt.timedelta(minutes=90)), ("2d", dt.timedelta(days=2)),
    ("45s", dt.timedelta(seconds=45)), (" 1h ", dt.timedelta(hours=1)),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


def test_parse_durations_deduplicates_and_sorts_latest_first():
    assert parse_durations("2h,24h,2h") == (dt.timedelta(hours=24), dt.timedelta(hours=2))

    def test_a_twilio_sms_url(self):
        settings = Settings.from_env({"ALVEOLE_SMS_URL": "twilio://AC123:s%40cret@/%2B33700000000",
                                      "ALVEOLE_TWILIO_API_BASE": "http://127.0.0.1:9/"})
        assert settings.twilio == ("AC123", "s@cret", "+33700000000")
        assert settings.twilio_api_base == "http://127.0.0.1:9"
        assert Settings.from_env({}).twilio is None
