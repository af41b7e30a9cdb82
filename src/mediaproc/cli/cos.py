"""``mediaproc cos``: what only Tencent COS / Cloud Infinite has - several Pic-Operations rules in one
request, media job administration, private (signed) HLS playlists. Generic processing of cos://
objects goes through ``mediaproc process`` / ``image`` / ``video`` like every provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mediaproc.cli.common import DryRunOpt, JsonOpt, LiteralOpt, QuietOpt, state
from mediaproc.cli.options import object_options
from mediaproc.objectopts import ObjectOptions  # light (a core module): the signature needs it at import

if TYPE_CHECKING:
    from mediaproc.config import Settings
    from mediaproc.results import ProcessResult

app = typer.Typer(
    help="Tencent COS / Cloud Infinite: Pic-Operations, media jobs, private playlists.", no_args_is_help=True
)
jobs_app = typer.Typer(help="Cloud Infinite media jobs of a bucket: list, get, cancel.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

BucketArg = Annotated[
    str | None, typer.Argument(help="cos://BUCKET-APPID (default: --bucket / MEDIAPROC_BUCKET).", show_default=False)
]


@app.command("process")
@object_options
def process(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="cos://BUCKET-APPID/KEY, or a local file to upload and process.")],
    rule: Annotated[
        list[str],
        typer.Option(
            "--rule",
            "-r",
            help='A rule: Cloud Infinite syntax ("imageMogr2/thumbnail/600x>") or operations ("resize:w=600 '
            'format:target=webp"). Up to 5; each followed by its --to.',
        ),
    ],
    to: Annotated[
        list[str],
        typer.Option("--to", "-o", help="Where the rule's result goes: cos://BUCKET-APPID/KEY or a fileid."),
    ],
    on_upload: Annotated[
        bool, typer.Option("--on-upload", help="Local file: process while uploading (one PUT with Pic-Operations).")
    ] = False,
    upload_to: Annotated[
        str | None,
        typer.Option("--upload-to", help="Local file: keep the original at this cos:// key (else it is deleted)."),
    ] = None,
    pic_info: Annotated[
        bool,
        typer.Option("--pic-info/--no-pic-info",
                     help="Ask for the original's ImageInfo (is_pic_info); --json returns OriginalInfo and "
                          "every rule's ProcessResults either way."),
    ] = True,
    dry_run: DryRunOpt = False,
    literal: LiteralOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    *,
    object_options: ObjectOptions,
) -> None:
    """Run up to five Pic-Operations rules on one image, each saved to its own key."""
    from mediaproc.services import cos as svc

    st = state(ctx, json=json, quiet=quiet, literal=literal)
    req = svc.RulesRequest(source, tuple(rule), tuple(to), on_upload=on_upload, upload_to=upload_to,
                           pic_info=pic_info, options=object_options)
    if dry_run:
        from mediaproc.results import ProcessResult

        data = svc.describe_rules(st.settings, req)
        st.output.dry_run(
            ProcessResult(
                success=True, mode="dry-run", source=source, operations=data["process"], provider="cos", data=data
            )
        )
        return
    with st.output.progress("upload") as progress:
        result = svc.process_rules(st.settings, req, progress)
    st.output.result(result)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    bucket: BucketArg = None,
    tag: Annotated[str, typer.Option(help="Transcode, Snapshot, Animation, Concat or all.")] = "all",
    states: Annotated[
        str, typer.Option(help="All, or comma-separated: Submitted, Running, Success, Failed, Pause, Cancel.")
    ] = "All",
    size: Annotated[int, typer.Option(min=1, max=100, help="How many jobs (newest first).")] = 10,
    json: JsonOpt = False,
) -> None:
    """Recent media jobs of a bucket."""
    from mediaproc.services import cos as svc

    st = state(ctx, json=json)
    rows = svc.list_jobs(st.settings, bucket, tag=tag, states=states, size=size)
    columns = ["job_id", "tag", "state", "progress", "input", "output", "created"]
    st.output.items(rows, columns, row=lambda r: [r.get(c) for c in columns], doc=lambda r: r,
                    title="COS media jobs")


JobIdArg = Annotated[str, typer.Argument(help="The job id (j + 32 hex digits).")]


@jobs_app.command("get")
def jobs_get(ctx: typer.Context, job_id: JobIdArg, bucket: BucketArg = None, json: JsonOpt = False) -> None:
    """One job's state, progress, error and outputs."""
    _one_job(ctx, json, lambda svc, settings: svc.get_job(settings, bucket, job_id))


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: JobIdArg, bucket: BucketArg = None, json: JsonOpt = False) -> None:
    """Cancel a queued or running job."""
    _one_job(ctx, json, lambda svc, settings: svc.cancel_job(settings, bucket, job_id))


def _one_job(ctx: typer.Context, json: bool, call: Callable[[Any, Settings], ProcessResult]) -> None:
    """The job commands' shared body: the service imported on use, one result rendered."""
    from mediaproc.services import cos as svc

    st = state(ctx, json=json)
    st.output.result(call(svc, st.settings))


@app.command("pm3u8")
def pm3u8(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="cos://BUCKET-APPID/KEY.m3u8 (a private HLS playlist).")],
    expires: Annotated[int, typer.Option(min=1, max=43200, help="Lifetime of the segment signatures, s.")] = 3600,
    to: Annotated[str | None, typer.Option("--to", "-o", help="Write the playlist here (default: stdout).")] = None,
    literal: LiteralOpt = False,
    json: JsonOpt = False,
) -> None:
    """A private M3U8: the playlist with every segment URL signed (ci-process=pm3u8)."""
    from mediaproc.errors import UsageError
    from mediaproc.i18n import _
    from mediaproc.services import cos as svc

    st = state(ctx, json=json, literal=literal)
    if st.output.json_mode and to is None:
        raise UsageError(
            _("--json needs --to FILE here (the playlist holds signed URLs)"), hint=_("add --to playlist.m3u8")
        )
    result, text = svc.private_m3u8(st.settings, source, expires=expires, to=to)
    if to is None:
        st.output.text(text)  # what was asked for: the signed playlist, bare on stdout
        return
    st.output.result(result)
