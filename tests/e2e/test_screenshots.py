"""The README's screenshots are taken by `docs/screenshots/take.py`; here its `shoot` runs
against the test server, so a page change that breaks a shot (a renamed title, a login that
no longer lands) fails the suite rather than the next person who refreshes the pictures."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
TAKE = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "take.py"


def _take():
    spec = importlib.util.spec_from_file_location("take_screenshots", TAKE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_the_readme_screenshots_can_be_taken(browser, server, tmp_path):
    take = _take()
    taken = take.shoot(browser, server, tmp_path)
    assert [png.name for png in taken] == [shot.name for shot in take.SHOTS]
    for png in taken:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png.name
    committed = {shot.name for shot in take.SHOTS}
    assert committed <= {png.name for png in TAKE.parent.glob("*.png")}, "run docs/screenshots/take.py"
    assert all((TAKE.parent / name).stat().st_size < 60_000 for name in committed), "shrink the PNGs"
