"""The deadline model of the app (static/js/store/deadlines.js), tested by node's own runner.

Node.js is part of the test set-up (`scripts/test.sh` installs it, as the minifier needs it too):
without it this test fails rather than skips, so that the model is never silently untested.
"""

import os
import shutil
import subprocess
from pathlib import Path

TESTS = Path(__file__).resolve().parent / "js" / "deadlines.test.mjs"


def test_the_deadline_model() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is missing: run scripts/test.sh, which installs it"
    result = subprocess.run([node, "--test", str(TESTS)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TZ": "Europe/Paris"})
    assert result.returncode == 0, result.stdout + result.stderr
