"""``mediaproc ops [NAME]``: the operation model, read straight from the catalogue."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import JsonOpt, state
from mediaproc.cli.complete import complete_operation
from mediaproc.i18n import _
from mediaproc.names import PROVIDER_NAMES


def _range(p) -> str:
    if p.choices:
        return "|".join(p.choices)
    if p.min is not None or p.max is not None:
        return f"{'' if p.min is None else p.min}..{'' if p.max is None else p.max}"
    return ""


def ops(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="An operation name for its parameter table.", autocompletion=complete_operation)
    ] = None,
    json: JsonOpt = False,
) -> None:
    """List every operation (family, mode, providers), or one operation's parameters."""
    from mediaproc.ops.catalog import all_specs, get_spec

    st = state(ctx, json=json)
    if name is None:
        rows = [
            (s.name, s.family.value, s.mode.value, ",".join(b for b in PROVIDER_NAMES if b in s.backends),
             _(s.summary))
            for s in all_specs()
        ]
        # Column names are JSON keys too: _() keeps their English for --json (mediaproc.i18n).
        st.output.table([_("name"), _("family"), _("mode"), _("providers"), _("summary")], rows)
        return
    spec = get_spec(name.partition(":")[0])
    param_rows = [
        (
            p.key,
            p.type.value,
            _range(p),
            _("yes") if p.required else "",
            "" if p.default is None else str(p.default),
            ",".join(p.aliases),
            _(p.help),
        )
        for p in spec.params
    ]
    title = f"{spec.name} ({spec.family.value}, {spec.mode.value}): {_(spec.summary)}"
    st.output.table([_("key"), _("type"), _("range"), _("required"), _("default"), _("aliases"), _("help")], param_rows,
                    title=title)


def register(root: typer.Typer) -> None:
    root.command("ops")(ops)
