"""The browser app's floors: protocol <- store <- sync <- app, and nothing imports upward.

Every module under static/js/ belongs to one floor, named by its folder; a file at the top of
static/js/ is a page script (login, enrolment, logout...). Each floor may import only the floors
below it and itself; the protocol is reached only through `protocol/index.js`; the store alone
names the kinds of device record. The test reads the `import` and `export ... from` statements
of every module, so an arrow the table below does not allow fails it.
"""

import re
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "static" / "js"

# What each floor may import. `audit` is the auditor's verification: pure, beside the store,
# on the protocol alone. `leaf` modules (i18n.js, the passphrase rules, the second factor's step)
# import only leaves and serve every floor above the protocol and the store; `vendor` are the
# pinned libraries.
ALLOWED = {
    "protocol": {"protocol", "vendor"},
    "store": {"protocol", "store", "vendor"},
    "audit": {"protocol", "audit"},
    "sync": {"protocol", "store", "sync", "leaf"},
    "app": {"protocol", "store", "sync", "audit", "app", "leaf", "vendor"},
    "pages": {"protocol", "store", "sync", "pages", "leaf"},
    "leaf": {"leaf"},
    "vendor": {"vendor"},
}
LEAVES = {"i18n.js", "passphrase.js", "factor-step.js"}
PROTOCOL_ENTRY = "protocol/index.js"
# The names of the device store's record kinds, as the store's accessors spell them.
RECORD_KINDS = ("profile", "case", "entries", "shelf", "summary", "outbox", "sync", "roster", "verified", "upkeep",
                "draft", "audit")

IMPORT = re.compile(r"""(?:^|[;\s])(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']"""
                    r"""|(?:^|[;\s])import\s*\(?\s*["']([^"']+)["']""", re.MULTILINE)
# A direct use of the store's generic calls with a kind spelt out: only store/records.js may.
RECORD_CALL = re.compile(r"""\.(?:get|put|list|delete)\(\s*["'](""" + "|".join(RECORD_KINDS) + r""")["']""")


def floor_of(path: PurePosixPath) -> str:
    """The floor of a module, from its path under static/ (e.g. `js/app/main.js`)."""
    parts = path.parts
    if parts[0] == "vendor":
        return "vendor"
    if len(parts) == 2:
        return "leaf" if parts[1] in LEAVES else "pages"
    return parts[1]


def imports_of(text: str) -> list[str]:
    return [first or second for first, second in IMPORT.findall(text)]


def target_of(module: PurePosixPath, specifier: str) -> PurePosixPath:
    """The imported module's path under static/, resolved against the importing one."""
    if specifier.startswith("/static/"):
        return PurePosixPath(specifier[len("/static/"):])
    parts: list[str] = list(module.parent.parts)
    for part in specifier.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return PurePosixPath(*parts)


def wrong_arrows(modules: dict[PurePosixPath, str]) -> list[str]:
    """Every import that goes up, across, or into the protocol past its index."""
    wrong = []
    for module, text in modules.items():
        floor = floor_of(module)
        for specifier in imports_of(text):
            target = target_of(module, specifier)
            to = floor_of(target)
            if to not in ALLOWED[floor]:
                wrong.append(f"{module} -> {target} ({floor} may not import {to})")
            elif to == "protocol" and floor != "protocol" and target.as_posix() != "js/" + PROTOCOL_ENTRY:
                wrong.append(f"{module} -> {target} (outside the protocol, only {PROTOCOL_ENTRY})")
    return wrong


def app_modules() -> dict[PurePosixPath, str]:
    return {PurePosixPath(path.relative_to(JS.parent).as_posix()): path.read_text("utf-8")
            for path in sorted(JS.rglob("*.js"))}


def test_the_modules_are_found_on_every_floor() -> None:
    floors = {floor_of(module) for module in app_modules()}
    assert {"protocol", "store", "sync", "app", "audit", "pages", "leaf"} <= floors
    assert set(floors) <= set(ALLOWED)


def test_no_module_imports_upward_across_floors_or_past_the_protocol_index() -> None:
    modules = app_modules()
    # The reader sees every import: a module of the app imports something.
    assert sum(len(imports_of(text)) for text in modules.values()) > 100
    assert wrong_arrows(modules) == []


@pytest.mark.parametrize("module,specifier,why", [
    ("js/store/vault.js", "../sync/engine.js", "store may not import sync"),
    ("js/sync/engine.js", "../app/ui.js", "sync may not import app"),
    ("js/protocol/keys.js", "../store/records.js", "protocol may not import store"),
    ("js/audit/chain.js", "../store/vault.js", "audit may not import store"),
    ("js/sync/api.js", "../login.js", "sync may not import pages"),
    ("js/app/main.js", "../enrol.js", "app may not import pages"),
    ("js/app/intake.js", "../protocol/keys.js", "only protocol/index.js"),
    ("js/login.js", "/static/js/protocol/kdf.js", "only protocol/index.js"),
])
def test_an_upward_or_crossing_import_added_to_a_module_fails(module: str, specifier: str, why: str) -> None:
    modules = app_modules()
    path = PurePosixPath(module)
    modules[path] = modules.get(path, "") + f'\nimport {{ x }} from "{specifier}";\n'
    wrong = wrong_arrows(modules)
    assert len(wrong) == 1 and wrong[0].startswith(f"{module} -> "), why


def test_multiline_and_dynamic_imports_are_read() -> None:
    text = 'import {\n  a,\n  b,\n} from "../sync/engine.js";\nconst m = await import("../app/ui.js");\nexport * from "./x.js";'
    assert imports_of(text) == ["../sync/engine.js", "../app/ui.js", "./x.js"]


def test_only_the_store_names_the_kinds_of_device_record() -> None:
    named = [f"{module}: {match}" for module, text in app_modules().items()
             if module.as_posix() != "js/store/records.js" for match in RECORD_CALL.findall(text)]
    assert named == []
    assert RECORD_CALL.findall('await state.vault.get("case", id);') == ["case"]
