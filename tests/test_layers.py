"""The protocol package stands alone: no server, web or database import, and no state kept between
calls (a cache for a server's sake belongs to the server, in sync/)."""

import ast
from pathlib import Path

import pytest

CRYPTO = Path(__file__).resolve().parent.parent / "crypto"
FORBIDDEN_IMPORTS = {"flask", "sqlcipher3", "psycopg", "psycopg_pool", "sync", "webapp"}
MUTABLE_CALLS = {"dict", "set", "list", "defaultdict", "OrderedDict", "Counter", "deque", "bytearray"}
MUTATING_METHODS = {"add", "append", "clear", "discard", "extend", "insert", "pop", "popitem", "remove",
                    "setdefault", "update", "appendleft", "extendleft"}
CACHE_DECORATORS = {"lru_cache", "cache", "cached"}


def modules() -> list[Path]:
    return sorted(CRYPTO.glob("*.py"))


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def is_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Dict | ast.Set | ast.List | ast.DictComp | ast.SetComp | ast.ListComp):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in MUTABLE_CALLS
    return False


def module_mutables(tree: ast.Module) -> set[str]:
    """Names bound at module level to a dict, set, list (or the like)."""
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if is_mutable(value):
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def mutations(tree: ast.Module, names: set[str]) -> list[str]:
    """Where a module-level mutable is changed: a mutating method, an item assignment, ``global``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in names \
                and node.func.attr in MUTATING_METHODS:
            found.append(f"{node.func.value.id}.{node.func.attr}() line {node.lineno}")
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else \
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id in names:
                found.append(f"{target.value.id}[...] line {node.lineno}")
        if isinstance(node, ast.Global):
            found.append(f"global {', '.join(node.names)} line {node.lineno}")
    return found


def cache_decorators(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name in CACHE_DECORATORS:
                    found.append(f"@{name} on {node.name}")
    return found


def problems(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [f"imports {root}" for root in sorted(imported_roots(tree) & FORBIDDEN_IMPORTS)]
    return found + mutations(tree, module_mutables(tree)) + cache_decorators(tree)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_the_protocol_package_imports_no_server_and_keeps_no_state(path: Path) -> None:
    assert problems(path.read_text("utf-8")) == []


def test_the_check_finds_a_memo_a_cache_and_a_server_import() -> None:
    memo = "_SEEN: set[bytes] = set()\n\ndef check(x):\n    if x in _SEEN:\n        return\n    _SEEN.add(x)\n"
    assert problems(memo) == ["_SEEN.add() line 6"]
    assert problems("TABLE = {}\n\ndef put(k, v):\n    TABLE[k] = v\n") == ["TABLE[...] line 4"]
    assert problems("import functools\n\n@functools.lru_cache(maxsize=8)\ndef f(x):\n    return x\n") \
        == ["@lru_cache on f"]
    assert problems("from functools import cache\n\n@cache\ndef f(x):\n    return x\n") == ["@cache on f"]
    assert problems("from sync.db import transaction\nimport flask\n") == ["imports flask", "imports sync"]
    assert problems("COUNT = 0\n\ndef bump():\n    global COUNT\n    COUNT += 1\n") == ["global COUNT line 4"]
    # Constant tables read and never changed are fine.
    assert problems("NAMES = {1: 'a'}\n\ndef name(k):\n    return NAMES[k]\n") == []
