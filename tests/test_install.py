"""`make run`'s install of the project (Makefile: pip install --no-deps -e .) prints nothing."""
import subprocess
import sys

import pytest

from scripts import harness

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)


def test_the_editable_install_shows_no_warning_box(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([f"{venv}/bin/pip", "install", "--quiet", "--upgrade", "pip"], check=True, capture_output=True)
    result = subprocess.run([f"{venv}/bin/pip", "install", "--quiet", "--no-deps", "-e", harness.ROOT],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "****" not in result.stderr and "Editable installation" not in result.stderr, result.stderr
