"""The run's state (settings and the one Output) and how a run starts, without Typer.

Shared by the root callback (``cli.app.main``) and the Typer-free fast path (``cli.fast``), so both
resolve settings, pick the language and build the Output in one way. Nothing here imports Typer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mediaproc.config import Settings
    from mediaproc.output import Output


@dataclass
class AppState:
    settings: Settings
    output: Output


_current: AppState | None = None


def set_current(state: AppState) -> None:
    global _current
    _current = state
    lang = getattr(state.settings, "lang", None)
    if lang:  # --lang / MEDIAPROC_LANG / a profile's lang, once settings are resolved
        from mediaproc.errors import ConfigError
        from mediaproc.i18n import LANGUAGES, _, normalize, set_language

        if normalize(lang) is None:
            raise ConfigError(
                _("unsupported language {lang!r}").format(lang=lang),
                hint=_("use one of: {languages}").format(languages=", ".join(LANGUAGES)),
            )
        set_language(lang)


def current() -> AppState | None:
    return _current


def start(
    *,
    provider: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint: str | None = None,
    imm_endpoint: str | None = None,
    bucket: str | None = None,
    imm_project: str | None = None,
    internal: bool | None = None,
    json_out: bool = False,
    quiet: bool = False,
    no_progress: bool = False,
    timeout: float | None = None,
    request_timeout: float | None = None,
    lang: str | None = None,
    debug: bool = False,
) -> AppState:
    """The root options (as ``cli.app.main`` takes them) -> this run's state, made current."""
    from mediaproc.config import resolve_settings
    from mediaproc.output import Output

    # Render errors in the right mode even if settings resolution itself fails.
    output = Output(json_mode=json_out, quiet=quiet, progress_enabled=not no_progress, debug=debug)
    set_current(AppState(settings=None, output=output))  # type: ignore[arg-type]
    flags = {
        "provider": provider,
        "profile": profile,
        "region": region,
        "endpoint": endpoint,
        "imm_endpoint": imm_endpoint,
        "bucket": bucket,
        "imm_project": imm_project,
        "internal": internal,
        "output": "json" if json_out else None,
        "timeout": timeout,
        "request_timeout": request_timeout,
        "lang": lang,
        "quiet": quiet or None,
        "progress": False if no_progress else None,
        "debug": debug or None,
    }
    settings = resolve_settings(flags)
    output.json_mode = settings.json
    output.quiet = settings.quiet
    state = AppState(settings=settings, output=output)
    set_current(state)
    return state


def command_options(st: AppState, *, json: bool = False, quiet: bool = False) -> AppState:
    """A command's own ``--json``/``--quiet`` applied on top of the root's."""
    if json and not st.settings.json:
        st.settings = st.settings.with_(output="json")
        st.output.json_mode = True
    if quiet and not st.settings.quiet:
        st.settings = st.settings.with_(quiet=True)
        st.output.quiet = True
    return st
