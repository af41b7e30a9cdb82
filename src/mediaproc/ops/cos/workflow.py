"""Cloud Infinite media workflows read for ``mediaproc serve``: the topology, the Start node's filter,
the output variables, and a template's body as a job's operation node. Pure (no I/O).

Documented (tencentcloud.com/document/product/436/48037 "CreateMediaWorkflow", the SDK's
``ci_create_workflow``; ``../shared/CLOUD-BATCH.md`` §2.3):

- ``Topology/Dependencies``: one element per node naming its successors, comma-separated, ``Start``
  first and ``End`` last; ``Topology/Nodes``: exactly one ``Start`` (``Input/ObjectPrefix``,
  ``ExtFilter``), other nodes named ``<Type>_<suffix>`` with ``Type`` and ``Operation``
  (``TemplateId``, ``Output{Region,Bucket,Object}``); a node after another works on that node's
  outputs (Transcode -> Snapshot -> PicProcess).
- ExtFilter: ``State`` On/Off, ``Video``/``Audio``/``Image``/``AllFile``/``Custom`` true/false,
  ``CustomExts`` up to 10 extensions separated by ``/``.
- Output variables: ``${InputPath}`` (the folder, without the name), ``${InputName}`` (the name
  without its extension), ``${InputNameAndExt}``, ``${RunId}``, ``${Ext}``, ``${Jobid}``,
  ``${Number}`` (from 0; Snapshot/SmartCover/Segment only); ``${InventoryTriggerJobId}`` in a batch
  job's output.

UNVERIFIED, ours: the extension lists behind ``Video``/``Audio``/``Image`` (:data:`EXT_GROUPS`);
whether ``${InputPath}`` ends with ``/`` (here: it does, unless empty, so ``${InputPath}x`` and
``${InputPath}/x`` both give one ``/``); ``ContentType`` filters nothing here; a node may carry its
operation inline (``Operation/Transcode/...``, the shape of a media job, as the documented
``Segment`` node does) instead of a ``TemplateId``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _

RUNNABLE_NODES = ("Transcode", "Snapshot", "Animation", "PicProcess")  # what serve's engine runs
MAX_CUSTOM_EXTS = 10

EXT_GROUPS: Mapping[str, frozenset[str]] = {  # UNVERIFIED: the documentation does not list them
    "Video": frozenset(
        {"mp4", "mov", "m4v", "mkv", "webm", "flv", "avi", "wmv", "ts", "mts", "m2ts", "mpg", "mpeg", "3gp", "asf"}
    ),
    "Audio": frozenset({"mp3", "aac", "m4a", "wav", "flac", "ogg", "oga", "opus", "amr", "wma", "ac3"}),
    "Image": frozenset({"jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff", "heic", "heif", "avif"}),
}
_VARIABLE = re.compile(r"\$\{([A-Za-z]+)\}")


@dataclass(frozen=True)
class Node:
    """One node after Start: its name, type, ``Operation`` and the nodes that follow it."""

    name: str
    type: str
    operation: Mapping[str, Any]
    successors: tuple[str, ...]


@dataclass(frozen=True)
class Topology:
    prefix: str
    accepts: Callable[[str], bool]  # the Start node's ExtFilter on keys
    first: tuple[str, ...]  # the nodes Start leads to
    nodes: Mapping[str, Node]


def _bad(message: str) -> InvalidOperation:
    return InvalidOperation(message, hint=_("see CreateMediaWorkflow: Topology/Dependencies and Topology/Nodes"))


def _successors(value: Any) -> tuple[str, ...]:
    text = value if isinstance(value, str) else ""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def read_topology(topology: Any) -> Topology:
    """A workflow's ``Topology`` (as the SDK sends it, parsed) -> the nodes serve walks."""
    if not isinstance(topology, Mapping):
        raise _bad(_("the workflow needs a Topology"))
    deps = topology.get("Dependencies")
    nodes = topology.get("Nodes")
    if not isinstance(deps, Mapping) or not isinstance(nodes, Mapping):
        raise _bad(_("the Topology needs Dependencies and Nodes"))
    start = nodes.get("Start")
    if not isinstance(start, Mapping) or "Start" not in deps:
        raise _bad(_("the Topology needs a Start node and its Dependencies"))
    start_input = start.get("Input")
    if not isinstance(start_input, Mapping) or not isinstance(start_input.get("ObjectPrefix"), str):
        raise _bad(_("the Start node needs Input/ObjectPrefix"))
    walked: dict[str, Node] = {}
    for name, node in nodes.items():
        if name == "Start":
            continue
        if not isinstance(node, Mapping):
            raise _bad(_("the node {name} is empty").format(name=name))
        kind = str(node.get("Type") or "")
        if not kind or not name.startswith(kind + "_"):
            raise _bad(_("the node {name} must be named <Type>_<suffix> after its Type").format(name=name))
        operation = node.get("Operation")
        walked[name] = Node(
            name, kind, operation if isinstance(operation, Mapping) else {}, _successors(deps.get(name))
        )
    first = _successors(deps.get("Start"))
    for name in (*first, *(s for n in walked.values() for s in n.successors)):
        if name != "End" and name not in walked:
            raise _bad(_("the Dependencies name {name}, which is not a node").format(name=name))
    if not first:
        raise _bad(_("Start leads to no node"))
    return Topology(
        prefix=str(start_input["ObjectPrefix"]),
        accepts=ext_filter(start_input.get("ExtFilter")),
        first=first,
        nodes=walked,
    )


def _on(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("true", "on")


def ext_filter(spec: Any) -> Callable[[str], bool]:
    """The Start node's ``ExtFilter`` as a predicate on keys (absent or ``State`` Off: every key)."""
    if not isinstance(spec, Mapping) or not _on(spec.get("State")) or _on(spec.get("AllFile")):
        return _every
    exts: set[str] = set()
    for group, members in EXT_GROUPS.items():
        if _on(spec.get(group)):
            exts |= members
    if _on(spec.get("Custom")):
        custom = [e.strip().lstrip(".").lower() for e in str(spec.get("CustomExts") or "").split("/") if e.strip()]
        if not custom or len(custom) > MAX_CUSTOM_EXTS:
            raise _bad(_("ExtFilter/CustomExts needs 1 to 10 extensions separated by '/'"))
        exts |= set(custom)
    frozen = frozenset(exts)
    return lambda key: posixpath.splitext(key)[1].lstrip(".").lower() in frozen


def _every(_key: str) -> bool:
    return True


def expand_output(template: str, *, key: str, run_id: str, ext: str, job_id: str = "") -> str:
    """An output ``Object`` with the workflow variables of one source filled in; ``${Number}`` (any
    case) is left as ``${Number}`` for whoever numbers the outputs."""
    folder, name = posixpath.split(key)
    values = {
        "inputpath": f"{folder}/" if folder else "",
        "inputname": posixpath.splitext(name)[0],
        "inputnameandext": name,
        "runid": run_id,
        "ext": ext,
        "jobid": job_id,
        "inventorytriggerjobid": job_id,
        "number": "${Number}",
    }

    def one(m: re.Match[str]) -> str:
        return values.get(m.group(1).lower(), m.group(0))

    return re.sub(r"/{2,}", "/", _VARIABLE.sub(one, template)).lstrip("/")


def template_node(tag: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A media template's body (``POST /template``) as the operation node a job of ``tag`` carries:
    a Snapshot or PicProcess template holds it in a child named like the tag, a Transcode or
    Animation template at its top level (``Container``, ``Video``, ``Audio`` ...)."""
    inner = body.get(tag)
    if isinstance(inner, Mapping):
        return dict(inner)
    return {k: v for k, v in body.items() if k not in ("Tag", "Name")}


__all__ = [
    "EXT_GROUPS",
    "RUNNABLE_NODES",
    "Node",
    "Topology",
    "expand_output",
    "ext_filter",
    "read_topology",
    "template_node",
]
