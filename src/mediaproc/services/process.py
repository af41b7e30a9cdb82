"""Run one operation chain: parse, validate, pick the provider, dry-run or execute.

This is the one service behind ``mediaproc process``, ``image process`` and every media command, so
all of them share one validation path and one result shape. Everything is checked before any
network call or file write.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mediaproc.addressing import choose_provider, parse_location
from mediaproc.config import Settings
from mediaproc.errors import InvalidOperation, UsageError
from mediaproc.i18n import _
from mediaproc.ops.model import Chain, Family, Output
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ConcatInput, Location, ProcessRequest
from mediaproc.results import ProcessResult

IMAGE_FAMILIES = frozenset({Family.IMAGE, Family.META, Family.AI})


@dataclass(frozen=True)
class Plan:
    """Everything decided before execution; dry-run renders it, execution runs it."""

    provider: str
    chain: Chain
    request: ProcessRequest
    warnings: tuple[str, ...]


def parse_concat_input(text: str, settings: Settings, position: str = "sur") -> ConcatInput:
    """``PATH[,ss=MS][,t=MS]`` -> ConcatInput. A path containing commas can be quoted by the shell
    only as a whole word, so options are recognised only as trailing ``,ss=``/``,t=`` parts."""
    parts = text.split(",")
    opts: dict[str, int] = {}
    while len(parts) > 1 and "=" in parts[-1]:
        key, _sep, value = parts.pop().partition("=")
        key = key.strip()
        if key not in ("ss", "t"):
            raise UsageError(
                _("unknown option {key!r} in input {text!r}").format(key=key, text=text),
                hint=_("inputs take PATH[,ss=MS][,t=MS]"),
            )
        try:
            opts[key] = int(value)
            if opts[key] < 0:
                raise ValueError
        except ValueError:
            raise UsageError(
                _("{key} must be a whole number of milliseconds in input {text!r}").format(key=key, text=text),
                hint=_("for example --input clip.mp4,ss=1000,t=5000"),
            ) from None
    location = parse_location(",".join(parts), settings, role="source")
    return ConcatInput(location=location, position=position, ss=opts.get("ss"), t=opts.get("t"))


def plan(
    settings: Settings,
    source: str,
    operations: Sequence[str] | Chain,
    *,
    to: str | None = None,
    url: bool = False,
    expires: int = 3600,
    inputs: Sequence[str] = (),
    pre_inputs: Sequence[str] = (),
    wait: bool = True,
    timeout: float | None = None,
    families: frozenset[Family] | None = None,
    notify_topic: str | None = None,
) -> Plan:
    """Validate everything that can be validated without touching the network or the disk."""
    from mediaproc.ops.parse import parse_chain
    from mediaproc.ops.validate import check_backend

    chain = operations if isinstance(operations, Chain) else parse_chain(list(operations))
    if families is not None:
        wrong = [op.name for op in chain if op.spec.family not in families]
        if wrong:
            raise InvalidOperation(
                _("{names} cannot run here").format(names=", ".join(wrong)),
                hint=_("use `mediaproc process` or the matching command group (video, audio, hls)"),
            )
    src = parse_location(source, settings, role="source")
    if url and to:
        raise UsageError(_("--url and --to cannot be used together"), hint=_("choose one destination"))
    dest: Location | None
    if url:
        dest = Location(scheme="url")
    elif to:
        dest = parse_location(to, settings, role="destination")
    else:
        dest = None
    provider = choose_provider(src, dest, settings)
    warnings = [p.message for p in check_backend(chain, provider)]
    _check_destination(chain, dest, provider)
    extra = tuple(parse_concat_input(t, settings, "pre") for t in pre_inputs)
    extra += tuple(parse_concat_input(t, settings, "sur") for t in inputs)
    if extra and not any(op.name in ("video/concat", "audio/concat") for op in chain):
        raise UsageError(
            _("--input only applies to video/concat and audio/concat"),
            hint=_("remove --input, or use `mediaproc video concat`"),
        )
    request = ProcessRequest(
        source=src,
        chain=chain,
        destination=dest,
        inputs=extra,
        wait=wait,
        timeout=timeout if timeout is not None else settings.wait_timeout,
        expires=expires,
        notify_topic=notify_topic,
    )
    return Plan(provider=provider, chain=chain, request=request, warnings=tuple(warnings))


def _check_destination(chain: Chain, dest: Location | None, provider: str) -> None:
    kind = chain.output
    if kind is Output.JSON:
        if dest is not None and dest.scheme == "url":
            raise UsageError(
                _("{name} returns JSON, not a file: --url does not apply").format(name=chain[-1].name),
                hint=_("drop --url; use --json to get the document"),
            )
        return
    if dest is None:
        raise UsageError(
            _("{name} writes a result, but no destination was given").format(name=chain[-1].name),
            hint=_("add --to FILE (or --to oss://BUCKET/KEY to save in the bucket, or --url)"),
        )
    if dest.scheme == "url" and provider == "local":
        raise UsageError(
            _("--url needs a cloud provider: the local provider has nothing to sign"),
            hint=_("use --to FILE, or process an oss:// or cos:// object"),
        )
    if dest.is_local and dest.path is not None and kind is not Output.FILES:
        parent = dest.path.resolve().parent
        if not parent.is_dir():
            raise UsageError(
                _("the destination folder {folder} does not exist").format(folder=parent),
                hint=_("create it first (mkdir -p {folder})").format(folder=parent),
            )
        if dest.path.is_dir():
            raise UsageError(
                _("the destination {path} is a folder").format(path=dest.path),
                hint=_("name the output file, e.g. --to {path}/result.jpg").format(path=dest.path),
            )


def execute(settings: Settings, the_plan: Plan, progress: ProgressCallback | None = None) -> ProcessResult:
    from mediaproc.providers import get_provider

    provider = get_provider(the_plan.provider, settings)
    started = time.monotonic()
    try:
        result = provider.process(the_plan.request, progress)
    finally:
        provider.close()
    changes: dict[str, object] = {"provider": the_plan.provider}
    if result.elapsed_seconds is None:
        changes["elapsed_seconds"] = round(time.monotonic() - started, 3)
    if the_plan.warnings:
        changes["warnings"] = (*the_plan.warnings, *result.warnings)
    return replace(result, **changes)


def dry_run(settings: Settings, the_plan: Plan) -> ProcessResult:
    from mediaproc.services.dryrun import describe

    data = describe(settings, the_plan)
    return ProcessResult(
        success=True,
        mode="dry-run",
        source=str(the_plan.request.source),
        target=str(the_plan.request.destination) if the_plan.request.destination else None,
        operations=data.get("process"),
        provider=the_plan.provider,
        data=data,
        warnings=the_plan.warnings,
    )
