"""The README and docs/ link only to what exists in the repository (docs/check_links.py)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_link_of_the_readme_and_the_docs_resolves():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "check_links.py")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
