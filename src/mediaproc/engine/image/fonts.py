"""Finding a font file that can draw a watermark text.

OSS draws text watermarks with named server fonts (default ``wqy-zenhei``). Locally the same fonts
are looked up by file name in the system font folders (Debian: ``apt-get install fonts-wqy-zenhei``),
then in common CJK/Latin fallbacks. Every character of the text must have a glyph in the chosen font
(checked in the font's cmap with fontTools): drawing tofu boxes silently would be a wrong result, so a
missing CJK font is a clear error instead.

Environment:
- ``MEDIAPROC_FONT_PATH``: font files or folders (``os.pathsep``-separated) searched before the
  system ones.
- ``MEDIAPROC_FONT_DIRS``: replaces the list of system font folders (empty: none at all).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mediaproc.errors import ConfigError
from mediaproc.i18n import _
from mediaproc.ops.catalog.image import OSS_FONTS as OSS_FONT_NAMES
from mediaproc.ops.catalog.image import WATERMARK

FONT_PATH_ENV = "MEDIAPROC_FONT_PATH"
FONT_DIRS_ENV = "MEDIAPROC_FONT_DIRS"
DEFAULT_FONT: str = WATERMARK.default("type")  # the catalogue's (OSS's) default font, wqy-zenhei
_FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")

_FONT_FILES: dict[str, tuple[str, ...]] = {
    "wqy-zenhei": ("wqy-zenhei.ttc",),
    "wqy-microhei": ("wqy-microhei.ttc",),
    "fangzhengshusong": ("fzssjw.ttf", "fzshusong-z01.ttf"),
    "fangzhengkaiti": ("fzktjw.ttf", "fzkai-z03.ttf"),
    "fangzhengheiti": ("fzhtjw.ttf", "fzhei-b01.ttf"),
    "fangzhengfangsong": ("fzfsjw.ttf", "fzfangsong-z02.ttf"),
    "droidsansfallback": ("droidsansfallbackfull.ttf", "droidsansfallback.ttf"),
}
# OSS font names (the ``type`` parameter; the catalogue's list) -> file names that provide them. A
# name the catalogue adds without files here fails at import, not at the first watermark.
OSS_FONTS: dict[str, tuple[str, ...]] = {name: _FONT_FILES[name] for name in OSS_FONT_NAMES}
# Tried in order after the requested font: CJK-capable first, then Latin-only.
FALLBACK_FILES: tuple[str, ...] = (
    "wqy-zenhei.ttc",
    "wqy-microhei.ttc",
    "notosanscjk-regular.ttc",
    "notosanscjksc-regular.otf",
    "notosanssc-regular.otf",
    "sourcehansanssc-regular.otf",
    "sourcehansans-regular.ttc",
    "droidsansfallbackfull.ttf",
    "droidsansfallback.ttf",
    "dejavusans.ttf",
    "liberationsans-regular.ttf",
    "arial.ttf",
)


def _system_dirs() -> list[Path]:
    env = os.environ.get(FONT_DIRS_ENV)
    if env is not None:
        return [Path(p) for p in env.split(os.pathsep) if p]
    home = Path.home()
    dirs = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local/share/fonts",
        home / ".fonts",
    ]
    if sys.platform == "darwin":
        dirs += [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("WINDIR", "C:\\Windows")) / "Fonts")
    return dirs


@lru_cache(maxsize=8)
def _index(dirs: tuple[str, ...]) -> dict[str, Path]:
    """Lower-case file name -> path for every font file under ``dirs`` (first one found wins)."""
    found: dict[str, Path] = {}
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for root, _subdirs, files in os.walk(d):
            for name in sorted(files):
                if name.lower().endswith(_FONT_SUFFIXES):
                    found.setdefault(name.lower(), Path(root) / name)
    return found


def _extra_fonts() -> list[Path]:
    out: list[Path] = []
    for item in os.environ.get(FONT_PATH_ENV, "").split(os.pathsep):
        if not item:
            continue
        p = Path(item)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(_index((str(p),)).values())
    return out


@lru_cache(maxsize=32)
def _cmap(path: str, mtime: float) -> frozenset[int] | None:
    """Code points with a glyph in the first face of ``path``; None if the cmap cannot be read."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools is a declared dependency
        return None
    try:
        with TTFont(path, fontNumber=0, lazy=True) as font:
            cmap = font.getBestCmap() or {}
            return frozenset(cmap)
    except Exception:  # a broken font file is skipped, never fatal
        return frozenset()


def _covers(path: Path, chars: set[int]) -> bool:
    try:
        cmap = _cmap(str(path), path.stat().st_mtime)
    except OSError:
        return False
    return cmap is None or chars <= cmap


@dataclass(frozen=True)
class FontChoice:
    path: Path | None  # None: Pillow's built-in font (Latin only), used only when no font file exists


def _drawable(text: str) -> set[int]:
    return {ord(c) for c in text if not c.isspace() and c.isprintable()}


def find_font(text: str, name: str | None = None) -> FontChoice:
    """The first font that has a glyph for every character of ``text``: the requested OSS font, the
    ``MEDIAPROC_FONT_PATH`` fonts, then the fallbacks. Raises ConfigError naming what is missing."""
    chars = _drawable(text)
    index = _index(tuple(str(d) for d in _system_dirs()))
    candidates: list[Path] = []
    wanted = (name or DEFAULT_FONT).strip().lower()
    for fname in OSS_FONTS.get(wanted, (wanted if wanted.endswith(_FONT_SUFFIXES) else "",)):
        if fname and fname in index:
            candidates.append(index[fname])
    candidates += _extra_fonts()
    candidates += [index[f] for f in FALLBACK_FILES if f in index]
    if not candidates:
        candidates = list(index.values())[:50]
    seen: set[Path] = set()
    for path in candidates:
        if path in seen:
            continue
        seen.add(path)
        if _covers(path, chars):
            return FontChoice(path)
    if all(0x20 <= c < 0x7F for c in chars):
        return FontChoice(None)
    missing = [c for c in dict.fromkeys(text) if ord(c) in chars and not 0x20 <= ord(c) < 0x7F]  # text order
    shown = "".join(missing[:10])
    raise ConfigError(
        _("no installed font has glyphs for {chars!r} in the watermark text").format(chars=shown),
        hint=_(
            "install a CJK font (Debian/Ubuntu: apt-get install fonts-wqy-zenhei, the OSS default font), "
            "or set {env} to a .ttf/.ttc/.otf file that has these characters"
        ).format(env=FONT_PATH_ENV),
        code="FontNotFound",
    )
