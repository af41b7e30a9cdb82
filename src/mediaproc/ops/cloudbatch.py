"""What a chain or a style is when a cloud's own engine runs it over many objects (IMM Batch/Trigger,
COS workflows and inventory-trigger jobs): the work, what such an engine cannot express, the name a
result gets, and the one guard against a trigger that feeds itself.

Shared by the IMM mapping (:mod:`mediaproc.ops.oss.batch_actions`) and the COS one
(:mod:`mediaproc.ops.cos.workflow_nodes`) so that both refuse the same chains with the same words.
Facts: ``/work/shared/CLOUD-BATCH.md`` (§1.6 recursion, §1.7 actions, §2.3 nodes). Pure: no I/O.

Refused, because a cloud batch writes one result file per object and nothing else comes back:
operations that answer with JSON (``info``, detection, ``blindwatermark-extract``: their answers would
be lost), and operations that join extra inputs (``concat``: the same extra inputs for every object
is not what a batch means, and neither engine documents it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from mediaproc.errors import InvalidOperation, UsageError
from mediaproc.i18n import _
from mediaproc.ops.model import Chain, Family, Produces
from mediaproc.ops.styles import PREFIX

__all__ = [
    "STYLE_PREFIX",
    "CloudWork",
    "check_not_self_feeding",
    "parse_work",
    "result_extension",
    "split_source",
]

STYLE_PREFIX = PREFIX  # style/NAME (mediaproc.ops.styles)


@dataclass(frozen=True)
class CloudWork:
    """A chain, or a bucket style named ``style/NAME`` (passed through by name: mediaproc does not
    read the style's contents here, so it cannot check or rename its output format)."""

    chain: Chain | None = None
    style: str | None = None

    @property
    def label(self) -> str:
        if self.style is not None:
            return STYLE_PREFIX + self.style
        assert self.chain is not None
        return " ".join(op.name for op in self.chain)


def parse_work(words: Sequence[str]) -> CloudWork:
    """The operations words (as ``process`` takes them), or one ``style/NAME``, checked for a cloud batch."""
    from mediaproc.ops.parse import parse_chain
    from mediaproc.ops.styles import sole_style

    chain = parse_chain(list(words))  # style/NAME is read by mediaproc.ops.styles, as everywhere
    name = sole_style(chain)
    if name is not None:
        return CloudWork(style=name)
    refuse_for_cloud(chain)
    return CloudWork(chain=chain)


def refuse_for_cloud(chain: Chain) -> None:
    """Exit 2, naming the operation, for what a cloud batch cannot express (module docstring)."""
    for op in chain:
        if op.spec.joins:
            raise InvalidOperation(
                _("{name} cannot run as a cloud batch: it joins extra inputs to each object").format(name=op.name),
                hint=_("run it client-side, object by object, with `mediaproc process`"),
                details={"operation": op.name},
            )
    if chain.produces is Produces.JSON:
        name = chain[-1].name
        raise InvalidOperation(
            _("{name} cannot run as a cloud batch: it answers with JSON, and a cloud batch only writes files").format(
                name=name),
            hint=_("run it client-side: `mediaproc process 'PREFIX/*' {name} --json`").format(name=name),
            details={"operation": name},
        )


def result_extension(work: CloudWork) -> str | None:
    """The extension (without the dot) a result is named with, or None when the source's is kept
    (an image chain without ``format``, a style) or the engine numbers the files itself (snapshots)."""
    if work.chain is None:
        return None
    chain = work.chain
    if chain.family in (Family.VIDEO, Family.AUDIO, Family.HLS):
        if chain.produces is Produces.FILES:
            return None
        fmt = chain[-1].get("f")
        if chain[-1].name == "hls/m3u8":
            return "m3u8"
        return str(fmt) if fmt else None
    target = next((op.get("target") for op in reversed(chain.ops) if op.name == "format"), None)
    return str(target) if target else None


def split_source(key: str) -> tuple[str, str | None]:
    """``photos/`` -> (``photos/``, None); ``photos/*.jpg`` -> (``photos/``, ``jpg``): a cloud batch
    takes a prefix and at most a suffix filter, which is what both engines can express (COS
    ``ExtFilter``; IMM only through match expressions, see :mod:`mediaproc.ops.oss.batch_actions`)."""
    if not any(c in key for c in "*?["):
        return (key if key.endswith("/") or not key else key + "/"), None
    prefix, _sep, pattern = key.rpartition("/")
    prefix = prefix + "/" if prefix else ""
    if any(c in prefix for c in "*?[") or not pattern.startswith("*.") or any(c in pattern[2:] for c in "*?[./"):
        raise UsageError(
            _("a cloud batch takes a prefix and at most one extension: {key!r}").format(key=key),
            hint=_("write PREFIX/ or PREFIX/*.EXT (e.g. oss://bucket/photos/*.jpg)"),
        )
    return prefix, pattern[2:].lower()


def check_not_self_feeding(
    scheme: str, in_bucket: str, in_prefix: str, out_bucket: str, out_key: str, *, what: str
) -> None:
    """Refuse (exit 2) an output under the input prefix of the same bucket: a trigger or workflow
    would fire on its own results forever, and a batch may pick them up. Alibaba documents the rule
    ("the input path must not be a prefix of the output path", OSS batch processing and triggers
    pages); for COS it is UNVERIFIED whether outputs re-trigger a workflow, so it is assumed they do."""
    if in_bucket != out_bucket:
        return
    out_dir = str(PurePosixPath(out_key).parent) + "/" if "/" in out_key else ""
    if out_key.startswith(in_prefix) or (out_dir and out_dir.startswith(in_prefix)):
        raise UsageError(
            _("the {what}'s output {out!r} lies under its input prefix {prefix!r}: it would process its own "
              "results").format(what=what, out=out_key, prefix=in_prefix or "/"),
            hint=_("write the results under another prefix (e.g. --to {root}processed/), or add --force").format(
                root=f"{scheme}://{out_bucket}/"),
            code="SelfFeeding",
        )
