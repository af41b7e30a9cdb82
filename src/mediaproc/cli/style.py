"""``mediaproc style``: named chains stored on a bucket (OSS bucket styles, COS image styles, the local
style book), used as ``style/NAME`` wherever a chain stands."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mediaproc.cli.common import AppState, DryRunOpt, JsonOpt, state
from mediaproc.cli.complete import complete_operation, complete_style

app = typer.Typer(
    help="Styles: named chains stored on the bucket (style/NAME in any chain).", no_args_is_help=True
)

WhereOpt = Annotated[
    str | None,
    typer.Option("--in", help="oss://BUCKET, cos://BUCKET-APPID or a local folder (default: --provider/--bucket)."),
]
NameArg = Annotated[str, typer.Argument(help="The style's name.", autocompletion=complete_style)]


def _one(st: AppState, style: dict[str, Any]) -> None:
    if st.output.json_mode:
        st.output.json(style)
        return
    rows = [[k, " ".join(v) if isinstance(v, list) else v] for k, v in style.items() if v not in (None, "")]
    st.output.table(["field", "value"], rows)


@app.command("put")
def put(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The style's name.")],
    chain: Annotated[
        list[str],
        typer.Argument(help="Operations: resize:w=600 quality:Q=80, an OSS string, or (COS) a CI rule.",
                       autocompletion=complete_operation),
    ],
    where: WhereOpt = None,
    json: JsonOpt = False,
) -> None:
    """Create or replace a style, stored in the cloud's own form."""
    from mediaproc.services import styles as svc

    st = state(ctx, json=json)
    _one(st, svc.put(st.settings, name, chain, where))


@app.command("get")
def get(ctx: typer.Context, name: NameArg, where: WhereOpt = None, json: JsonOpt = False) -> None:
    """Show a style: its operations in our syntax and the form it is stored in."""
    from mediaproc.services import styles as svc

    st = state(ctx, json=json)
    _one(st, svc.get(st.settings, name, where))


@app.command("ls")
def ls(ctx: typer.Context, where: WhereOpt = None, json: JsonOpt = False) -> None:
    """List the bucket's styles."""
    from mediaproc.services import styles as svc

    st = state(ctx, json=json)
    rows = svc.ls(st.settings, where)
    if st.output.json_mode:
        st.output.json(rows)
        return
    st.output.table(["name", "chain", "stored"],
                    [[r["name"], " ".join(r["chain"] or []), r["stored"]] for r in rows])


@app.command("rm")
def rm(ctx: typer.Context, name: NameArg, where: WhereOpt = None, json: JsonOpt = False) -> None:
    """Delete a style (exit 4 when there is none of that name)."""
    from mediaproc.services import styles as svc

    st = state(ctx, json=json)
    _one(st, svc.rm(st.settings, name, where))


@app.command("export")
def export(
    ctx: typer.Context,
    file: Annotated[str | None, typer.Argument(help="TOML file to write (default or -: stdout).")] = None,
    where: WhereOpt = None,
    json: JsonOpt = False,
) -> None:
    """Write every style of the bucket to a TOML file (keep it in git; import it elsewhere)."""
    from mediaproc.services import styles as svc

    st = state(ctx, json=json)
    done = svc.export(st.settings, file, where)
    if "text" in done and not st.output.json_mode:
        st.output.text(done["text"])
        return
    _one(st, done)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="TOML file written by `mediaproc style export` (- for stdin).")],
    where: WhereOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
) -> None:
    """Store every style of a TOML file in the bucket (all or nothing: exit 2 if one cannot be expressed)."""
    from mediaproc.services import styles as svc

    st = state(ctx, json=json)
    done = svc.import_(st.settings, file, where, dry_run=dry_run)
    if st.output.json_mode:
        st.output.json(done)
        return
    st.output.table(["name", "chain", "stored"],
                    [[s["name"], " ".join(s["chain"]), s["stored"]] for s in done["imported"]])
