"""A chain or a style as IMM Batch/Trigger ``Actions``, and the whole CreateBatch/CreateTrigger body.

**The one table**: an action is one segment of the OSS process string that ``x-oss-async-process``
would carry for the same chain (:mod:`mediaproc.ops.oss.encode`), split at its first comma:
``Name`` is the segment's operation path and ``Parameters`` its ``k_v`` options, in order.

==========================================  ===========================================================
chain (seed grammar)                        ``Actions``
==========================================  ===========================================================
``resize:w=200 format:target=webp``         ``image/resize`` [``w_200``], ``image/format`` [``webp``]
``video/convert:f=mp4,vcodec=h264``         ``video/convert`` [``f_mp4``, ``vcodec_h264``]
``video/snapshots:f=jpg,num=3,inter=1000``  ``video/snapshots`` [``f_jpg``, ``num_3``, ``inter_1000``]
``audio/convert:f=mp3``                     ``audio/convert`` [``f_mp3``]
``style/NAME``                              ``style/NAME`` []
(every chain, on the last action)            ``TargetURI=oss://<bucket>/<template>``
==========================================  ===========================================================

Serve reads them back with the same rules (image actions chain under one ``image/`` prefix; ``k_v``
or ``k=v`` options; the output in ``TargetURI``).

What the documentation confirms (CLOUD-BATCH.md §1.7) and what it does not:

- documented: the field names and types (``Name: str``, ``Parameters: List[str]``, the SDK's
  ``CreateBatchRequestActions``); the one documented example is ``doc/convert`` with ``pages=3``
  (CreateBatch, https://help.aliyun.com/zh/imm/developer-reference/api-imm-2020-09-30-createbatch);
  the OSS console builds batches and triggers from the same processing strings (styles) that
  ``x-oss-process``/``x-oss-async-process`` take (https://www.alibabacloud.com/help/en/oss/user-guide/oss-batch-processing);
  the output-path variables ``{barename}``, ``{basename}``, ``{dirname}``, ... (TargetURI template,
  https://www.alibabacloud.com/help/en/imm/user-guide/targeturi-template);
- **UNVERIFIED**: that ``Name`` is the OSS operation path and ``Parameters`` its ``k_v`` options
  (the doc's own example spells ``pages=3``), that image operations may be several actions in a row,
  that the output travels as the parameter ``TargetURI=oss://<bucket>/<template>`` (the request
  model has no output field; IMM's task APIs call their output ``TargetURI``), and
  ``key suffix (.jpg)`` for a ``*.jpg`` source (only ``key prefix (abc)`` is documented;
  ``--match`` sends expressions verbatim). ``--dry-run`` prints the exact body so that a user can check it against the console.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog import IMAGE_PREFIX_FAMILIES
from mediaproc.ops.cloudbatch import CloudWork, result_extension
from mediaproc.ops.model import Produces
from mediaproc.ops.oss.encode import encode_op

__all__ = [
    "DEFAULT_SERVICE_ROLE",
    "PLANNED_TAG",
    "Action",
    "batch_body",
    "TARGET_PARAMETER",
    "imm_actions",
    "match_expressions",
    "output_template",
]

Action = dict[str, Any]  # {"Name": str, "Parameters": [str, ...]}, the SDK's wire keys
DEFAULT_SERVICE_ROLE = "AliyunIMMBatchTriggerRole"  # CreateBatch: "默认值为 AliyunIMMBatchTriggerRole"
TARGET_PARAMETER = "TargetURI"  # UNVERIFIED: the parameter naming an action's output (module docstring)
PLANNED_TAG = "mediaproc-planned"  # Tags: the object count mediaproc planned, read back by `batch wait`


def _segment(text: str) -> Action:
    name, _sep, rest = text.partition(",")
    return {"Name": name, "Parameters": [p for p in rest.split(",") if p] if rest else []}


def output_template(work: CloudWork, prefix: str) -> str:
    """The output object of each source under ``prefix``, in IMM's variables: ``{barename}`` plus the
    result's extension, ``{basename}`` when the source's name is kept, ``{barename}`` alone for
    snapshots (OSS appends ``_0_<n>.<f>`` itself, mediaproc.ops.destination)."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if work.chain is not None and work.chain.produces is Produces.FILES:
        return prefix + "{barename}"
    ext = result_extension(work)
    return prefix + ("{barename}." + ext if ext else "{basename}")


def imm_actions(work: CloudWork, out_bucket: str, out_template: str) -> list[Action]:
    """The ``Actions`` of a CreateBatch/CreateTrigger for ``work``; the last one names the output (``TargetURI``)."""
    actions: list[Action] = []
    if work.style is not None:
        actions.append({"Name": f"style/{work.style}", "Parameters": []})
    else:
        assert work.chain is not None
        chain = work.chain
        for op in chain:
            if op.spec.oss is None:
                raise InvalidOperation(
                    _("{name} has no OSS process string, so IMM cannot run it in a batch").format(name=op.name),
                    hint=_("run it client-side with `mediaproc process`"),
                    details={"operation": op.name},
                )
            family = "image" if op.spec.family in IMAGE_PREFIX_FAMILIES else op.spec.oss.split("/", 1)[0]
            actions.append(_segment(f"{family}/{encode_op(op)}"))
    actions[-1]["Parameters"].append(f"{TARGET_PARAMETER}=oss://{out_bucket}/{out_template}")
    return actions


def match_expressions(extension: str | None) -> list[str]:
    """A ``*.EXT`` source as a match expression: ``key suffix (.jpg)``, the documented
    ``key prefix (abc)`` form with ``suffix`` (UNVERIFIED)."""
    return [f"key suffix (.{extension})"] if extension else []


def batch_body(
    *,
    project: str,
    bucket: str,
    prefix: str,
    actions: list[Action],
    match: Sequence[str] = (),
    topic: str | None = None,
    service_role: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The CreateBatch / CreateTrigger request in the service's wire keys (the two are identical:
    CLOUD-BATCH.md §1.2), as ``--dry-run`` prints it and the provider builds the SDK model from it."""
    oss: dict[str, Any] = {"Bucket": bucket}
    if match:
        oss["MatchExpressions"] = list(match)
    if prefix:
        oss["Prefix"] = prefix
    body: dict[str, Any] = {"ProjectName": project, "Input": {"OSS": oss}, "Actions": actions}
    if topic:
        body["Notification"] = {"MNS": {"TopicName": topic}}
    body["ServiceRole"] = service_role or DEFAULT_SERVICE_ROLE
    if tags:
        body["Tags"] = dict(tags)
    return body
