"""The deadline model of the app (static/js/store/deadlines.js), tested by node's own runner."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent / "js" / "deadlines.test.mjs"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_deadline_model() -> None:
    result = subprocess.run(["node", "--test", str(TESTS)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TZ": "Europe/Paris"})
    assert result.returncode == 0, result.stdout + result.stderr
