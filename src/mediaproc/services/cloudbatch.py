"""Cloud batches and triggers: plan, describe (dry-run), submit, track and wait, without Typer.

The same chain or style that ``mediaproc process 'oss://b/in/**' ... --to oss://b/out/`` runs from this
machine goes to the cloud's own engine: IMM Batch/Trigger for OSS, a Cloud Infinite workflow (plus an
inventory-trigger job for existing objects) for COS. The request bodies come from one table per cloud
(:mod:`mediaproc.ops.oss.batch_actions`, :mod:`mediaproc.ops.cos.workflow_nodes`); ``--dry-run``
prints them as they are sent and needs no credentials and no network.

Before a batch is submitted, the matching objects are counted with a streamed listing (a count and a
sample of keys): above ``threshold`` a terminal asks, ``--yes`` agrees, and without either the
submission is refused (exit 2). An output under the input prefix is refused unless forced
(:func:`mediaproc.ops.cloudbatch.check_not_self_feeding`).

Waiting polls the service's own counters with backoff; Ctrl-C stops waiting and never the batch
(DESIGN.md's one policy): the id and the ``wait`` command are printed. Exit codes: 0 every object
succeeded, 8 some failed (named where the service names them: COS executions do, IMM only through
its MNS notifications), 6 the batch failed or was cancelled, 7 timeout (the id is printed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from mediaproc.addressing import parse_location
from mediaproc.cloudbatches import CloudBatchStatus
from mediaproc.config import Settings
from mediaproc.errors import (
    ConfigError,
    Interrupted,
    JobFailed,
    PartialFailure,
    TimedOut,
    UsageError,
)
from mediaproc.i18n import _, ngettext
from mediaproc.location import Location
from mediaproc.ops.cloudbatch import CloudWork, check_not_self_feeding, parse_work, split_source
from mediaproc.progress import ProgressCallback, ProgressEvent

if TYPE_CHECKING:
    from mediaproc.providers.cos.workflows import CosWorkflows
    from mediaproc.providers.oss.batches import ImmBatches

Kind = Literal["batch", "trigger"]
DEFAULT_THRESHOLD = 1000  # objects above which a submission asks first
SAMPLE_SIZE = 5
WORKFLOW_PLACEHOLDER = "<workflow-id>"  # placeholders in a dry-run: values known only when submitting
COUNT_PLACEHOLDER = "<object count>"
FIRST_DELAY = 1.0  # polling backoff, as mediaproc.jobs waits for one job
MAX_DELAY = 5.0


@dataclass(frozen=True)
class CloudOptions:
    """What ``batch submit`` / ``trigger create`` take besides the source, the chain and ``--to``."""

    kind: Kind = "batch"
    dry_run: bool = False
    yes: bool = False
    force: bool = False
    threshold: int = DEFAULT_THRESHOLD
    name: str | None = None
    match: tuple[str, ...] = ()  # IMM MatchExpressions, sent verbatim
    topic: str | None = None  # IMM: MNS topic for per-object notifications
    service_role: str | None = None
    queue_id: str | None = None  # COS
    template_id: str | None = None  # COS: a template instead of inline settings
    workflow_id: str | None = None  # COS batch: run an existing workflow
    uploaded_between: tuple[str | None, str | None] | None = None  # COS batch: upload-time window
    fail_fast: bool = False  # IMM: FastFailPolicy abort (the batch fails at the first failed object)


@dataclass(frozen=True)
class Request:
    """One request as it is sent: ``body`` in the service's wire keys (IMM JSON, COS ``<Request>``)."""

    action: str
    method: str
    path: str
    body: dict[str, Any]
    xml: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"action": self.action, "method": self.method, "path": self.path, "body": self.body}
        if self.xml is not None:
            out["xml"] = self.xml
        return out


@dataclass(frozen=True)
class Plan:
    provider: str
    kind: Kind
    source: Location
    prefix: str
    extension: str | None
    destination: Location
    work: CloudWork
    count: int | None = None
    sample: tuple[str, ...] = ()
    requests: tuple[Request, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "kind": self.kind, "source": str(self.source),
                "destination": str(self.destination), "work": self.work.label, "count": self.count,
                "sample": list(self.sample), "requests": [r.to_dict() for r in self.requests]}


@dataclass(frozen=True)
class Submitted:
    id: str
    plan: Plan
    created: tuple[str, ...] = field(default_factory=tuple)  # every id created (a COS workflow too)
    made_workflow: str | None = None  # COS batch: the workflow created to run this batch's job

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "kind": self.plan.kind, "provider": self.plan.provider, "created": list(self.created),
               "count": self.plan.count, "requests": [r.to_dict() for r in self.plan.requests]}
        if self.made_workflow:
            out["workflow_id"] = self.made_workflow
        return out


def source_mode(settings: Settings, source: str) -> Literal["local", "oss", "cos"]:
    """Where a batch over ``source`` runs: ``local`` for a source on this machine (the local provider's
    batch runs it in the foreground), else the cloud whose engine runs it."""
    loc = parse_location(source, settings, role="source")
    if not loc.is_object:
        return "local"
    return "cos" if loc.scheme == "cos" else "oss"


# -- planning ---------------------------------------------------------------------------------------

def plan(settings: Settings, source: str, words: Sequence[str], to: str | None, opts: CloudOptions) -> Plan:
    """Parse and check everything that needs no network: the work, the prefix, the destination, the
    self-feeding rule, and the request bodies (with placeholders where the service assigns ids)."""
    work = parse_work(words)
    src = parse_location(source, settings, role="source")
    if not src.is_object or not src.bucket:
        raise UsageError(_("a cloud batch reads objects in a bucket: {source}").format(source=source),
                         hint=_("write oss://BUCKET/PREFIX/ or cos://BUCKET-APPID/PREFIX/; a local folder runs "
                                "client-side with `mediaproc process`"))
    if not to:
        raise UsageError(_("a cloud batch writes one result per object, but no destination was given"),
                         hint=_("add --to {scheme}://{bucket}/processed/").format(scheme=src.scheme, bucket=src.bucket))
    dest = parse_location(to, settings, role="destination")
    if dest.scheme != src.scheme or not dest.bucket:
        raise UsageError(_("the destination of a cloud batch is a prefix in the same cloud: {to}").format(to=to),
                         hint=_("write --to {scheme}://BUCKET/PREFIX/").format(scheme=src.scheme))
    prefix, ext = split_source(src.key or "")
    if not opts.force:
        check_not_self_feeding(src.scheme, src.bucket, prefix, dest.bucket, dest.key or "",
                               what=_("trigger") if opts.kind == "trigger" else _("batch"))
    base = Plan(provider=src.scheme, kind=opts.kind, source=src, prefix=prefix, extension=ext,
                destination=dest, work=work)
    return _with_requests(settings, base, opts)


def _with_requests(settings: Settings, p: Plan, opts: CloudOptions, *, project: str | None = None,
                   region: str | None = None) -> Plan:
    from dataclasses import replace

    if p.provider == "oss":
        return replace(p, requests=(_imm_request(settings, p, opts, project),))
    return replace(p, requests=_cos_requests(settings, p, opts, region))


def _imm_request(settings: Settings, p: Plan, opts: CloudOptions, project: str | None) -> Request:
    from mediaproc.ops.oss.batch_actions import (
        PLANNED_TAG,
        batch_body,
        imm_actions,
        match_expressions,
        output_template,
    )

    assert p.destination.bucket is not None and p.source.bucket is not None
    template = output_template(p.work, p.destination.key or "")
    actions = imm_actions(p.work, p.destination.bucket, template, fail_fast=opts.fail_fast)
    # the planned count travels as a tag (IMM keeps no total); a dry-run has not counted yet
    tags = {PLANNED_TAG: COUNT_PLACEHOLDER if p.count is None else str(p.count)} if p.kind == "batch" else None
    name = project or settings.imm_project or f"<project bound to {p.source.bucket}>"
    body = batch_body(project=name, bucket=p.source.bucket, prefix=p.prefix, actions=actions,
                      match=opts.match or match_expressions(p.extension),
                      topic=opts.topic, service_role=opts.service_role, tags=tags)
    action = "CreateTrigger" if p.kind == "trigger" else "CreateBatch"
    return Request(action=action, method="POST", path="/", body=body)


def _default_name(p: Plan) -> str:
    return f"mediaproc-{p.kind}-{datetime.now(timezone.utc).strftime('%Y%m%d%H%M%S')}"


def _cos_requests(settings: Settings, p: Plan, opts: CloudOptions, region: str | None) -> tuple[Request, ...]:
    from mediaproc.config import cos_region
    from mediaproc.ops.cos.job_xml import job_xml
    from mediaproc.ops.cos.workflow_nodes import inventory_job_body, workflow_body

    assert p.destination.bucket is not None
    if p.extension and p.kind == "batch":
        raise UsageError(
            _("a COS inventory job takes a prefix: whether the workflow's suffix filter applies to it is "
              "not documented, so *.{ext} cannot be promised").format(ext=p.extension),
            hint=_("give the prefix alone ({scheme}://{bucket}/{prefix}); a trigger (workflow) filters by "
                   "extension").format(scheme=p.source.scheme, bucket=p.source.bucket, prefix=p.prefix),
        )
    name = opts.name or _default_name(p)
    if not re.fullmatch(r"[\w-]{1,128}", name):
        raise UsageError(_("{name!r} is not a valid workflow name").format(name=name),
                         hint=_("up to 128 letters, digits, '-' and '_'"))
    requests: list[Request] = []
    workflow_id = opts.workflow_id
    if workflow_id is None:
        body = workflow_body(p.work, name=name, prefix=p.prefix, bucket=p.destination.bucket,
                             region=region or cos_region(settings) or "<region>",
                             out_prefix=p.destination.key or "", extension=p.extension, queue_id=opts.queue_id,
                             template_id=opts.template_id, active=p.kind == "trigger")
        requests.append(Request("CreateWorkflow", "POST", "/workflow", body, job_xml(body)))
        workflow_id = WORKFLOW_PLACEHOLDER
    if p.kind == "batch":
        job = inventory_job_body(name=name, prefix=p.prefix, workflow_id=workflow_id, time_range=opts.uploaded_between)
        requests.append(Request("CreateInventoryTriggerJob", "POST", "/inventorytriggerjob", job, job_xml(job)))
    return tuple(requests)


def count(settings: Settings, p: Plan) -> Plan:
    """The objects the batch would take, from a streamed listing: the count and the first keys."""
    from dataclasses import replace

    from mediaproc.providers import get_provider

    n = 0
    sample: list[str] = []
    listing = Location(scheme=p.source.scheme, bucket=p.source.bucket, key=p.prefix)
    with get_provider(p.provider, settings) as provider:
        for info in provider.list_objects(listing, recursive=True):
            if info.is_prefix or info.key.endswith("/"):
                continue
            if p.extension and not info.key.lower().endswith("." + p.extension):
                continue
            n += 1
            if len(sample) < SAMPLE_SIZE:
                sample.append(info.key)
    return replace(p, count=n, sample=tuple(sample))


def summary(p: Plan) -> list[str]:
    """The lines that tell the user what a submission would take (printed before any question)."""
    where = f"{p.source.scheme}://{p.source.bucket}/{p.prefix}" + (f"*.{p.extension}" if p.extension else "")
    matches = ngettext("{n} object matches {where}", "{n} objects match {where}", p.count or 0)
    lines = [matches.format(n=p.count, where=where)]
    lines += [f"  {key}" for key in p.sample]
    if p.count is not None and p.count > len(p.sample):
        lines.append("  ...")
    return lines


def confirm(p: Plan, opts: CloudOptions, ask: Callable[[str], bool] | None) -> None:
    """Above the threshold: ``--yes`` agrees, a terminal asks (``ask``), anything else is refused."""
    if p.count is None or p.count <= opts.threshold or opts.yes:
        return
    if ask is None:
        raise UsageError(
            ngettext("{n} object matches, more than the confirmation threshold of {t}",
                     "{n} objects match, more than the confirmation threshold of {t}", p.count).format(
                n=p.count, t=opts.threshold),
            hint=_("add --yes to submit without asking (or raise --confirm-above)"),
            code="ConfirmationNeeded",
        )
    question = ngettext("Submit a cloud {kind} over {n} object?", "Submit a cloud {kind} over {n} objects?", p.count)
    if not ask(question.format(kind=p.kind, n=p.count)):
        raise UsageError(_("nothing was submitted"), hint=_("add --yes to submit without asking"), code="Declined")


# -- submitting -------------------------------------------------------------------------------------

@contextmanager
def imm_batches(settings: Settings, bucket: str | None = None) -> Iterator[ImmBatches]:
    """The IMM Batch/Trigger calls of the project: ``--imm-project``, else the one bound to ``bucket``."""
    from mediaproc.providers.oss.batches import ImmBatches
    from mediaproc.providers.oss.provider import OssProvider

    with OssProvider(settings) as oss:
        project = settings.imm_project
        if not project:
            if not bucket:
                raise ConfigError(_("IMM batches live in a project; none was given"),
                                  hint=_("pass --imm-project NAME, or --bucket BUCKET bound to one"))
            project = oss._require_project(bucket)
        yield ImmBatches(oss.imm, project)


@contextmanager
def cos_workflows(settings: Settings, bucket: str | None) -> Iterator[CosWorkflows]:
    from mediaproc.providers.cos.provider import CosProvider
    from mediaproc.providers.cos.workflows import CosWorkflows

    name = bucket or settings.bucket
    if not name:
        raise ConfigError(_("COS workflows and jobs live in a bucket; none was given"),
                          hint=_("pass --bucket BUCKET-APPID"))
    with CosProvider(settings) as cos:
        yield CosWorkflows(cos, name.removeprefix("cos://").strip("/"))


def submit(settings: Settings, p: Plan, opts: CloudOptions) -> Submitted:
    """Send the plan's requests (rebuilt with the real project / region and the planned count)."""
    if p.provider == "oss":
        with imm_batches(settings, p.source.bucket) as imm:
            sent = _with_requests(settings, p, opts, project=imm.project)
            ident = imm.create(p.kind, sent.requests[0].body)
            return Submitted(ident, sent, (ident,))
    with cos_workflows(settings, p.source.bucket) as wf:
        sent = _with_requests(settings, p, opts, region=wf.cos.region)
        created: list[str] = []
        workflow_id = opts.workflow_id
        requests = list(sent.requests)
        if workflow_id is None:
            workflow_id = wf.create_workflow(requests[0].body)
            created.append(workflow_id)
        if p.kind == "trigger":
            return Submitted(workflow_id, sent, tuple(created))
        job_request = requests[-1]
        job_body = {**job_request.body, "Operation": {**job_request.body["Operation"], "WorkflowIds": workflow_id}}
        try:
            job_id = wf.create_job(job_body)
        except Exception:
            if opts.workflow_id is None:  # no half-made batch: the workflow made for it goes too
                wf.delete_workflow(workflow_id)
            raise
        created.append(job_id)
        return Submitted(job_id, sent, tuple(created), made_workflow=None if opts.workflow_id else workflow_id)


# -- the workflow a COS batch made for itself -------------------------------------------------------
# An inventory job runs through a workflow; a batch without --workflow creates one (Paused, so it never
# reacts to uploads) for its job alone. The job's progress and per-object results are that workflow's
# executions, listed by workflow id (CLOUD-BATCH.md §2.5-2.6), so the workflow is needed as long as
# the job runs and as long as its failures are worth reading. Hence: once a waited batch has ended with
# every object done, the workflow goes; a batch with failed objects keeps it (its executions name the
# failed objects and their reasons, and `trigger run` runs one again through it), and so does a batch
# that was not waited for to its end (--no-wait, --timeout, Ctrl-C): the job still needs it. Whatever
# stays is said on stderr, with the command that removes it (workflow_note).

def workflow_note(workflow_id: str, bucket: str) -> str:
    """The line that says the batch's workflow stays, and how to use and remove it."""
    return _("the workflow {wf} made for this batch stays (Paused, it never runs on uploads): it holds each "
             "object's result, `mediaproc trigger run {wf} KEY --bucket {bucket}` runs one again, and "
             "`mediaproc trigger delete {wf} --bucket {bucket}` removes it").format(wf=workflow_id, bucket=bucket)


def settle_workflow(settings: Settings, final: CloudBatchStatus, workflow_id: str, bucket: str) -> CloudBatchStatus:
    """After a waited COS batch has ended: delete the workflow made for it when every object succeeded
    (``details["workflow_deleted"]``); keep it otherwise. A deletion that fails keeps it too (its reason
    in ``details["workflow_error"]``): the batch's own outcome is not changed by it."""
    from dataclasses import replace

    from mediaproc.errors import MediaprocError

    if final.outcome != "succeeded":
        return final
    try:
        with cos_workflows(settings, bucket) as wf:
            wf.delete_workflow(workflow_id)
    except MediaprocError as exc:
        return replace(final, details={**final.details, "workflow_error": exc.message})
    return replace(final, details={**final.details, "workflow_deleted": True})


# -- tracking ---------------------------------------------------------------------------------------

_COS_JOB = re.compile(r"^b[0-9a-f]{32}$")
_COS_WORKFLOW = re.compile(r"^w[0-9a-f]{32}$")


def provider_of(ident: str, settings: Settings) -> tuple[str, Kind]:
    """Which cloud and kind an id names: IMM ``batch-``/``trigger-<uuid>``, CI ``b``/``w`` + 32 hex."""
    if ident.startswith("batch-"):
        return "oss", "batch"
    if ident.startswith("trigger-"):
        return "oss", "trigger"
    if _COS_JOB.match(ident):
        return "cos", "batch"
    if _COS_WORKFLOW.match(ident):
        return "cos", "trigger"
    raise UsageError(_("{id!r} is not a cloud batch or trigger id").format(id=ident),
                     hint=_("IMM ids start with batch- or trigger-; COS inventory jobs with b, workflows with w"))


def status(settings: Settings, ident: str, *, bucket: str | None = None) -> CloudBatchStatus:
    cloud, kind = provider_of(ident, settings)
    if cloud == "oss":
        with imm_batches(settings, bucket or settings.bucket) as imm:
            return imm.get(kind, ident)
    with cos_workflows(settings, bucket) as wf:
        return wf.job(ident) if kind == "batch" else wf.workflow(ident)


def listing(settings: Settings, provider: str, kind: Kind, *, bucket: str | None = None,
            state: str | None = None) -> list[CloudBatchStatus]:
    if provider == "oss":
        with imm_batches(settings, bucket or settings.bucket) as imm:
            return list(imm.list(kind, state=state))
    if provider == "cos":
        with cos_workflows(settings, bucket) as wf:
            items = list(wf.jobs() if kind == "batch" else wf.workflows())
        return [s for s in items if state is None or s.state == state]
    raise UsageError(_("cloud batches and triggers run on oss or cos, not {provider}").format(provider=provider),
                     hint=_("a local batch runs in the foreground: `mediaproc batch submit FOLDER/ ... --to OUT/`"))


def change(settings: Settings, ident: str, verb: Literal["suspend", "resume", "cancel"], *,
           bucket: str | None = None) -> CloudBatchStatus | None:
    """Suspend, resume, or cancel (IMM: suspend if running, then delete; COS job: cancel; COS
    workflow: delete). Returns the status afterwards where the object still exists."""
    cloud, kind = provider_of(ident, settings)
    if cloud == "oss":
        with imm_batches(settings, bucket or settings.bucket) as imm:
            if verb == "cancel":
                if imm.get(kind, ident).state == "Running":
                    imm.change(kind, "Suspend", ident)
                imm.change(kind, "Delete", ident)
                return None
            imm.change(kind, "Suspend" if verb == "suspend" else "Resume", ident)
            return imm.get(kind, ident)
    with cos_workflows(settings, bucket) as wf:
        if kind == "batch":
            if verb != "cancel":
                raise UsageError(
                    _("a COS inventory job cannot be suspended or resumed, only cancelled"),
                    hint=_("pause its workflow instead: `mediaproc trigger suspend WORKFLOW_ID --provider cos`"))
            wf.cancel_job(ident)
            return wf.job(ident, with_failures=False)
        if verb == "cancel":
            wf.delete_workflow(ident)
            return None
        wf.set_workflow_state(ident, active=verb == "resume")
        return wf.workflow(ident)


def trigger_one(settings: Settings, workflow_id: str, key: str, *, bucket: str | None = None) -> str:
    """COS: run a workflow on one object now (TriggerWorkflow); the execution's RunId."""
    cloud, kind = provider_of(workflow_id, settings)
    if cloud != "cos" or kind != "trigger":
        raise UsageError(_("only a COS workflow runs on one object on demand"),
                         hint=_("give a workflow id (w + 32 hex digits) and --bucket BUCKET-APPID"))
    with cos_workflows(settings, bucket) as wf:
        return wf.trigger(workflow_id, key)


def wait(
    settings: Settings,
    ident: str,
    *,
    bucket: str | None = None,
    timeout: float | None = None,
    total: int | None = None,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    made_workflow: str | None = None,
) -> CloudBatchStatus:
    """Poll until the batch ends. Returns the final status when every object succeeded; raises
    PartialFailure (8), JobFailed (6), TimedOut (7) or Interrupted (130, the batch keeps running),
    each carrying the final status in ``details["status"]`` so that it can be rendered first.
    ``made_workflow``: the workflow a COS batch made for itself, settled once the batch has ended
    (:func:`settle_workflow`)."""
    cloud, kind = provider_of(ident, settings)
    if kind != "batch":
        raise UsageError(_("a trigger never ends, so there is nothing to wait for"),
                         hint=_("`mediaproc trigger get {id}` shows its state").format(id=ident))
    started = time.monotonic()
    delay = FIRST_DELAY
    last: CloudBatchStatus | None = None
    command = f"mediaproc batch wait {ident}" + (f" --bucket {bucket}" if bucket and cloud == "cos" else "")
    try:
        while True:
            last = status(settings, ident, bucket=bucket)
            _report(progress, last, total)
            if last.done:
                break
            left = None if timeout is None else timeout - (time.monotonic() - started)
            if left is not None and left <= 0:
                raise TimedOut(
                    _("{id} did not finish within {seconds:g} s").format(id=ident, seconds=timeout or 0),
                    hint=_("the batch keeps running; `{command}` picks it up").format(command=command),
                    task_id=ident, details={"status": last})
            sleep(delay if left is None else max(0.0, min(delay, left)))
            delay = min(MAX_DELAY, delay * 2)
    except KeyboardInterrupt:
        raise Interrupted(
            _("stopped waiting for {id}; the batch keeps running").format(id=ident),
            hint=_("`{command}` picks it up; `mediaproc batch cancel {id}` stops it").format(command=command,
                                                                                            id=ident),
            task_id=ident, details={"status": last}) from None
    if made_workflow and cloud == "cos":
        last = settle_workflow(settings, last, made_workflow, bucket or settings.bucket or "")
    return finish(last)


def finish(st: CloudBatchStatus) -> CloudBatchStatus:
    """The exit code of a finished batch, as an error to raise after rendering (None: all ok)."""
    if st.outcome == "succeeded":
        return st
    if st.outcome == "partial":
        listed = _("listed above") if st.failures else _(
            "IMM names failed objects only in its MNS notifications (--topic)") if st.provider == "oss" else ""
        raise PartialFailure(
            ngettext("{failed} of {n} object failed", "{failed} of {n} objects failed", st.completed or 0).format(
                failed=st.failed, n=st.completed),
            hint=listed or None, task_id=st.id, details={"status": st})
    raise JobFailed(
        st.message or _("the batch ended {state}").format(state=st.state),
        code=st.state or "Failed", task_id=st.id,
        hint=_("`mediaproc batch status {id}` shows it again").format(id=st.id), details={"status": st})


def _report(progress: ProgressCallback | None, st: CloudBatchStatus, total: int | None) -> None:
    if progress is None:
        return
    total = total or st.total
    done = st.completed or 0
    label = _("{state}: {ok} ok, {failed} failed").format(state=st.state, ok=done - (st.failed or 0),
                                                          failed=st.failed or 0)
    progress(ProgressEvent(completed=float(done), total=float(total) if total else None, unit="items",
                           label=label))

