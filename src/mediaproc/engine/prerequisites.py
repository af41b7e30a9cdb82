"""What the local engine needs from this machine, as ``mediaproc doctor`` reports it.

Each function looks at one prerequisite the way the engine itself uses it (libvips through
pyvips, ffmpeg from the imageio-ffmpeg wheel, probing through PyAV, a font found by
:func:`~mediaproc.engine.image.fonts.find_font`), returns what it found, and raises a
:class:`~mediaproc.errors.MediaprocError` whose message and hint say what is missing and how to
get it. Nothing here is imported on the hot path: ``doctor`` only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from mediaproc.errors import ConfigError
from mediaproc.i18n import _

CJK_SAMPLE = "水印文字"  # characters a Chinese text watermark needs


def libvips_version() -> str:
    """``8.18.7``: the libvips that pyvips loaded."""
    try:
        import pyvips

        return ".".join(str(pyvips.version(i)) for i in range(3))
    except Exception as exc:  # ImportError, or the library failed to load
        raise ConfigError(
            _("libvips is not available: {error}").format(error=(str(exc).splitlines() or [type(exc).__name__])[0]),
            hint=_("reinstall mediaproc (the pyvips-binary wheel ships libvips), or install libvips 8.13+"),
        ) from None


def ffmpeg_version() -> tuple[str, str]:
    """(path, first line of ``ffmpeg -version``) of the ffmpeg the engine runs."""
    from mediaproc.engine.av.runner import ffmpeg_exe

    exe = ffmpeg_exe()
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            _("ffmpeg at {path} does not run: {error}").format(path=exe, error=type(exc).__name__),
            hint=_("reinstall mediaproc (the imageio-ffmpeg wheel ships ffmpeg)"),
        ) from None
    first = out.splitlines()[0] if out else "ffmpeg"
    return exe, " ".join(first.split()[:3])


def prober_version() -> str:
    """Probing (ffprobe's job) is PyAV's: the imageio-ffmpeg wheel ships no ffprobe."""
    try:
        import av

        libs = getattr(av, "ffmpeg_version_info", None)
        return f"PyAV {av.__version__}" + (f" (FFmpeg {libs})" if libs else "")
    except Exception as exc:
        raise ConfigError(
            _("PyAV (media probing) is not available: {error}").format(error=type(exc).__name__),
            hint=_("reinstall mediaproc (the av wheel ships the FFmpeg libraries)"),
        ) from None


def cjk_font() -> Path:
    """The font a Chinese text watermark would be drawn with; ConfigError (with the fix) if none."""
    from mediaproc.engine.image.fonts import find_font

    choice = find_font(CJK_SAMPLE)
    if choice.path is None:  # cannot happen for CJK text (find_font raises), kept for the type
        raise ConfigError(_("no CJK font found"), hint=_("install a CJK font"))
    return choice.path
