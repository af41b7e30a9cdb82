"""A chain or a style as a Cloud Infinite media workflow, and the inventory-trigger job that runs a
workflow over objects already in the bucket.

**The one table** (chain -> workflow node after ``Start``):

=====================================  =========================================================
chain                                  node
=====================================  =========================================================
image operations (one rule)            ``PicProcess_1``: ``PicProcess/ProcessRule`` = the CI rule
``style/NAME``                         ``PicProcess_1``: ``PicProcess/ProcessRule`` = ``style/NAME``
video/convert, audio/convert, hls      ``Transcode_1``: the media job's ``Transcode`` node
video/snapshots, video/sprite          ``Snapshot_1``: the media job's ``Snapshot`` node
video/animation                        ``Animation_1``: the media job's ``Animation`` node
=====================================  =========================================================

The settings of a media node are the ones a media job (``POST /jobs``) carries for the same operation:
:data:`mediaproc.ops.cos.jobs.MEDIA_JOBS` writes them, so anything a job refuses is refused here in
the same words. With ``template_id`` the node names a template instead (``Operation/TemplateId``).

Sources (CLOUD-BATCH.md §2.3, §2.6): CreateWorkflow (https://www.tencentcloud.com/document/product/436/48037):
``MediaWorkflow{Name, State, Topology{Dependencies, Nodes}}``, node names prefixed by their type,
``Start/Input{QueueId, ObjectPrefix, ExtFilter{State, Custom, CustomExts (<= 10, '/'-separated)}}``,
``Operation{TemplateId, Output{Region, Bucket, Object}}``, ``${InputName}``/``${Number}``/``${ext}``
in output names; CreateInventoryTriggerJob (https://www.tencentcloud.com/document/product/436/50618):
``Name, Type=Workflow, Input{Prefix}, Operation{WorkflowIds, TimeInterval{Start, End}}``.
**UNVERIFIED**: inline settings in a workflow node (the node tables list ``TemplateId`` only; the
inline node is the media job's, as ``POST /jobs`` takes it); a style as ``ProcessRule``; that
``QueueId`` may be left out (the docs say required, the SDK's demo and test omit it). The inverse,
what serve reads from a workflow, is :mod:`mediaproc.ops.cos.workflow`.
"""

from __future__ import annotations

from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.cloudbatch import CloudWork, result_extension
from mediaproc.ops.cos.image_rules import image_rule
from mediaproc.ops.cos.jobs import MEDIA_JOBS, media_job_request
from mediaproc.ops.model import Family

__all__ = ["inventory_job_body", "output_object", "workflow_body"]

INPUT_NAME = "${InputName}"


def output_object(work: CloudWork, prefix: str) -> str:
    """Each result's object under ``prefix``: ``${InputName}`` plus the result's extension (the
    source's ``${ext}`` when the chain keeps it); snapshot nodes number their frames themselves."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    ext = result_extension(work)
    return f"{prefix}{INPUT_NAME}.{ext or '${ext}'}"


def _node(
    work: CloudWork, bucket: str, region: str, prefix: str, template_id: str | None
) -> tuple[str, dict[str, Any]]:
    output = {"Region": region, "Bucket": bucket, "Object": output_object(work, prefix)}
    if work.style is not None or (work.chain is not None and work.chain.family not in _MEDIA):
        rule = f"style/{work.style}" if work.style is not None else image_rule(work.chain or (), bucket=bucket,
                                                                                 region=region)
        operation: dict[str, Any] = {"TemplateId": template_id} if template_id else {
            "PicProcess": {"IsPicInfo": "false", "ProcessRule": rule}}
        return "PicProcess_1", {"Type": "PicProcess", "Operation": {**operation, "Output": output}}
    assert work.chain is not None
    if len(work.chain) != 1 or work.chain[0].name not in MEDIA_JOBS:
        name = work.chain[0].name
        raise InvalidOperation(
            _("{name} has no Cloud Infinite workflow node").format(name=name),
            hint=_("a workflow runs one media operation per node: transcode, snapshots, sprite or animation"),
            details={"operation": name},
        )
    op = work.chain[0]
    stem = output["Object"].rsplit(".", 1)[0] if result_extension(work) else f"{prefix}{INPUT_NAME}"
    job = media_job_request(op, input_key=INPUT_NAME, bucket=bucket, region=region, output_key=stem
                            if op.name in ("video/snapshots", "video/sprite") else output["Object"])
    tag = str(job["Tag"])
    node = MEDIA_JOBS[op.name].node
    settings: dict[str, Any] = {"TemplateId": template_id} if template_id else {node: job["Operation"][node]}
    return f"{tag}_1", {"Type": tag, "Operation": {**settings, "Output": job["Operation"]["Output"]}}


_MEDIA = frozenset({Family.VIDEO, Family.AUDIO, Family.HLS})


def workflow_body(
    work: CloudWork,
    *,
    name: str,
    prefix: str,
    bucket: str,
    region: str,
    out_prefix: str,
    extension: str | None = None,
    queue_id: str | None = None,
    template_id: str | None = None,
    active: bool = False,
    notify_url: str | None = None,
) -> dict[str, Any]:
    """The ``<Request>`` of CreateWorkflow (``ci_create_workflow``'s ``Body``): Start (prefix, and
    the one extension as a custom suffix filter) -> the node of :func:`_node` -> End."""
    node, spec = _node(work, bucket, region, out_prefix, template_id)
    start_input: dict[str, Any] = {}
    if queue_id:
        start_input["QueueId"] = queue_id
    start_input["ObjectPrefix"] = prefix
    if notify_url:
        start_input["NotifyConfig"] = {"Type": "Url", "Url": notify_url, "Event": "TaskFinish,WorkflowFinish"}
    if extension:
        start_input["ExtFilter"] = {"State": "On", "Custom": "true", "CustomExts": extension}
    return {
        "MediaWorkflow": {
            "Name": name,
            "State": "Active" if active else "Paused",
            "Topology": {
                "Dependencies": {"Start": node, node: "End"},
                "Nodes": {"Start": {"Type": "Start", "Input": start_input}, node: spec},
            },
        }
    }


def inventory_job_body(
    *, name: str, prefix: str, workflow_id: str, time_range: tuple[str | None, str | None] | None = None
) -> dict[str, Any]:
    """The ``<Request>`` of CreateInventoryTriggerJob (Type Workflow over a prefix; ``time_range``
    filters by upload time and "takes effect only for Input.Prefix"; a side left out keeps the
    documented default: Start 0, End now)."""
    operation: dict[str, Any] = {}
    if time_range is not None and any(time_range):
        window = {"Start": time_range[0], "End": time_range[1]}
        operation["TimeInterval"] = {k: v for k, v in window.items() if v}
    operation["WorkflowIds"] = workflow_id
    return {"Name": name, "Type": "Workflow", "Input": {"Prefix": prefix}, "Operation": operation}

