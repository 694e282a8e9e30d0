"""/schema in a real browser: the OpenAPI viewer runs from the app's own files, under its
Content-Security-Policy, with every request to another origin blocked (as offline)."""
from __future__ import annotations

from urllib.parse import urlsplit


def test_the_viewer_renders_with_nothing_from_another_origin(new_page, server):
    page = new_page(javascript=True)
    ours = urlsplit(server).netloc
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_ours(route):
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/schema")
    page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
    assert "Alvéole" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 20  # the operations are listed
    assert elsewhere == []
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
