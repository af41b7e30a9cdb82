"""IMM Batch/Trigger ``Actions``: written from a chain or a style (the client, ``mediaproc batch``) and
read back into an OSS process string (``mediaproc serve``), with IMM's output templates. One table
both ways, so the client and serve cannot drift apart.

**Writing** (:func:`imm_actions`): an action is one segment of the OSS process string that
``x-oss-async-process`` would carry for the same chain (:mod:`mediaproc.ops.oss.encode`), split at
its first comma: ``Name`` is the segment's operation path and ``Parameters`` its ``k_v`` options,
in order; the last action also carries the output as ``TargetURI=oss://<bucket>/<template>``.

==========================================  ===========================================================
chain (seed grammar)                        ``Actions``
==========================================  ===========================================================
``resize:w=200 format:target=webp``         ``image/resize`` [``w_200``], ``image/format`` [``webp``]
``video/convert:f=mp4,vcodec=h264``         ``video/convert`` [``f_mp4``, ``vcodec_h264``]
``video/snapshots:f=jpg,num=3,inter=1000``  ``video/snapshots`` [``f_jpg``, ``num_3``, ``inter_1000``]
``audio/convert:f=mp3``                     ``audio/convert`` [``f_mp3``]
``style/NAME``                              ``style/NAME`` []
(every chain, on the last action)           ``TargetURI=oss://<bucket>/<template>``
==========================================  ===========================================================

**Reading** (:func:`read_actions`): the inverse, which also accepts the documented ``k=v`` spelling.
Pure (no I/O): ``mediaproc serve`` runs what this module reads, and a client that writes Actions can
check its bodies against it. What the documentation confirms, and what it does not
(``../shared/CLOUD-BATCH.md`` §1.6-1.7):

- Documented: an action is ``{"Name": str, "Parameters": [str], "FastFailPolicy": {"Action":
  "abort"|"ignore"}}``; the only documented example is ``Name="doc/convert"``,
  ``Parameters=["pages=3"]`` (alibabacloud.com/help/en/imm/developer-reference/api-imm-2020-09-30-createbatch).
- Documented: the output-path variables of IMM's "TargetURI template"
  (alibabacloud.com/help/en/imm/user-guide/targeturi-template): ``{bucket}``, ``{key}``,
  ``{dirname}``, ``{barename}``, ``{basename}``, ``{ext}``, ``{autoext}``, ``{year}`` ... ``{sec}``
  (upload time), ``{t_year}`` ... ``{t_sec}`` (task time), ``{tags.<name>}``; ``{{``/``}}`` escape.
- Documented: ``InputOSS.MatchExpressions`` example ``key prefix (abc)``
  (help.aliyun.com/zh/imm/developer-reference/api-imm-2020-09-30-struct-inputoss).
- UNVERIFIED (our reading, one place): an action's ``Name`` is an OSS processing operation
  (``image/resize``, ``video/convert``, ``audio/convert``, ``video/snapshot`` ...) and its
  ``Parameters`` are that operation's options, as ``k_v`` (the OSS spelling) or ``k=v`` (the
  documented example's spelling); several image actions chain like an OSS image process string
  (``image/resize,w_200/format,webp``); the output travels as the parameter
  ``TargetURI=oss://<bucket>/<template>`` (the request model has no output field; IMM's task APIs
  call their output ``TargetURI``). The grammar of MatchExpressions beyond the documented example
  (``key suffix (x)``, ``key match (regex)``; several expressions: any one matching) is ours too.
"""

from __future__ import annotations

import functools
import posixpath
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog import IMAGE_PREFIX_FAMILIES
from mediaproc.ops.cloudbatch import CloudWork, result_extension
from mediaproc.ops.model import Produces
from mediaproc.ops.oss.encode import encode_op

TARGET_PARAMETER = "TargetURI"  # UNVERIFIED: the parameter naming an action's output (see above)
REFUSED_ACTIONS = frozenset({"doc/convert"})  # documented, but no document engine runs locally

_VARIABLE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_MATCH = re.compile(r"""^\s*(?:key\s+)?(prefix|suffix|match)\s*\(\s*(?:"(.*)"|'(.*)'|(.*?))\s*\)\s*$""", re.I)


class ActionError(ValueError):
    """Actions, a template or a match expression that cannot be read; the message names the fix."""


@dataclass(frozen=True)
class BatchActions:
    """What a list of Actions asks for: one OSS process string and the output template."""

    process: str
    target: str  # oss://bucket/template
    abort_on_failure: bool


def read_actions(actions: Sequence[Mapping[str, Any]]) -> BatchActions:
    """``Actions`` (as the SDK sends them) -> one OSS process string and its TargetURI template."""
    if not actions:
        raise ActionError("Actions must name at least one action.")
    parts: list[str] = []
    target = ""
    abort = False
    image_started = False
    for action in actions:
        if not isinstance(action, Mapping):
            raise ActionError("Each action must be an object with Name and Parameters.")
        name = str(action.get("Name") or "").strip()
        if not name:
            raise ActionError("Each action needs a Name, e.g. image/resize.")
        if name.lower() in REFUSED_ACTIONS:
            raise ActionError(f"{name} is not supported by mediaproc serve (no document engine runs locally).")
        policy = action.get("FastFailPolicy")
        if isinstance(policy, Mapping) and str(policy.get("Action", "")).lower() == "abort":
            abort = True
        options: list[str] = []
        params = action.get("Parameters") or []
        if isinstance(params, str) or not isinstance(params, Sequence):
            raise ActionError(f"Parameters of {name} must be a list of strings.")
        for raw in params:
            token = str(raw).strip()
            key, sep, value = token.partition("=")
            if sep and key.strip().lower() == TARGET_PARAMETER.lower():
                target = value.strip()
                continue
            if sep:
                token = f"{key.strip()}_{value.strip()}"
            if token:
                options.append(token)
        family, _slash, op = name.partition("/")
        if not op:
            raise ActionError(f"The action {name!r} needs the form <family>/<operation>, e.g. image/resize.")
        body = ",".join([op, *options]) if family == "image" and image_started else ",".join([name, *options])
        image_started = image_started or family == "image"
        parts.append(body)
    if not target:
        raise ActionError(
            f"Name the output with the parameter {TARGET_PARAMETER}=oss://<bucket>/<template>, "
            "e.g. TargetURI=oss://b/out/{dirname}/{barename}.{autoext}."
        )
    target_uri(target)  # checked now: a bad template fails the request, not every object
    return BatchActions(process="/".join(parts), target=target, abort_on_failure=abort)


def target_uri(uri: str) -> tuple[str, str]:
    """``oss://bucket/template`` -> (bucket, template)."""
    if not uri.startswith("oss://"):
        raise ActionError(f"{TARGET_PARAMETER} {uri!r} must be oss://<bucket>/<template>.")
    bucket, _sep, template = uri[len("oss://") :].partition("/")
    if not bucket or not template or template.endswith("/"):
        raise ActionError(
            f"{TARGET_PARAMETER} {uri!r} needs a bucket and an object name that does not end with '/' "
            "(the documented rule: outputs overwrite each other otherwise)."
        )
    for m in _VARIABLE.finditer(template):
        name = m.group(1)
        if name and name not in _NAMES and not name.startswith("tags."):
            raise ActionError(f"{TARGET_PARAMETER} uses the unknown variable {{{name}}}.")
    return bucket, template


_TIME_PARTS = {"year": "%Y", "mon": "%m", "day": "%d", "hour": "%H", "min": "%M", "sec": "%S"}
_NAMES = frozenset(
    {"bucket", "key", "dirname", "barename", "basename", "ext", "autoext"}
    | set(_TIME_PARTS)
    | {f"t_{k}" for k in _TIME_PARTS}
)


def expand_target(
    template: str,
    *,
    bucket: str,
    key: str,
    autoext: str,
    uploaded: float,
    now: float | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """The object name a template gives for one source (IMM's TargetURI template variables).

    ``{dirname}`` is the source's folder without a trailing ``/`` (empty at the root; a doubled or
    leading ``/`` that leaves is removed), ``{barename}`` its name without the extension, ``{ext}``
    the source's extension with its dot, ``{autoext}`` the output format's (with its dot; one dot
    when the template already has one before it). Whether the service's ``{ext}`` carries the dot
    is UNVERIFIED: both spellings give one dot here."""
    dirname, basename = posixpath.split(key)
    barename, ext = posixpath.splitext(basename)
    task = time.gmtime(time.time() if now is None else now)
    upload = time.gmtime(uploaded)
    values: dict[str, str] = {
        "bucket": bucket,
        "key": key,
        "dirname": dirname,
        "barename": barename,
        "basename": basename,
        "ext": ext,
        "autoext": f".{autoext}" if autoext else ext,
    }
    for name, fmt in _TIME_PARTS.items():
        values[name] = time.strftime(fmt, upload)
        values[f"t_{name}"] = time.strftime(fmt, task)

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        name = m.group(1)
        if name.startswith("tags."):
            return (tags or {}).get(name[len("tags.") :], "")
        value = values[name]
        if name in ("ext", "autoext") and m.start() > 0 and template[m.start() - 1] == ".":
            value = value[1:]  # "{barename}.{autoext}" and "{barename}{autoext}" both give one dot
        return value

    out = _VARIABLE.sub(one, template)
    return re.sub(r"/{2,}", "/", out).lstrip("/")


def matcher(expressions: Sequence[str]) -> Callable[[str], bool]:
    """A predicate on keys from ``MatchExpressions`` (none: every key). Documented form
    ``key prefix (abc)``; ``key suffix (x)`` and ``key match (regex)`` and the quoted call forms
    ``prefix("x")``/``suffix("x")`` are read too (UNVERIFIED); several expressions: any may match."""
    tests: list[Callable[[str], bool]] = []
    for expr in expressions:
        m = _MATCH.match(str(expr))
        if m is None:
            raise ActionError(
                f"The match expression {expr!r} is not understood; "
                "use e.g. 'key prefix (photos/)' or 'key suffix (.jpg)'."
            )
        kind = m.group(1).lower()
        arg = next(g for g in m.groups()[1:] if g is not None)
        if kind == "prefix":
            tests.append(functools.partial(_has_prefix, arg))
        elif kind == "suffix":
            tests.append(functools.partial(_has_suffix, arg))
        else:
            try:
                rx = re.compile(arg)
            except re.error as exc:
                raise ActionError(f"The match expression {expr!r} has a bad pattern: {exc}.") from None
            tests.append(functools.partial(_searches, rx))
    return functools.partial(_any_of, tuple(tests))


def _has_prefix(prefix: str, key: str) -> bool:
    return key.startswith(prefix)


def _has_suffix(suffix: str, key: str) -> bool:
    return key.endswith(suffix)


def _searches(rx: re.Pattern[str], key: str) -> bool:
    return rx.search(key) is not None


def _any_of(tests: tuple[Callable[[str], bool], ...], key: str) -> bool:
    return not tests or any(t(key) for t in tests)



# -- writing: a chain or a style as Actions (the client) ---------------------------------------------

Action = dict[str, Any]  # {"Name": str, "Parameters": [str, ...]}, the SDK's wire keys
DEFAULT_SERVICE_ROLE = "AliyunIMMBatchTriggerRole"  # CreateBatch: "默认值为 AliyunIMMBatchTriggerRole"
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


def imm_actions(work: CloudWork, out_bucket: str, out_template: str, *, fail_fast: bool = False) -> list[Action]:
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
    if fail_fast:  # documented: FastFailPolicy.Action "abort" stops the batch at the first failure
        for action in actions:
            action["FastFailPolicy"] = {"Action": "abort"}
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

__all__ = [
    "DEFAULT_SERVICE_ROLE",
    "PLANNED_TAG",
    "REFUSED_ACTIONS",
    "TARGET_PARAMETER",
    "Action",
    "ActionError",
    "BatchActions",
    "batch_body",
    "expand_target",
    "imm_actions",
    "match_expressions",
    "matcher",
    "output_template",
    "read_actions",
    "target_uri",
]
