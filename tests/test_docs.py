"""The threat model names real tests: every `file::test` it cites exists."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def functions_in(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_test_the_threat_model_cites_exists() -> None:
    text = (ROOT / "docs" / "THREAT_MODEL.md").read_text("utf-8")
    cited = re.findall(r"`((?:[a-z_]+/)?test_[a-z0-9_]+\.py)(?:::(test_[a-z0-9_]+))?`", text)
    assert len(cited) > 40
    missing = []
    for file_name, function in cited:
        candidates = [p for p in TESTS.rglob(Path(file_name).name) if p.as_posix().endswith(file_name)]
        if not candidates or (function and not any(function in functions_in(p) for p in candidates)):
            missing.append(f"{file_name}::{function}")
    assert missing == []
