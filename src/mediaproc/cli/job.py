"""`mediaproc job status|wait|cancel TASK_ID`: pick up async jobs started with --no-wait."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import JsonOpt, QuietOpt, TimeoutOpt, state

app = typer.Typer(help="Async jobs: status, wait, cancel.", no_args_is_help=True)

TaskArg = Annotated[str, typer.Argument(help="Task id printed by --no-wait (e.g. MediaConvert-...).")]


@app.command("status")
def status(ctx: typer.Context, task_id: TaskArg, json: JsonOpt = False) -> None:
    """Poll once: state, progress and the service's code and message if it failed."""
    from mediaproc.services import jobs as svc

    st = state(ctx, json=json)
    st.output.result(svc.status(st.settings, task_id))


@app.command("wait")
def wait(
    ctx: typer.Context, task_id: TaskArg, timeout: TimeoutOpt = None, json: JsonOpt = False, quiet: QuietOpt = False
) -> None:
    """Wait until the job ends (exit 6 if it failed, 7 on timeout)."""
    from mediaproc.services import jobs as svc

    st = state(ctx, json=json, quiet=quiet)
    with st.output.progress(task_id.split("-", 1)[0]) as progress:
        result = svc.wait(st.settings, task_id, timeout=timeout, progress=progress)
    st.output.result(result)


@app.command("cancel")
def cancel(ctx: typer.Context, task_id: TaskArg, json: JsonOpt = False) -> None:
    """Cancel the job where the service allows it."""
    from mediaproc.services import jobs as svc

    st = state(ctx, json=json)
    st.output.result(svc.cancel(st.settings, task_id))
