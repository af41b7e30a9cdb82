"""Message catalogues: extract, merge, compile and check (Babel; a dev/test dependency only).

    python scripts/i18n.py update      # re-extract, merge into every .po, compile the .mo files
    python scripts/i18n.py check       # exit 1 if a .mo is stale or a message lacks a translation
    python scripts/i18n.py missing > todo.tsv   # untranslated / fuzzy messages, one "msgid<TAB>" per line
    python scripts/i18n.py apply todo.tsv       # after filling in the second column: merge and compile
    python scripts/i18n.py extract [-o mediaproc.pot]   # the template alone

Where messages come from (all three are merged into one template):

1. ``_("...")`` and ``N_("...")`` calls in ``src/mediaproc`` (Babel's Python extractor);
2. the help text of the built Click command tree (``mediaproc.i18n.help_strings``), so Typer help
   strings stay plain English in the code and are translated at run time from this same list;
3. the operation catalogue's summaries and parameter help (``mediaproc ops``).

``update`` keeps existing translations, marks near matches fuzzy (a fuzzy entry is not compiled
and counts as missing until a person confirms it), drops messages no longer in the code as
obsolete, and writes the ``.po`` sorted by message (stable diffs: file names, no line numbers).
The runtime uses stdlib ``gettext`` on the compiled ``.mo`` only.
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "mediaproc"
sys.path.insert(0, str(ROOT / "src"))

from mediaproc.i18n import DOMAIN, LANGUAGES, LOCALE_DIR  # noqa: E402

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}  # ngettext: (singular, plural) entries
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
PROJECT = "mediaproc"
HEADER = "Messages of mediaproc (see scripts/i18n.py)."


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _code_messages() -> Iterable[tuple[str | tuple[str, str], str]]:
    from babel.messages.extract import extract_from_dir

    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, str) and message:
            yield message, f"src/mediaproc/{filename}"
        elif isinstance(message, tuple) and len(message) == 2 and all(message):  # ngettext
            yield (message[0], message[1]), f"src/mediaproc/{filename}"


def _help_messages() -> Iterable[tuple[str, str]]:
    import typer.main

    from mediaproc.cli.app import app
    from mediaproc.i18n import help_strings

    for text in help_strings(typer.main.get_command(app)):
        yield text, "cli help"


def _catalogue_messages() -> Iterable[tuple[str, str]]:
    from mediaproc.ops.catalog import all_specs

    for spec in all_specs():
        yield spec.summary, f"ops {spec.name}"
        for param in spec.params:
            if param.help:
                yield param.help, f"ops {spec.name}"


def template() -> object:
    """The catalogue template (a babel Catalog) of every message the code can show."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(project=PROJECT, version=None, header_comment=f"# {HEADER}", fuzzy=False,
                      charset="utf-8")
    for source in (_code_messages(), _help_messages(), _catalogue_messages()):
        for message, where in source:
            catalog.add(message, locations=[(where, None)], flags=_flags(message))
    return catalog


def _flags(message: str | tuple[str, ...]) -> tuple[str, ...]:
    return ("python-brace-format",) if _fields(_singular(message)) else ()


def _singular(message: str | tuple[str, ...] | list[str]) -> str:
    """The text a message is known by: itself, or a plural entry's singular (``ngettext``)."""
    return message if isinstance(message, str) else message[0]


def _texts(message: str | tuple[str, ...] | list[str]) -> list[str]:
    """Every text of a message or translation: one, or each plural form."""
    return [message] if isinstance(message, str) else list(message)


def _fields(text: str) -> set[str]:
    """The replacement field names of a str.format template (``{name!r}`` -> ``name``)."""
    out: set[str] = set()
    try:
        for _lit, field, _spec, _conv in string.Formatter().parse(text):
            if field is not None:
                out.add(field.split(".", 1)[0].split("[", 1)[0])
    except ValueError:
        out.add("<malformed>")
    return out


def _read(path: Path, lang: str) -> object:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=lang, project=PROJECT, header_comment=f"# {HEADER}", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _po_bytes(catalog: object) -> bytes:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=True, include_lineno=False, omit_header=False,
             ignore_obsolete=True)
    return buf.getvalue()


def _mo_bytes(catalog: object) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def _stable(catalog: object) -> None:
    """Fixed header fields, so compiling the same .po always gives the same .mo."""
    catalog.revision_date = catalog.creation_date = _EPOCH  # type: ignore[attr-defined]
    catalog.last_translator = "mediaproc team"  # type: ignore[attr-defined]
    catalog.language_team = "mediaproc team"  # type: ignore[attr-defined]
    catalog.msgid_bugs_address = ""  # type: ignore[attr-defined]
    catalog.version = "1"  # type: ignore[attr-defined]
    catalog.fuzzy = False  # type: ignore[attr-defined]


def _epoch() -> object:
    import datetime

    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


_EPOCH = _epoch()


def update() -> int:
    tmpl = template()
    for lang in TRANSLATED:
        path = po_path(lang)
        catalog = _read(path, lang)
        catalog.update(tmpl, no_fuzzy_matching=False)  # type: ignore[attr-defined]
        _stable(catalog)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_po_bytes(catalog))
        compile_one(lang)
        missing = _missing(_read(path, lang))
        print(f"{lang}: {len(list(catalog))} messages, {len(missing)} without a translation -> {path}")
    return 0


def compile_one(lang: str) -> None:
    catalog = _read(po_path(lang), lang)
    _stable(catalog)
    mo_path(lang).write_bytes(_mo_bytes(catalog))


def _missing(catalog: object) -> list[object]:
    return [m for m in catalog if m.id and (not all(_texts(m.string)) or m.fuzzy)]  # type: ignore[attr-defined]


def problems() -> list[str]:
    """Everything that makes the catalogues unfit to ship; empty when they are fine."""
    out: list[str] = []
    wanted = {m.id for m in template() if m.id}  # type: ignore[attr-defined]
    for lang in TRANSLATED:
        po = po_path(lang)
        if not po.exists():
            out.append(f"{po} is missing: run `python scripts/i18n.py update`")
            continue
        catalog = _read(po, lang)
        have = {m.id for m in catalog if m.id}  # type: ignore[attr-defined]
        new = sorted(wanted - have)
        gone = sorted(have - wanted)
        if new:
            out.append(f"{lang}: {len(new)} messages in the code are not in {po.name} (run update): "
                       + "; ".join(repr(m) for m in new[:5]))
        if gone:
            out.append(f"{lang}: {len(gone)} messages in {po.name} are no longer in the code (run update): "
                       + "; ".join(repr(m) for m in gone[:5]))
        for m in _missing(catalog):
            if m.id in wanted:
                out.append(f"{lang}: no translation{' (fuzzy)' if m.fuzzy else ''} for {m.id!r}")
        for m in catalog:
            if not (m.id and m.string and not m.fuzzy):
                continue
            for text in _texts(m.string):
                if _fields(_singular(m.id)) != _fields(text):
                    out.append(f"{lang}: placeholders differ in {m.id!r}: {sorted(_fields(_singular(m.id)))} vs "
                               f"{sorted(_fields(text))} in {text!r}")
        mo = mo_path(lang)
        if not mo.exists() or _compiled_messages(mo) != _translations(catalog):
            out.append(f"{mo} is stale: run `python scripts/i18n.py update` (or compile) and commit it")
    return out


def _translations(catalog: object) -> dict[object, str]:
    """What a .mo compiled from this catalogue must map: each translated, non-fuzzy message.

    The header entry (msgid "") is left out on purpose: Babel writes its own version into
    ``Generated-By``, so comparing bytes or headers calls a correct .mo stale after a Babel release.
    """
    out: dict[object, str] = {}
    for m in catalog:  # type: ignore[attr-defined]
        if not (m.id and m.string and not m.fuzzy) or not all(_texts(m.string)):
            continue
        if isinstance(m.id, str):
            out[m.id] = m.string
        else:  # a plural entry: gettext keys each form by (singular, index)
            out.update({(m.id[0], i): text for i, text in enumerate(m.string)})
    return out


def _compiled_messages(mo: Path) -> dict[object, str]:
    """The messages a .mo file maps, read with the same stdlib gettext the runtime uses."""
    import gettext

    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    return {k: v for k, v in compiled._catalog.items() if k}  # type: ignore[attr-defined]


def check() -> int:
    found = problems()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} problem(s)")
    return 1 if found else 0


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def missing(lang: str) -> int:
    """One line per message without a translation: the escaped msgid, a tab, and nothing yet."""
    catalog = _read(po_path(lang), lang)
    for m in _missing(catalog):
        print(f"{_escape(_singular(m.id))}\t")  # type: ignore[attr-defined]  # a plural entry by its singular
    return 0


def apply(path: str, lang: str) -> int:
    """Merge ``msgid<TAB>translation`` lines (as ``missing`` writes them) into the .po and compile."""
    catalog = _read(po_path(lang), lang)
    bad = 0
    done = 0
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        msgid, sep, text = line.partition("\t")
        if not sep or not text.strip():
            continue
        msgid, text = _unescape(msgid), _unescape(text)
        message = catalog.get(msgid) or next(  # type: ignore[attr-defined]
            (m for m in catalog if not isinstance(m.id, str) and m.id[0] == msgid), None)  # type: ignore[attr-defined]
        if message is None:
            print(f"{path}:{n}: not in the catalogue (run update first): {msgid!r}")
            bad += 1
            continue
        if _fields(msgid) != _fields(text):
            print(f"{path}:{n}: placeholders differ: {sorted(_fields(msgid))} vs {sorted(_fields(text))}")
            bad += 1
            continue
        # a plural entry takes the one text for every form of the language (Chinese has one)
        message.string = text if isinstance(message.id, str) else (text,) * catalog.num_plurals  # type: ignore[attr-defined]
        message.flags.discard("fuzzy")
        done += 1
    _stable(catalog)
    po_path(lang).write_bytes(_po_bytes(catalog))
    compile_one(lang)
    print(f"{lang}: {done} translations merged, {bad} refused")
    return 1 if bad else 0


def extract(output: str | None) -> int:
    data = _po_bytes(template())
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="re-extract, merge into the .po files and compile the .mo files")
    sub.add_parser("compile", help="compile the .po files into .mo files")
    sub.add_parser("check", help="fail when a catalogue is stale or incomplete")
    miss = sub.add_parser("missing", help="list messages without a translation")
    miss.add_argument("--lang", default=TRANSLATED[0])
    app = sub.add_parser("apply", help="merge msgid<TAB>translation lines and compile")
    app.add_argument("file")
    app.add_argument("--lang", default=TRANSLATED[0])
    ext = sub.add_parser("extract", help="write the template (.pot)")
    ext.add_argument("-o", "--output")
    args = parser.parse_args(argv)
    if args.command == "update":
        return update()
    if args.command == "compile":
        for lang in TRANSLATED:
            compile_one(lang)
        return 0
    if args.command == "check":
        return check()
    if args.command == "missing":
        return missing(args.lang)
    if args.command == "apply":
        return apply(args.file, args.lang)
    return extract(args.output)


if __name__ == "__main__":
    sys.exit(main())
