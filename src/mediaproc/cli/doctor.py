"""`mediaproc doctor`: configuration, credentials (presence only), bucket access, IMM binding."""

from __future__ import annotations

import typer

from mediaproc.cli.common import JsonOpt, state


def doctor(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Check that this machine can process media in the configured cloud, and say what to fix."""
    from mediaproc.errors import ConfigError
    from mediaproc.i18n import _
    from mediaproc.services import doctor as svc

    st = state(ctx, json=json)
    checks = svc.run(st.settings)
    if st.settings.json:
        st.output.json([c.to_dict() for c in checks])
    else:
        st.output.table(["check", "status", "detail", "fix"], [[c.name, c.status, c.detail, c.fix] for c in checks])
    bad = svc.failed(checks)
    if bad and st.settings.json:  # one JSON document only: the checks carry the details
        raise typer.Exit(int(ConfigError.exit_code))
    if bad:
        raise ConfigError(_("{n} check(s) failed: {names}").format(n=len(bad), names=", ".join(c.name for c in bad)),
                          hint=bad[0].fix)


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    root.command("doctor")(doctor)
