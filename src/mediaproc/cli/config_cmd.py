"""``mediaproc config``: profiles in the user config file (never secrets)."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import JsonOpt, state
from mediaproc.cli.complete import complete_profile

app = typer.Typer(help="Configuration profiles (TOML in the user config dir; never secrets).", no_args_is_help=True)

ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-P", help="Profile to change (default: the one --profile before the command or "
                 "MEDIAPROC_PROFILE selects, else the default one).",
                 autocompletion=complete_profile),
]


def _selected(ctx: typer.Context) -> str | None:
    """The profile ``mediaproc --profile NAME config set ...`` or ``MEDIAPROC_PROFILE`` selects: the one
    ``set``/``unset`` change without ``-P`` (the file's default otherwise)."""
    from mediaproc.cli.globals import root_values
    from mediaproc.config import selected_profile

    hit = selected_profile(root_values(ctx).get("profile"))
    return hit[0] if hit else None


def _complete_key(incomplete: str) -> list[str]:
    from mediaproc.config import PROFILE_KEYS

    return [k for k in PROFILE_KEYS if k.startswith(incomplete)]


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Every profile and what it holds; the selected one is marked."""
    from mediaproc.config import PROFILE_KEYS
    from mediaproc.services.config import list_profiles

    st = state(ctx, json=json)
    st.output.items(list_profiles(), ["profile", "default", *PROFILE_KEYS],
                    row=lambda r: [r["name"], "*" if r["default"] else "", *(r.get(k) for k in PROFILE_KEYS)],
                    doc=lambda r: r)


@app.command("keys")
def keys(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Every setting a profile may hold, the values it accepts and its environment variables."""
    from mediaproc.services.config import setting_keys

    st = state(ctx, json=json)
    rows = setting_keys()
    if st.settings.json:
        st.output.json(rows)
        return
    st.output.table(["setting", "accepts", "env"], [[r["setting"], r["accepts"], " ".join(r["env"])] for r in rows])


@app.command("show")
def show(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The effective settings and where each came from (flag, environment, profile, default)."""
    from mediaproc.cli.globals import root_values
    from mediaproc.cli.session import root_flags
    from mediaproc.config import resolve_settings
    from mediaproc.services.config import show as show_settings

    st = state(ctx, json=json)
    # what a run with these options would use: where that run fails (a profile that does not exist, a
    # broken file), so does this, with the same error, not the flags-alone settings config commands run on
    resolve_settings(root_flags(root_values(ctx)))
    rows = show_settings(st.settings)
    st.output.table(["setting", "value", "source"], [[r["setting"], r["value"], r["source"]] for r in rows])


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting name, e.g. region.", autocompletion=_complete_key)],
    value: Annotated[str, typer.Argument(help="Its value.")],
    profile: ProfileOpt = None,
    json: JsonOpt = False,
) -> None:
    """Set a value in a profile (created if needed)."""
    from mediaproc.services.config import set_value

    st = state(ctx, json=json)
    done = set_value(key, value, profile=profile or _selected(ctx))
    if st.settings.json:
        st.output.json(done)
    else:
        st.output.note(f"{done['profile']}: {done['setting']} = {done['value']}  ({done['file']})")


@app.command("unset")
def unset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting name.", autocompletion=_complete_key)],
    profile: ProfileOpt = None,
) -> None:
    """Remove a value from a profile."""
    from mediaproc.services.config import unset_value

    done = unset_value(key, profile=profile or _selected(ctx))
    state(ctx).output.note(f"{done['profile']}: {done['setting']} removed  ({done['file']})")


@app.command("use")
def use(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Profile to select by default.", autocompletion=complete_profile)],
    create: Annotated[bool, typer.Option("--create", help="Create the profile if it does not exist.")] = False,
) -> None:
    """Select the profile used when --profile and MEDIAPROC_PROFILE are absent."""
    from mediaproc.services.config import use as use_profile

    done = use_profile(name, create=create)
    state(ctx).output.note(f"default profile: {done['default']}  ({done['file']})")
