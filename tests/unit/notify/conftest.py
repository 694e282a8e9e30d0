"""vobject's timezone registry is isolated per test (see tests/integration/notify/conftest.py)."""
from tests.integration.notify.conftest import isolated_vobject_timezones  # noqa: F401
