"""The root Typer app: global options, the command tree, and the one place exit codes are decided.

Every command module is imported here, so each must stay light at import time (typer and
mediaproc's own small modules only); services, providers and engines are imported inside commands.
Convention: a module exposes ``app`` (a command group) and/or ``register(root)`` (top-level commands).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mediaproc import __version__
from mediaproc.cli import (
    audio,
    config_cmd,
    cos,
    doctor,
    hls,
    image,
    imm,
    job,
    objects,
    ops_cmd,
    process,
    serve,
)
from mediaproc.cli import video as video_cmd
from mediaproc.cli.common import AppState, current, set_current
from mediaproc.cli.complete import complete_profile, complete_provider
from mediaproc.cli.shell_scripts import install as install_shell_scripts

install_shell_scripts()

app = typer.Typer(
    name="mediaproc",
    help=(
        "Process images, video and audio in Alibaba Cloud OSS, Tencent Cloud COS, or on this machine.\n\n"
        "Sources and destinations are local paths, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY. "
        "Operations are written name:key=value,... (e.g. resize:w=600) or as native OSS process strings."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from mediaproc.output import Output

        Output().text(f"mediaproc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            help="local (default), oss or cos. [env: MEDIAPROC_PROVIDER]",
            autocompletion=complete_provider,
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Config profile to use. [env: MEDIAPROC_PROFILE]", autocompletion=complete_profile),
    ] = None,
    region: Annotated[str | None, typer.Option(help="Cloud region, e.g. cn-hangzhou. [env: MEDIAPROC_REGION]")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="Object storage endpoint override. [env: MEDIAPROC_ENDPOINT]")
    ] = None,
    imm_endpoint: Annotated[
        str | None, typer.Option(help="IMM endpoint override (OSS). [env: MEDIAPROC_IMM_ENDPOINT]")
    ] = None,
    bucket: Annotated[
        str | None,
        typer.Option(help="Default bucket, so a bare key can stand alone. [env: MEDIAPROC_BUCKET]"),
    ] = None,
    imm_project: Annotated[str | None, typer.Option(help="IMM project. [env: MEDIAPROC_IMM_PROJECT]")] = None,
    internal: Annotated[
        bool | None, typer.Option("--internal/--public", help="Use the cloud's internal (VPC) endpoint.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only results and errors.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Do not show progress.")] = False,
    timeout: Annotated[
        float | None, typer.Option(help="Async job wait limit in seconds (exit 7). [env: MEDIAPROC_TIMEOUT]")
    ] = None,
    request_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds one network read may wait before the call fails (and is retried if safe). "
                     "[env: MEDIAPROC_REQUEST_TIMEOUT]"),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Message language: en or zh. [env: MEDIAPROC_LANG]")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks and SDK logs (never secrets).")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
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
    ctx.obj = state


for module in (process, ops_cmd, objects, doctor, serve):
    module.register(app)
app.add_typer(image.app, name="image")
app.add_typer(video_cmd.app, name="video")
app.add_typer(audio.app, name="audio")
app.add_typer(hls.app, name="hls")
app.add_typer(imm.app, name="imm")
app.add_typer(cos.app, name="cos")
app.add_typer(job.app, name="job")
app.add_typer(config_cmd.app, name="config")


_command = None  # the click command typer builds from `app`, built once per process


def run(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every outcome into the documented exit code (see errors.py).

    Typer handles its own usage errors (exit 2) and ``Exit``; everything mediaproc raises is a
    ``MediaprocError`` carrying its exit code, rendered as one line plus a hint.
    """
    from mediaproc.errors import ExitCode, Interrupted, MediaprocError
    from mediaproc.output import Output

    def output() -> Output:
        st = current()
        return st.output if st is not None and st.output is not None else Output()

    global _command
    if _command is None:
        _command = typer.main.get_command(app)
    from mediaproc.i18n import localize

    localize(_command, argv)  # the language for this run, and the help text in it
    try:
        _command.main(args=argv, prog_name="mediaproc", standalone_mode=True)
    except MediaprocError as exc:
        output().error(exc)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        from mediaproc.i18n import _

        output().error(Interrupted(_("interrupted")))
        sys.exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:
        sys.exit(int(ExitCode.OK))
    except Exception as exc:  # a bug: one line, and the traceback only with --debug
        output().unexpected(exc)
        sys.exit(int(ExitCode.UNEXPECTED))
