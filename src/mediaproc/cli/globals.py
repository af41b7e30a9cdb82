"""Global options: what the root callback's options set up, and their acceptance after the subcommand.

aws-cli users write ``aws s3 ls --region x``; ours write ``mediaproc job status TID --bucket media``.
So every option of the root callback (``cli.app.main``) is also an option of every command, in a
"Global options" help panel (the help and shell completion see them, as they are real options of the
command), and when one is given both before and after the subcommand, the one after wins.

One mechanism for the whole tree: :func:`accept_after_subcommand` walks the built Click tree once
and gives each command copies of the root options it does not already have (a command's own
``--json``, ``--quiet`` or ``--timeout`` means the same and stays its own), wrapping its callback so
the values given after the subcommand are merged over the root's and the settings resolved again
(:func:`apply`), in place, before the command body runs. ``--version`` stays a root option.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from typer.core import TyperOption

from mediaproc.cli.common import AppState
from mediaproc.cli.session import start
from mediaproc.i18n import N_

_PREFIX = "_mediaproc_global_"  # parameter names of the copies, apart from the command's own
_ROOT_VALUES = "mediaproc.root_values"  # ctx.meta key: the root callback's raw option values
PANEL = "Global options"
REPAIRS_CONFIG = frozenset({"config"})  # commands that must run while the configuration is broken
ROOT_ONLY = frozenset({"version", "install_completion", "show_completion"})
EPILOG = N_("Global options (the options of `mediaproc --help`) are accepted after the command too; "
            "given both before and after it, the one after wins.")


def apply(ctx: Any, values: Mapping[str, Any]) -> AppState:
    """Resolve the settings from the root options' ``values`` and install them as the run's state.

    Called by the root callback, then again by a command given global options after its name; the
    second call updates the same :class:`AppState` (the command's context already holds it). The
    resolution itself is ``session.start``, which the plain one-shot path (``cli/fast.py``) calls too."""
    root = ctx.find_root()
    root.meta[_ROOT_VALUES] = dict(values)
    existing = root.obj if isinstance(root.obj, AppState) else None
    state = start(values, existing=existing, repairs_config=root.invoked_subcommand in REPAIRS_CONFIG)
    root.obj = state
    return state


def root_values(ctx: Any) -> Mapping[str, Any]:
    """The root options' values as given for this run (empty before the root callback ran)."""
    values: Mapping[str, Any] = ctx.find_root().meta.get(_ROOT_VALUES, {})
    return values


def accept_after_subcommand(root: Any) -> None:
    """Give every command under ``root`` the root's options (see the module doc), once."""
    shared = [p for p in root.params if isinstance(p, TyperOption) and p.name not in ROOT_ONLY]

    def walk(cmd: Any) -> None:
        sub = getattr(cmd, "commands", None)
        if sub:
            for child in sub.values():
                walk(child)
        elif cmd is not root:
            _add(cmd, shared)

    walk(root)


def _add(cmd: Any, shared: list[TyperOption]) -> None:
    if any(str(p.name).startswith(_PREFIX) for p in cmd.params):
        return  # done already (the tree of a branch is built once per process)
    taken = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
    added: list[str] = []
    for param in shared:
        if taken & {*param.opts, *param.secondary_opts}:
            continue  # the command's own option of that name (same meaning: --json, --quiet, --timeout)
        clone = copy.copy(param)
        clone.name = _PREFIX + str(param.name)
        clone.rich_help_panel = PANEL
        cmd.params.append(clone)
        added.append(str(param.name))
    if not added:
        return
    cmd.epilog = f"{cmd.epilog}\n\n{EPILOG}" if cmd.epilog else EPILOG
    invoke = cmd.invoke

    def invoke_with_globals(ctx: Any) -> Any:
        given: dict[str, Any] = {}
        for name in added:
            value = ctx.params.pop(_PREFIX + name, None)
            source = ctx.get_parameter_source(_PREFIX + name)
            if source is not None and source.name == "COMMANDLINE":
                given[name] = value
        if given:
            root = ctx.find_root()
            apply(root, {**root.meta.get(_ROOT_VALUES, {}), **given})
        return invoke(ctx)

    cmd.invoke = invoke_with_globals
