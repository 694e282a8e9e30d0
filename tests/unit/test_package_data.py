"""Templates, static files, catalogues and migrations are package data: each is reachable
through importlib.resources (as from an installed wheel) and covered by pyproject's
`[tool.setuptools.package-data]` globs, so a wheel ships every one of them."""
from __future__ import annotations

import fnmatch
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _package_data() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]


def _data_files() -> list[tuple[str, str]]:
    """(package, path inside it) of every file under a package's data directories."""
    found = []
    for package_dir in sorted(p for p in SRC.iterdir() if (p / "__init__.py").is_file()):
        for name in ("templates", "static", "locale", "piccolo_migrations"):
            for path in sorted((package_dir / name).rglob("*")) if (package_dir / name).is_dir() else []:
                if path.is_file() and "__pycache__" not in path.parts:
                    found.append((package_dir.name, path.relative_to(package_dir).as_posix()))
    return found


def _covered(package: str, relative: str, globs: dict[str, list[str]]) -> bool:
    # setuptools matches each glob against the path inside the package; `*` stays in one directory
    patterns = [*globs.get(package, []), *globs.get("*", [])]
    return any(fnmatch.fnmatchcase(relative, pattern) and relative.count("/") == pattern.count("/")
               for pattern in patterns)


FILES = _data_files()


def test_there_are_data_files_of_each_kind():
    kinds = {(package, relative.split("/")[0]) for package, relative in FILES}
    assert {("web", "templates"), ("web", "static"), ("notify", "templates"), ("kernel", "locale"),
            ("booking", "piccolo_migrations")} <= kinds


@pytest.mark.parametrize(("package", "relative"), FILES, ids=[f"{p}/{r}" for p, r in FILES])
def test_each_is_package_data_and_reachable(package, relative):
    assert _covered(package, relative, _package_data()), f"no package-data glob ships {package}/{relative}"
    resource = files(package).joinpath(*relative.split("/"))
    assert resource.is_file() and resource.read_bytes() == (SRC / package / relative).read_bytes()


def test_nothing_is_found_through_the_checkout():
    """Files are found with importlib.resources, never by a path from the source tree."""
    offenders = [str(path.relative_to(ROOT)) for path in SRC.rglob("*.py")
                 if "PROJECT_ROOT" in path.read_text() or "parents[2]" in path.read_text()]
    assert offenders == []
