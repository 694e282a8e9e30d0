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
