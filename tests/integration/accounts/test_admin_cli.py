"""`alveole create-admin` through alveole.cli.main, on its own SQLite file."""
from __future__ import annotations

import asyncio

import pytest

from alveole import cli
from kernel import db as dbmod
from accounts.passwords import verify_password
from accounts.tables import User


@pytest.fixture
def database_file(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    monkeypatch.setenv("ALVEOLE_DATABASE_URL", url)
    return url


def users(url: str) -> list[dict]:
    async def read() -> list[dict]:
        database = await dbmod.connect(url)
        try:
            return await User.select(User.email, User.is_admin, User.password_hash,
                                     User.display_name).order_by(User.id)
        finally:
            await dbmod.disconnect(database)

    return asyncio.run(read())


def test_creates_an_admin_who_can_log_in(database_file, capsys):
    assert cli.main(["create-admin", "Root@Example.org", "--password", "a long secret"]) == 0
    assert "created" in capsys.readouterr().out
    [admin] = users(database_file)
    assert admin["email"] == "root@example.org" and admin["is_admin"] is True
    assert admin["display_name"] == "root"
    assert asyncio.run(verify_password(admin["password_hash"], "a long secret"))


def test_promotes_an_existing_user_and_keeps_their_password(database_file, capsys):
    assert cli.main(["create-admin", "root@example.org", "--password", "first secret"]) == 0

    async def demote() -> None:
        database = await dbmod.connect(database_file)
        try:
            await User.update({User.is_admin: False}).where(User.email == "root@example.org")
        finally:
            await dbmod.disconnect(database)

    asyncio.run(demote())
    capsys.readouterr()
    assert cli.main(["create-admin", "ROOT@example.org", "--password", "other secret"]) == 0
    assert "promoted" in capsys.readouterr().out
    [admin] = users(database_file)
    assert admin["is_admin"] is True
    assert asyncio.run(verify_password(admin["password_hash"], "first secret"))


@pytest.mark.parametrize("email, password, complaint", [
    ("not-an-email", "long enough", "email"),
    ("root@example.org", "short", "password"),
    ("x,root@example.org", "long enough", "email"),
    ("Root <root@example.org>", "long enough", "email"),
    ("root@example.org, eve@evil.test", "long enough", "email"),
])
def test_refuses_bad_input(database_file, capsys, email, password, complaint):
    assert cli.main(["create-admin", email, "--password", password]) == 2
    assert complaint in capsys.readouterr().err
    assert users(database_file) == []
