"""Which translations a person has read against their English source, as they are now.

`translations/reviewed-LANG.tsv` holds one line per message: a short hash of the message (its
context, msgid, plural msgid and every translated form) as it read when reviewed, then the msgid,
plural msgid and context. A message whose source or translation changed since has another hash,
so it reads as unreviewed again; tests/test_i18n.py fails while any message is unreviewed.

    python translations/review.py list LANG               the unreviewed messages, with their hashes
    python translations/review.py record LANG HASH...     record these as reviewed (or `all` listed)
"""

import hashlib
import sys
from dataclasses import dataclass
from gettext import c2py
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

HERE = Path(__file__).resolve().parent
REVIEWED_LANGUAGES = ("fr", "ar")
HEADER = ("# Translations read against their English source: scripts/translations.sh review LANG.\n"
          "# hash of context, msgid, plural msgid and every msgstr\tmsgid\tplural msgid\tcontext\n")


@dataclass(frozen=True)
class Entry:
    msgid: str
    plural: str
    context: str
    forms: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.msgid, self.plural, self.context)

    @property
    def hash(self) -> str:
        text = "\x1f".join((self.context, self.msgid, self.plural, *self.forms))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def record_path(language: str) -> Path:
    return HERE / f"reviewed-{language}.tsv"


def entry(message: Message) -> Entry:
    ids = message.id if isinstance(message.id, tuple) else (message.id, "")
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return Entry(ids[0], ids[1], message.context or "", tuple(forms))


def read_catalog(language: str) -> Catalog:
    with open(HERE / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def entries(language: str) -> list[Entry]:
    return [entry(m) for m in read_catalog(language) if m.id]


# Tabs, newlines and backslashes are escaped so that each message keeps to one line.
def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def unescape(text: str) -> str:
    out, chars = [], iter(text)
    for char in chars:
        out.append({"t": "\t", "n": "\n"}.get(nxt := next(chars, ""), nxt) if char == "\\" else char)
    return "".join(out)


def read_records(language: str) -> dict[tuple[str, str, str], str]:
    path = record_path(language)
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        if line and not line.startswith("#"):
            # Empty trailing columns (no plural, no context) are not written.
            digest, msgid, plural, context = (line.split("\t") + ["", ""])[:4]
            records[(unescape(msgid), unescape(plural), unescape(context))] = digest
    return records


def write_records(language: str, records: dict[tuple[str, str, str], str]) -> None:
    rows = ["\t".join((records[key], *map(escape, key))).rstrip("\t") for key in sorted(records)]
    record_path(language).write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")


def unreviewed(language: str) -> list[tuple[Entry, str]]:
    """Each message without a record ("new") or whose record has another hash ("changed")."""
    records = read_records(language)
    return [(e, "changed" if e.key in records else "new") for e in entries(language)
            if records.get(e.key) != e.hash]


def form_counts(language: str) -> list[str]:
    """For each plural form, a few of the counts that pick it (the catalog's Plural-Forms)."""
    catalog = read_catalog(language)
    pick = c2py(catalog.plural_expr)  # the expression gettext evaluates
    samples: list[list[int]] = [[] for _ in range(catalog.num_plurals)]
    for n in (*range(200), 1000, 1001):
        if len(samples[form := pick(n)]) < 4:
            samples[form].append(n)
    return [", ".join(map(str, s)) for s in samples]


def show(language: str, found: list[tuple[Entry, str]]) -> None:
    counts = form_counts(language)
    for e, reason in found:
        print(f"{e.hash}  ({reason})")
        print(f"  msgid:   {e.msgid!r}")
        if e.plural:
            print(f"  plural:  {e.plural!r}")
        if e.context:
            print(f"  context: {e.context!r}")
        for i, form in enumerate(e.forms):
            label = f"[{i}] n = {counts[i]}" if e.plural else ""
            print(f"  msgstr{label}: {form!r}")
    print(f"{len(found)} message(s) of {language} to review.", file=sys.stderr)


def record(language: str, hashes: list[str]) -> None:
    found = {e.hash: e for e, _ in unreviewed(language)}
    chosen = list(found) if hashes == ["all"] else hashes
    unknown = [h for h in chosen if h not in found]
    if unknown:
        sys.exit(f"not among the unreviewed messages of {language} (list them again): {' '.join(unknown)}")
    current = {e.key for e in entries(language)}
    records = {key: digest for key, digest in read_records(language).items() if key in current}
    records.update({found[h].key: h for h in chosen})
    write_records(language, records)
    print(f"{len(chosen)} message(s) of {language} recorded as reviewed.", file=sys.stderr)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("list", "record") or argv[1] not in REVIEWED_LANGUAGES \
            or (argv[0] == "record" and len(argv) < 3):
        sys.exit(__doc__)
    if argv[0] == "list":
        show(argv[1], unreviewed(argv[1]))
    else:
        record(argv[1], argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
