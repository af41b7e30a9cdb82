"""The run's state (settings and the one Output) and how a run starts, without Typer.

Shared by the root callback (``cli.app.main``, through ``cli.globals.apply``) and the Typer-free
fast path (``cli.fast``), so both resolve settings, pick the language and build the Output in one
way. Nothing here imports Typer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

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


def flags_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The root options' values (``cli.app.main``'s parameters) as the settings' flags
    (``config.resolve_settings``)."""
    return {
        "provider": values.get("provider"),
        "profile": values.get("profile"),
        "region": values.get("region"),
        "endpoint": values.get("endpoint"),
        "imm_endpoint": values.get("imm_endpoint"),
        "bucket": values.get("bucket"),
        "imm_project": values.get("imm_project"),
        "internal": values.get("internal"),
        "output": "json" if values.get("json_out") else None,
        "timeout": values.get("timeout"),
        "request_timeout": values.get("request_timeout"),
        "lang": values.get("lang"),
        "quiet": values.get("quiet") or None,
        "progress": False if values.get("no_progress") else None,
        "debug": values.get("debug") or None,
        "literal": values.get("literal") or None,
    }


def start(values: Mapping[str, Any], *, existing: AppState | None = None, repairs_config: bool = False) -> AppState:
    """Resolve the settings from the root options' ``values`` and install them as the run's state.

    ``existing``: the state to update in place (global options given again after the subcommand,
    ``cli.globals``). ``repairs_config``: the command is where a broken setting gets fixed
    (``mediaproc config ...``, where the hints send users): it runs on the flags alone, with a
    warning saying what is wrong."""
    import os
    from pathlib import Path

    from mediaproc.config import resolve_settings
    from mediaproc.errors import ConfigError
    from mediaproc.output import Output

    json_out, quiet = bool(values.get("json_out")), bool(values.get("quiet"))
    output = existing.output if existing is not None else Output()
    output.json_mode, output.quiet = json_out, quiet  # errors render in the right mode even if resolution fails
    output.progress_enabled, output.debug = not values.get("no_progress"), bool(values.get("debug"))
    if existing is None:
        set_current(AppState(settings=cast("Settings", None), output=output))
    try:
        settings = resolve_settings(flags_of(values))
    except ConfigError as exc:
        if not repairs_config:
            raise
        settings = resolve_settings(flags_of(values), env={}, config_file=Path(os.devnull))
        output.warn(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
    output.json_mode = settings.json
    output.quiet = settings.quiet
    state = existing or AppState(settings=settings, output=output)
    state.settings = settings
    set_current(state)
    return state


def command_options(st: AppState, *, json: bool = False, quiet: bool = False, literal: bool = False) -> AppState:
    """A command's own ``--json``/``--quiet``/``--literal`` applied on top of the root's."""
    if json and not st.settings.json:
        st.settings = st.settings.with_(output="json")
        st.output.json_mode = True
    if quiet and not st.settings.quiet:
        st.settings = st.settings.with_(quiet=True)
        st.output.quiet = True
    if literal and not st.settings.literal:
        st.settings = st.settings.with_(literal=True)
    return st
