"""``mediaproc batch`` and ``mediaproc trigger``: the same chain or style on the cloud's own engine.

``batch submit SOURCE OPS... --to DEST`` takes the chain ``process`` takes and the options of
``cli.options.chain_command`` that a batch reads (APPLIES says which mode reads which); on the local
provider it is the client-side batch itself, in the foreground, so a script written against ``local``
runs unchanged on a cloud. The work is in
:mod:`mediaproc.services.cloudbatch`; these commands build its arguments and render.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from mediaproc.cli.common import AppState, JsonOpt, QuietOpt, Runner, TimeoutOpt, state
from mediaproc.cli.complete import complete_operation, complete_source
from mediaproc.cli.options import chain_command

if TYPE_CHECKING:
    from mediaproc.cloudbatches import CloudBatchStatus
    from mediaproc.services.cloudbatch import CloudOptions

app = typer.Typer(help="Cloud batches: the same chain over many objects on IMM (OSS) or CI workflows (COS).",
                  no_args_is_help=True)
trigger_app = typer.Typer(help="Cloud triggers: the same chain on every new object under a prefix (IMM triggers, "
                               "COS workflows).", no_args_is_help=True)

SourceArg = Annotated[str, typer.Argument(help="oss://BUCKET/PREFIX/ or cos://BUCKET-APPID/PREFIX/ (PREFIX/*.EXT "
                                               "filters one extension); a local folder runs here.",
                                          autocompletion=complete_source)]
OpsArg = Annotated[list[str], typer.Argument(help="Operations as `process` takes them, or one style/NAME.",
                                             autocompletion=complete_operation)]
IdArg = Annotated[str, typer.Argument(help="Batch or trigger id (IMM batch-..., trigger-...; COS b..., w...).")]
BucketOpt = Annotated[str | None, typer.Option("--bucket", "-b", help="COS: the bucket the id lives in; OSS: the "
                                                                      "bucket whose IMM project holds it.")]
CosBucketOpt = Annotated[str | None, typer.Option("--bucket", "-b", help="The bucket the workflow lives in.")]
ProviderOpt = Annotated[str | None, typer.Option("--provider", "-p", help="oss or cos (default: the configured one).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Cloud: submit without asking, whatever the object "
                                                            "count.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Cloud: allow an output under the input prefix.")]
ThresholdOpt = Annotated[int, typer.Option("--confirm-above", min=0, help="Cloud: ask first above this many "
                                                                          "objects.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="COS: the workflow / job name.")]
MatchOpt = Annotated[list[str] | None, typer.Option("--match", help="IMM: a MatchExpressions entry, sent verbatim.")]
TopicOpt = Annotated[str | None, typer.Option("--topic", help="IMM: MNS topic for per-object notifications.")]
RoleOpt = Annotated[str | None, typer.Option("--service-role", help="IMM: the service role (default "
                                                                    "AliyunIMMBatchTriggerRole).")]
QueueOpt = Annotated[str | None, typer.Option("--queue-id", help="COS: the media queue of the workflow.")]
TemplateOpt = Annotated[str | None, typer.Option("--template", help="COS: a template id instead of inline settings.")]
WorkflowOpt = Annotated[str | None, typer.Option("--workflow", help="COS batch: run this existing workflow.")]
AfterOpt = Annotated[str | None, typer.Option("--uploaded-after", help="COS batch: upload time from (ISO 8601).")]
BeforeOpt = Annotated[str | None, typer.Option("--uploaded-before", help="COS batch: upload time until (ISO 8601).")]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", help="IMM: the batch fails at the first failed object "
                                                                "(FastFailPolicy abort).")]
TotalOpt = Annotated[int | None, typer.Option("--total", min=1, help="Objects expected (for the bar, when the "
                                                                    "service keeps no count).")]
StateOpt = Annotated[str | None, typer.Option("--state", help="Only this state (the service's word).")]

# Where each option of `batch submit` and `trigger create` applies: a local folder (the client-side batch,
# run here), an OSS batch or trigger (IMM), a COS one (a CI workflow, plus an inventory job for a batch).
# The one table: help labels say it, and an option given where it does not apply is a usage error (exit 2),
# never silently dropped. Options no mode of these commands reads (--download-to, --url, --expires,
# --max-source-size: a batch's source is a folder or a prefix, its results are written, not fetched or
# signed; --verify, --strict: the client-side batch refuses them, they check one result at a time) are
# not offered at all; nor, on `trigger create`, which never runs here and never waits, the client-side
# batch's options and --wait (--timeout there is the root option: it is accepted after any command).
Mode = Literal["local", "oss", "cos"]
_LOCAL: frozenset[Mode] = frozenset({"local"})
_CLOUD: frozenset[Mode] = frozenset({"oss", "cos"})
_IMM: frozenset[Mode] = frozenset({"oss"})
_CI: frozenset[Mode] = frozenset({"cos"})
APPLIES: dict[str, tuple[str, frozenset[Mode]]] = {
    "yes": ("--yes", _CLOUD), "force": ("--force", _CLOUD), "confirm_above": ("--confirm-above", _CLOUD),
    "name": ("--name", _CI), "queue_id": ("--queue-id", _CI), "template": ("--template", _CI),
    "workflow": ("--workflow", _CI), "uploaded_after": ("--uploaded-after", _CI),
    "uploaded_before": ("--uploaded-before", _CI),
    "match": ("--match", _IMM), "topic": ("--topic", _IMM), "service_role": ("--service-role", _IMM),
    "fail_fast": ("--fail-fast", _IMM),
    "concurrency": ("--concurrency", _LOCAL), "skip_existing": ("--skip-existing", _LOCAL),
}
_NEVER = ("download_to", "url", "expires", "max_source_size", "verify", "strict")
_SUBMIT_HELP = {  # shared options as `batch submit` offers them (some for a local folder only)
    "wait": "Wait for the batch to end (a local folder: for its async jobs); --no-wait prints the id.",
    "concurrency": "Local folder: items processed at once (default: the CPU count).",
    "skip_existing": "Local folder: skip items whose destination already exists (resume).",
}


def _mode_name(mode: Mode) -> str:
    from mediaproc.i18n import _

    return {"local": _("a local folder (the batch runs here)"), "oss": _("an OSS batch or trigger (IMM)"),
            "cos": _("a COS batch or trigger (CI workflow)")}[mode]


def _check_applies(run: Runner, mode: Mode) -> None:
    """Refuse every option the command line gave that ``mode`` does not read (APPLIES)."""
    from mediaproc.errors import UsageError
    from mediaproc.i18n import _

    for param, (flag, modes) in APPLIES.items():
        if param in run.given and mode not in modes:
            where = _(" or ").join(_mode_name(m) for m in sorted(modes))
            raise UsageError(_("{option} does not apply to {mode}").format(option=flag, mode=_mode_name(mode)),
                             hint=_("drop {option}; it applies to {where}").format(option=flag, where=where))


def _mode(run: Runner, source: str) -> Mode:
    from mediaproc.services import cloudbatch as svc

    mode: Mode = svc.source_mode(run.state.settings, source)
    _check_applies(run, mode)
    return mode


def _ask() -> Any:
    """A terminal's question, or None without one (stdin not a terminal, or CI)."""
    if not sys.stdin.isatty() or os.environ.get("CI"):
        return None
    return lambda question: typer.confirm(question, default=False, err=True)


Verb = Literal["suspend", "resume", "cancel"]


def _options(run: Runner, kind: Literal["batch", "trigger"], **values: Any) -> CloudOptions:
    from mediaproc.services.cloudbatch import CloudOptions

    after: str | None = values.pop("after")
    before: str | None = values.pop("before")
    window = (after, before) if (after or before) else None
    return CloudOptions(kind=kind, dry_run=bool(run.values.get("dry_run")), uploaded_between=window,
                        match=tuple(values.pop("match") or ()), **values)


def _status(st: AppState, status: CloudBatchStatus) -> None:
    if st.settings.json:
        st.output.json(status.to_dict())
        return
    rows = [[k, v] for k, v in status.to_dict().items()
            if k not in ("failures", "details", "counters") and v not in (None, "")]
    rows += [[k, v] for k, v in status.counters.items()]
    rows += [[k, v] for k, v in status.details.items() if v not in (None, "", [])]
    st.output.table(["field", "value"], rows)
    if status.failures:
        st.output.table(["failed object", "reason"], [[f.key, f.reason] for f in status.failures])


def _dry_run(st: AppState, plan: Any) -> None:
    import json as _json

    if st.settings.json:
        st.output.json(plan.to_dict())
        return
    for request in plan.requests:
        st.output.text(f"{request.method} {request.path}    ({request.action})")
        st.output.text(request.xml or _json.dumps(request.body, ensure_ascii=False, indent=2))


def _submit(run: Runner, source: str, operations: list[str], opts: CloudOptions, total_wait: bool) -> None:
    from mediaproc.services import cloudbatch as svc

    st = run.state
    plan = svc.plan(st.settings, source, operations, run.values.get("to"), opts)
    if opts.dry_run:
        _dry_run(st, plan)
        return
    if opts.kind == "batch":
        plan = svc.count(st.settings, plan)
        for line in svc.summary(plan):
            st.output.note(line)
        svc.confirm(plan, opts, _ask())
    submitted = svc.submit(st.settings, plan, opts)
    bucket = plan.source.bucket if plan.provider == "cos" else None
    if not total_wait:
        st.output.json(submitted.to_dict()) if st.settings.json else st.output.text(submitted.id)
        if submitted.made_workflow and bucket:
            st.output.note(svc.workflow_note(submitted.made_workflow, bucket))
        return
    st.output.note(submitted.id)
    _wait(st, submitted.id, bucket, run.values.get("timeout"), plan.count, made_workflow=submitted.made_workflow)


def _wait(st: AppState, ident: str, bucket: str | None, timeout: float | None, total: int | None,
          made_workflow: str | None = None) -> None:
    """Wait, then show the final status; an unhappy ending (8, 6, 7, 130) shows it before its error.
    A workflow the batch made for itself that stays is said last (services.cloudbatch.workflow_note)."""
    from mediaproc.errors import MediaprocError
    from mediaproc.services import cloudbatch as svc

    def kept(last: CloudBatchStatus | None) -> None:
        if made_workflow and bucket and not (last is not None and last.details.get("workflow_deleted")):
            st.output.note(svc.workflow_note(made_workflow, bucket))

    try:
        with st.output.progress(ident) as progress:
            final = svc.wait(st.settings, ident, bucket=bucket, timeout=timeout, total=total, progress=progress,
                             made_workflow=made_workflow)
    except MediaprocError as exc:
        last = exc.details.pop("status", None)
        if last is not None:
            _status(st, last)
            exc.rendered = True
        kept(last)
        raise
    _status(st, final)
    kept(final)


@chain_command(exclude=_NEVER, helps=_SUBMIT_HELP)
def submit(
    source: SourceArg,
    operations: OpsArg,
    yes: YesOpt = False,
    force: ForceOpt = False,
    confirm_above: ThresholdOpt = 1000,
    name: NameOpt = None,
    match: MatchOpt = None,
    topic: TopicOpt = None,
    service_role: RoleOpt = None,
    queue_id: QueueOpt = None,
    template: TemplateOpt = None,
    workflow: WorkflowOpt = None,
    uploaded_after: AfterOpt = None,
    uploaded_before: BeforeOpt = None,
    fail_fast: FailFastOpt = False,
    *,
    run: Runner,
) -> None:
    """Run the chain over every object under a prefix on the cloud's engine (IMM batch; COS workflow + inventory
    job), or here on the local provider.

    Counts the objects first and asks above --confirm-above (--yes in scripts). Waits by default with a progress
    bar from the service's counters (--no-wait prints the id): exit 0 all ok, 8 some failed, 6 the batch failed,
    7 timeout; Ctrl-C stops waiting, never the batch. Per-object failures are listed for COS; IMM reports them
    only through its MNS notifications (--topic).

    Options marked Cloud, IMM or COS apply to that kind of batch only, those marked Local folder to a folder
    source only; given elsewhere, an option is a usage error (exit 2)."""
    if _mode(run, source) == "local":
        run(source, operations)  # local: the client-side batch, in the foreground
        return
    opts = _options(run, "batch", yes=yes, force=force, threshold=confirm_above, name=name, match=match, topic=topic,
                    service_role=service_role, queue_id=queue_id, template_id=template, workflow_id=workflow,
                    after=uploaded_after, before=uploaded_before, fail_fast=fail_fast)
    _submit(run, source, operations, opts, bool(run.values.get("wait", True)))


app.command("submit")(submit)


@app.command("status")
def status(ctx: typer.Context, ident: IdArg, bucket: BucketOpt = None, json: JsonOpt = False) -> None:
    """Poll once: state, the service's counters, start/end times, failed objects where reported."""
    from mediaproc.services import cloudbatch as svc

    st = state(ctx, json=json)
    _status(st, svc.status(st.settings, ident, bucket=bucket))


@app.command("wait")
def wait(ctx: typer.Context, ident: IdArg, bucket: BucketOpt = None, timeout: TimeoutOpt = None,
         total: TotalOpt = None, json: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Wait with a progress bar: exit 0 all ok, 8 some failed, 6 the batch failed, 7 timeout (Ctrl-C stops waiting,
    never the batch)."""
    st = state(ctx, json=json, quiet=quiet)
    _wait(st, ident, bucket, timeout, total)


def _listing(st: AppState, provider: str | None, kind: Literal["batch", "trigger"], bucket: str | None,
             state_filter: str | None) -> None:
    from mediaproc.services import cloudbatch as svc

    items = svc.listing(st.settings, provider or st.settings.provider, kind, bucket=bucket, state=state_filter)
    st.output.items(items, ["id", "state", "completed", "failed", "created"],
                    row=lambda i: (i.id, i.state, i.completed, i.failed, i.created), doc=lambda i: i.to_dict())


@app.command("list")
def list_batches(ctx: typer.Context, provider: ProviderOpt = None, bucket: BucketOpt = None,
                 state_filter: StateOpt = None, json: JsonOpt = False) -> None:
    """The batches of the IMM project (OSS) or the inventory jobs of the bucket (COS)."""
    _listing(state(ctx, json=json), provider, "batch", bucket, state_filter)


def _change(ctx: typer.Context, ident: str, verb: Verb, bucket: str | None, json: bool) -> None:
    from mediaproc.services import cloudbatch as svc

    st = state(ctx, json=json)
    after = svc.change(st.settings, ident, verb, bucket=bucket)
    if after is not None:
        _status(st, after)
    elif st.settings.json:
        st.output.json({"id": ident, "deleted": True})
    else:
        st.output.text(ident)


def _verb_command(verb: Verb, doc: str) -> Callable[..., None]:
    """One state-changing command (suspend, resume, cancel, delete): they differ only in verb and help."""

    def command(ctx: typer.Context, ident: IdArg, bucket: BucketOpt = None, json: JsonOpt = False) -> None:
        _change(ctx, ident, verb, bucket, json)

    command.__doc__ = doc
    return command


app.command("suspend")(_verb_command("suspend", "Stop submitting new objects (IMM: submitted tasks still run)."))
app.command("resume")(_verb_command("resume", "Continue a suspended (or failed, IMM) batch."))
app.command("cancel")(_verb_command(
    "cancel", "Stop the batch for good (IMM: suspend, then DeleteBatch; COS: cancel the inventory job)."))


# -- triggers --------------------------------------------------------------------------------------

@chain_command(exclude=(*_NEVER, "concurrency", "skip_existing", "wait", "timeout"))
def create(
    source: SourceArg,
    operations: OpsArg,
    force: ForceOpt = False,
    name: NameOpt = None,
    match: MatchOpt = None,
    topic: TopicOpt = None,
    service_role: RoleOpt = None,
    queue_id: QueueOpt = None,
    template: TemplateOpt = None,
    *,
    run: Runner,
) -> None:
    """Run the chain on every object uploaded under the prefix from now on (IMM trigger; COS active workflow).
    Objects already there are not processed: `mediaproc batch submit` does those."""
    from mediaproc.errors import UsageError
    from mediaproc.i18n import _
    from mediaproc.services import cloudbatch as svc

    mode = svc.source_mode(run.state.settings, source)
    if mode == "local":
        raise UsageError(_("triggers run on a cloud's engine; the local provider has none"),
                         hint=_("process the folder with `mediaproc batch submit FOLDER/ ... --to OUT/`, or "
                                "create the trigger on oss:// or cos://"))
    _check_applies(run, mode)
    opts = _options(run, "trigger", force=force, name=name, match=match, topic=topic, service_role=service_role,
                    queue_id=queue_id, template_id=template, after=None, before=None)
    _submit(run, source, operations, opts, False)


trigger_app.command("create")(create)


@trigger_app.command("list")
def list_triggers(ctx: typer.Context, provider: ProviderOpt = None, bucket: BucketOpt = None,
                  state_filter: StateOpt = None, json: JsonOpt = False) -> None:
    """The triggers of the IMM project (OSS) or the workflows of the bucket (COS)."""
    _listing(state(ctx, json=json), provider, "trigger", bucket, state_filter)


@trigger_app.command("get")
def get(ctx: typer.Context, ident: IdArg, bucket: BucketOpt = None, json: JsonOpt = False) -> None:
    """State and counters of one trigger or workflow."""
    status(ctx, ident, bucket=bucket, json=json)


trigger_app.command("suspend")(_verb_command("suspend", "Stop reacting to new objects (COS: pause the workflow)."))
trigger_app.command("resume")(_verb_command("resume", "React to new objects again (COS: activate the workflow)."))
trigger_app.command("delete")(_verb_command("cancel", "Delete the trigger (COS: the workflow)."))


@trigger_app.command("run")
def run_one(ctx: typer.Context, ident: IdArg, key: Annotated[str, typer.Argument(help="Object key to process now.")],
            bucket: CosBucketOpt = None, json: JsonOpt = False) -> None:
    """COS: run the workflow on one object now (TriggerWorkflow); prints the execution id."""
    from mediaproc.services import cloudbatch as svc

    st = state(ctx, json=json)
    run_id = svc.trigger_one(st.settings, ident, key, bucket=bucket)
    st.output.json({"id": ident, "run_id": run_id}) if st.settings.json else st.output.text(run_id)

