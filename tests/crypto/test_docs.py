"""The specs stay true to the code: every attack test is in the threat model, every label and
error class in the protocol."""

import ast
from pathlib import Path

from crypto import errors, labels

ROOT = Path(__file__).resolve().parents[2]


def test_every_attack_test_is_listed_in_the_threat_model() -> None:
    threat_model = (ROOT / "docs" / "THREAT_MODEL.md").read_text("utf-8")
    found = []
    for path in sorted((ROOT / "tests" / "attacks").glob("test_*.py")):
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.append(f"`{path.name}::{node.name}`")
    assert len(found) >= 30
    assert [name for name in found if name not in threat_model] == []


def test_every_label_and_error_class_is_in_the_protocol() -> None:
    protocol = (ROOT / "docs" / "PROTOCOL.md").read_text("utf-8")
    for name, value in labels.ALL_LABELS.items():
        assert f"| {name} | `{value.decode().replace(chr(0), chr(92) + '0')}` |" in protocol, name
    for name in dir(errors):
        if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), Exception):
            assert f"`{name}`" in protocol, name
