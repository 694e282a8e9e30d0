from tests.factories import auth, make_session, make_user


async def test_health_answers_ok(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_the_database(client):
    response = await client.get("/ready")
    assert response.status_code == 200


async def test_unknown_path_is_a_problem(client):
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/not-found")


async def test_factories_work_against_the_database(client):
    user = await make_user()
    session = await make_session(capacity=3)
    assert session["capacity"] == 3 and user["id"] > 0 and auth(user)


async def test_ready_fails_while_the_booking_path_cannot_take_a_write(client, runtime, monkeypatch):
    from booking.errors import StoreUnavailable

    async def unavailable(op):
        raise StoreUnavailable()

    monkeypatch.setattr(runtime.booking_store, "run", unavailable)
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["type"].endswith("/not-ready") and response.headers["Retry-After"]


async def test_a_lost_database_connection_on_a_read_is_503_not_500(client, monkeypatch):
    import asyncpg

    from accounts import repository

    async def lost(*args, **kwargs):
        raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")

    user = await make_user()
    monkeypatch.setattr(repository, "token_with_user", lost)
    response = await client.get("/api/v1/me", headers=auth(user))
    assert response.status_code == 503
    assert response.json()["type"].endswith("/database-unavailable")
    assert int(response.headers["Retry-After"]) >= 1
