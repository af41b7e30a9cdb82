"""Messages in English or Simplified Chinese, with stdlib ``gettext`` and nothing else at run time.

Every human-facing string goes through ``_()`` with named placeholders filled *after* translation:
``_("unknown operation {name!r}").format(name=name)``. JSON field names, JSON values and exit codes
never change with the language: ``_()`` returns a :class:`Message`, a ``str`` holding the
translation that also remembers its English text (``.en``), and ``output.py`` writes ``.en`` into
JSON documents. So ``--json`` output is byte-identical in every language while the lines on stderr
are in the user's.

The language is decided once, early (before ``mediaproc.cli.app`` is imported, so help text is
right): ``--lang`` on the command line, else ``MEDIAPROC_LANG``, else the locale (``LC_ALL``,
``LC_MESSAGES``, ``LANG``; ``zh_CN.UTF-8`` gives Chinese). A profile's ``lang`` applies once the
settings are resolved. Catalogues: ``locale/<lang>/LC_MESSAGES/mediaproc.po`` (sources, edited by
people) and ``.mo`` (compiled, committed); ``scripts/i18n.py update`` re-extracts, merges and compiles
them with Babel (a dev dependency; nothing here imports it).

Help text in Typer decorators stays plain English in the code (one source of truth for extraction
and for English users); :func:`translate_command` translates the built Click tree just before it
runs, and ``scripts/i18n.py`` extracts from that same tree, so nothing can drift.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

DOMAIN = "mediaproc"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "zh")  # English is the source language: it has no catalogue
DEFAULT_LANGUAGE = "en"
LANG_ENV = "MEDIAPROC_LANG"
LOCALE_ENV = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence for LC_MESSAGES

class _English:
    """The source language needs no catalogue, so English runs (and every Tab press) never import
    ``gettext``; it is loaded only when another language is switched on."""

    @staticmethod
    def gettext(message: str) -> str:
        return message

    @staticmethod
    def ngettext(singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


_translations: Any = _English()
_language = DEFAULT_LANGUAGE


class Message(str):
    """A translated message that remembers its English text.

    ``str(msg)`` and every use as a string give the translation; ``msg.en`` gives the English,
    which machine output (JSON) uses. ``format`` keeps both in step, and nested messages given as
    placeholder values contribute their own English to ``.en``.
    """

    en: str

    def __new__(cls, text: str, en: str | None = None) -> Message:
        obj = super().__new__(cls, text)
        obj.en = str(text) if en is None else str(en)
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # copy/deepcopy/pickle
        return (str(self), self.en)

    def format(self, *args: Any, **kwargs: Any) -> Message:
        text = str.format(self, *args, **kwargs)
        en = self.en.format(*(english(a) for a in args), **{k: english(v) for k, v in kwargs.items()})
        return Message(text, en)


def join(separator: str, messages: Sequence[str]) -> Message:
    """``separator.join(messages)`` that keeps the English beside the translation."""
    return Message(separator.join(messages), str(english(separator)).join(str(english(m)) for m in messages))


def english(value: Any) -> Any:
    """The English form of a message (anything else unchanged)."""
    return value.en if isinstance(value, Message) else value


def plain(payload: Any) -> Any:
    """A JSON-able payload with every :class:`Message` replaced by its English text (recursively)."""
    if isinstance(payload, Message):
        return payload.en
    if isinstance(payload, Mapping):
        return {plain(k): plain(v) for k, v in payload.items()}
    if isinstance(payload, (list, tuple)):
        return [plain(v) for v in payload]
    return payload


def _(message: str) -> str:
    """Translate ``message`` into the current language (a :class:`Message`; English stays as is)."""
    return Message(_translations.gettext(message), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """:func:`_` for a message whose English follows a count (``"{n} object"``/``"{n} objects"``): the
    catalogue's plural forms choose the translation (Chinese has one form); fill ``{n}`` afterwards."""
    return Message(_translations.ngettext(singular, plural, n), singular if n == 1 else plural)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (it is translated where shown)."""
    return message


# -- choosing the language ------------------------------------------------------------------------------
def normalize(value: str | None) -> str | None:
    """``zh_CN.UTF-8``, ``zh-Hans``, ``ZH`` -> ``zh``; ``en_US``, ``C``, ``POSIX`` -> ``en``; else None."""
    if not value:
        return None
    code = value.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if code in ("c", "posix"):
        return "en"
    base = code.split("_", 1)[0]
    return base if base in LANGUAGES else None


def _argv_lang(argv: Sequence[str]) -> str | None:
    """``--lang X`` / ``--lang=X`` anywhere before a ``--`` terminator (the root option's spelling)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def detect(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language for this run: ``--lang``, else ``MEDIAPROC_LANG``, else the locale, else English.

    An unsupported explicit value does not stop the choice here (help must still print); the
    settings check reports it once they are resolved.
    """
    env = os.environ if environ is None else environ
    for candidate in (_argv_lang(argv or ()), env.get(LANG_ENV)):
        lang = normalize(candidate)
        if lang:
            return lang
    for var in LOCALE_ENV:
        value = env.get(var)
        if value:  # the first one set decides, as in POSIX (LC_ALL=C means English)
            return normalize(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def set_language(lang: str | None) -> str:
    """Switch every later ``_()`` to ``lang`` (``en`` or ``zh``; other values give English)."""
    global _translations, _language
    code = normalize(lang) or DEFAULT_LANGUAGE
    if code == DEFAULT_LANGUAGE:
        _translations = _English()
    else:
        import gettext

        _translations = gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[code], fallback=True)
    _language = code
    return code


def language() -> str:
    return _language


def activate(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Decide the language from the command line and environment and switch to it."""
    return set_language(detect(argv, environ))


# -- the Click tree (help text) ---------------------------------------------------------------------------
def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph: what a command list shows as a command's summary."""
    para = " ".join(text.strip().split("\n\n", 1)[0].split())
    end = para.find(". ")
    return para if end == -1 else para[: end + 1]


def help_strings(command: Any) -> list[str]:
    """Every help string of a Click command tree, in a stable order (for extraction)."""
    found: list[str] = []

    def walk(cmd: Any) -> None:
        for attr in ("help", "short_help", "epilog"):
            value = getattr(cmd, attr, None)
            if value:
                found.append(value)
        if getattr(cmd, "help", None) and not getattr(cmd, "short_help", None):
            found.append(first_sentence(cmd.help))
        for param in getattr(cmd, "params", ()):
            if getattr(param, "help", None):
                found.append(param.help)
        for name in sorted(getattr(cmd, "commands", {}) or {}):
            walk(cmd.commands[name])

    walk(command)
    return list(dict.fromkeys(found))


def translate_command(command: Any) -> Any:
    """Put a built Click command tree's help into the current language, in place.

    The English originals are kept on the objects, so a tree built once per process can be switched
    between languages (cheap: a few hundred lookups).
    """
    _patch_typer()
    english_run = _language == DEFAULT_LANGUAGE

    def walk(cmd: Any, parent_ctx: Any) -> None:
        orig: dict[str, Any] | None = getattr(cmd, "_mediaproc_en", None)
        if orig is None:
            orig = {attr: getattr(cmd, attr, None) for attr in ("help", "short_help", "epilog")}
            cmd._mediaproc_en = orig
        for attr, value in orig.items():
            if attr == "epilog" and value and not english_run:  # added paragraph by paragraph (cli.examples)
                setattr(cmd, attr, "\n\n".join(str(_(p)) for p in value.split("\n\n")))
                continue
            setattr(cmd, attr, value if english_run or not value else str(_(value)))
        if not english_run and orig["help"] and not orig["short_help"]:
            # Click derives a command list's summary by cutting English at ". "; Chinese has no
            # spaces to cut at, so give it the translated first sentence instead.
            cmd.short_help = str(_(first_sentence(orig["help"])))
        ctx = _context(cmd, parent_ctx)
        params = list(getattr(cmd, "params", ()))
        helper = _help_option(cmd, ctx)
        for param in [*params, *([helper] if helper is not None else [])]:
            if not hasattr(param, "_mediaproc_en"):
                param._mediaproc_en = getattr(param, "help", None)
            value = param._mediaproc_en
            if value:
                param.help = value if english_run else str(_(value))
        for sub in (getattr(cmd, "commands", {}) or {}).values():
            walk(sub, ctx if ctx is not None else parent_ctx)

    walk(command, None)
    return command


def _context(cmd: Any, parent: Any) -> Any:
    """A bare Click context for ``cmd`` (as ``make_context`` builds it, without parsing anything)."""
    try:
        return cmd.context_class(cmd, parent=parent, info_name=getattr(cmd, "name", None),
                                 **(getattr(cmd, "context_settings", None) or {}))
    except Exception:  # an unexpected Click/Typer version: translate what we can without it
        return None


def _help_option(cmd: Any, ctx: Any) -> Any:
    """The command's ``--help`` option, which Click creates (once, then caches) on first use."""
    if ctx is None:
        return None
    try:
        return cmd.get_help_option(ctx)
    except Exception:
        return None


def localize(command: Any, argv: Sequence[str] | None = None) -> Any:
    """Decide the language for ``argv`` (default ``sys.argv[1:]``) and put ``command``'s help in it."""
    import sys

    activate(sys.argv[1:] if argv is None else argv)
    return translate_command(command)


def _typer_gettext(message: str) -> str:
    return _(message)


def _patch_typer() -> None:
    """Typer's own help labels ("Options", "default: ...") use ``gettext.gettext`` in the global domain;
    point that module's ``_`` at our catalogue (which carries those few strings) instead of changing
    the process-wide gettext domain or the environment."""
    import sys

    core = sys.modules.get("typer.core")
    if core is not None and getattr(core, "_", None) is not _typer_gettext:
        core._ = _typer_gettext  # type: ignore[attr-defined]


# Typer's own messages that reach users (typer/core.py); listed so extraction picks them up.
TYPER_MESSAGES = (
    N_("Arguments"),
    N_("Options"),
    N_("Commands"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("required"),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Missing command."),
    N_("Show this message and exit."),
    N_("No such command {name!r}."),
)
