"""The options of every processing command, built once and derived from the operation catalogue.

A processing command declares only what is its own (the source, its ``KEY=VALUE`` words, a
``--kind``, concat inputs) and names the operations it runs; :func:`chain_command` appends the
shared options those operations call for, in one fixed order, and hands the command a
:class:`~mediaproc.cli.common.Runner` that carries their values. So the set of options per command
follows from the catalogue (an async operation gets ``--wait``; every command gets the batch
options, since every source may be a folder, glob or prefix) and cannot drift from command to
command. Only the catalogue is imported here, which is pure data: ``--help`` and completion stay light.
"""

from __future__ import annotations

import copy
import functools
import inspect
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

import typer

from mediaproc.cli.common import (
    ConcurrencyOpt,
    DownloadToOpt,
    DryRunOpt,
    ExpiresOpt,
    JsonOpt,
    LiteralOpt,
    MaxSourceSizeOpt,
    QuietOpt,
    Runner,
    SkipExistingOpt,
    StrictOpt,
    TimeoutOpt,
    ToOpt,
    UrlOpt,
    VerifyOpt,
    WaitOpt,
    state,
)
from mediaproc.cli.complete import complete_params, complete_source
from mediaproc.ops.catalog import all_specs, get_spec
from mediaproc.ops.model import Family, Mode, OpSpec, Produces

Command = Callable[..., None]


def _always(spec: OpSpec) -> bool:
    return True


def _one_file(spec: OpSpec) -> bool:
    """A signed URL names one object: operations that write one image or media file."""
    return spec.produces in (Produces.IMAGE, Produces.MEDIA)


def _is_async(spec: OpSpec) -> bool:
    return spec.mode is Mode.ASYNC


def _runs_as_job(spec: OpSpec) -> bool:
    """Async operations, and media operations that write files (the local provider and COS run
    those as jobs too, so a time limit applies to them)."""
    return spec.mode is Mode.ASYNC or (spec.family.is_media and spec.produces is not Produces.JSON)


def _saves_result(spec: OpSpec) -> bool:
    """--download-to fetches a result saved in the bucket: operations that write files."""
    return spec.produces is not Produces.JSON


def _writes_result(spec: OpSpec) -> bool:
    """--verify reads a saved result back: there is none for operations that return JSON."""
    return spec.produces is not Produces.JSON


@dataclass(frozen=True)
class Shared:
    """One shared option: its parameter name (a ``RunOptions`` field, or ``json``/``quiet`` for the
    output), its Typer annotation and default, and which operations call for it."""

    name: str
    annotation: object
    default: object
    applies: Callable[[OpSpec], bool]


# In help order. Batch options apply to every command: any source may be a folder, glob or prefix.
SHARED: tuple[Shared, ...] = (
    Shared("to", ToOpt, None, _always),
    Shared("download_to", DownloadToOpt, None, _saves_result),
    Shared("url", UrlOpt, False, _one_file),
    Shared("expires", ExpiresOpt, 3600, _one_file),
    Shared("wait", WaitOpt, True, _is_async),
    Shared("timeout", TimeoutOpt, None, _runs_as_job),
    Shared("concurrency", ConcurrencyOpt, None, _always),
    Shared("skip_existing", SkipExistingOpt, False, _always),
    Shared("verify", VerifyOpt, False, _writes_result),
    Shared("strict", StrictOpt, False, _writes_result),
    Shared("max_source_size", MaxSourceSizeOpt, None, _always),
    Shared("dry_run", DryRunOpt, False, _always),
    Shared("literal", LiteralOpt, False, _always),
    Shared("json", JsonOpt, False, _always),
    Shared("quiet", QuietOpt, False, _always),
)
OUTPUT_OPTIONS = ("json", "quiet", "literal")  # these set up the Output and Settings; the rest become RunOptions


def shared_options(specs: Iterable[OpSpec]) -> tuple[Shared, ...]:
    """The shared options of a command that runs any of ``specs``."""
    specs = tuple(specs)
    return tuple(s for s in SHARED if any(s.applies(spec) for spec in specs))


def _with_help(annotation: object, text: str) -> object:
    """``annotation`` (``Annotated[T, typer.Option(...)]``) with another help text."""
    base, info, *rest = typing.get_args(annotation)
    info = copy.copy(info)
    info.help = text
    annotated: Any = Annotated  # subscripted at run time with a run-time type, as Typer reads it
    args = (base, info, *rest)
    return annotated[args]


def chain_command(
    *ops: str,
    families: Iterable[Family] | None = None,
    exclude: Collection[str] = (),
    helps: Mapping[str, str] | None = None,
) -> Callable[[Command], Command]:
    """Give a processing command the shared options of the operations it runs, and a ``run``.

    ``ops`` names its operations (one for a media command: ``Runner.op`` then parses its words);
    ``families`` admits every operation of those families (and refuses the others); neither means
    any operation. ``exclude`` names shared options the command does not offer (they mean nothing
    to it, so its help does not list them and a user who gives one gets the usage error of an
    unknown option); ``helps`` replaces the help of some, where the command gives them a narrower
    meaning. The decorated function takes no ``ctx`` and no shared option, but a keyword-only
    ``run: Runner``; Typer sees its own parameters followed by the shared ones."""
    allowed = frozenset(families) if families is not None else None
    if ops:
        specs: tuple[OpSpec, ...] = tuple(get_spec(name) for name in ops)
    else:
        specs = tuple(s for s in all_specs() if allowed is None or s.family in allowed)
    shared = tuple(s for s in shared_options(specs) if s.name not in exclude)
    if helps:
        shared = tuple(replace(s, annotation=_with_help(s.annotation, helps[s.name])) if s.name in helps else s
                       for s in shared)
    op_name = specs[0].name if len(ops) == 1 else None

    def decorate(func: Command) -> Command:
        hints = typing.get_type_hints(func, include_extras=True)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(func).parameters.values()
            if p.name != "run"
        ]
        params = [
            inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
            *own,
            *(inspect.Parameter(s.name, inspect.Parameter.KEYWORD_ONLY, annotation=s.annotation, default=s.default)
              for s in shared),
        ]

        @functools.wraps(func)
        def command(ctx: typer.Context, **kwargs: Any) -> None:
            given = frozenset(name for name in ctx.params if _given(ctx, name))
            values = {s.name: kwargs.pop(s.name) for s in shared}
            st = state(ctx, json=values.pop("json"), quiet=values.pop("quiet"), literal=values.pop("literal"))
            values["to"] = _one_destination(values.get("to"))
            if allowed is not None:
                values["families"] = allowed
            func(**kwargs, run=Runner(st, values, op_name, given))

        # Typer reads the signature and resolves it with get_type_hints: real objects, not strings.
        # ``chain_specs`` lets tests enumerate the processing commands and what they run.
        command.__dict__.update(__signature__=inspect.Signature(params, return_annotation=None), chain_specs=specs)
        command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return command

    return decorate


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the command line (or an environment variable) set parameter ``name``, not its default."""
    source = ctx.get_parameter_source(name)  # a ParameterSource (Typer vendors click: compared by name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _one_destination(given: list[str] | None) -> str | None:
    """One ``--to``: a second one used to replace the first silently; say so instead. The second
    destination of "save, then download" is ``--download-to``."""
    from mediaproc.errors import UsageError
    from mediaproc.i18n import _

    if not given:
        return None
    if len(given) > 1:
        raise UsageError(
            _("--to was given {n} times ({given}); a run has one destination").format(
                n=len(given), given=", ".join(given)),
            hint=_("save in the bucket with --to oss://BUCKET/KEY and add --download-to PATH for a local copy"),
        )
    return given[0]


# -- object options: what an upload sets on the object it creates ----------------------------------

def _opt(*decls: str, help: str, metavar: str | None = None) -> Any:
    return typer.Option(*decls, help=help, metavar=metavar, show_default=False, rich_help_panel="Object options")


# (parameter name, annotation, default), in help order; mediaproc.objectopts.build takes the same names
OBJECT_OPTIONS: tuple[tuple[str, object, object], ...] = (
    ("acl", Annotated[str | None, _opt("--acl", metavar="ACL",
                                       help="Object ACL: default, private, public-read (OSS also public-read-write).")],
     None),
    ("storage_class", Annotated[str | None, _opt(
        "--storage-class", metavar="CLASS", help="Storage class: standard, ia, archive, ... (either cloud's name).")],
     None),
    ("meta", Annotated[list[str] | None, _opt("--meta", metavar="NAME=VALUE",
                                              help="User metadata (x-oss-meta-* / x-cos-meta-*); repeatable.")], None),
    ("content_type", Annotated[str | None, _opt("--content-type", metavar="TYPE", help="Content-Type of the object.")],
     None),
    ("content_disposition", Annotated[str | None, _opt("--content-disposition", metavar="TEXT",
                                                       help="Content-Disposition of the object.")], None),
    ("content_encoding", Annotated[str | None, _opt("--content-encoding", metavar="TEXT",
                                                    help="Content-Encoding of the object.")], None),
    ("content_language", Annotated[str | None, _opt("--content-language", metavar="TEXT",
                                                    help="Content-Language of the object.")], None),
    ("cache_control", Annotated[str | None, _opt("--cache-control", metavar="TEXT",
                                                 help="Cache-Control of the object.")], None),
    ("expires", Annotated[str | None, _opt("--expires-header", metavar="HTTP-DATE",
                                           help="Expires header of the object (an HTTP date).")], None),
    ("content_md5", Annotated[bool, _opt("--content-md5",
                                         help="Send Content-MD5 so the service checks the bytes it received.")], False),
    ("traffic_limit", Annotated[int | None, _opt("--traffic-limit", metavar="BIT/S",
                                                 help="Bandwidth limit of the upload, 819200-838860800 bit/s.")], None),
    ("grant_read", Annotated[str | None, _opt("--grant-read", metavar='id="UIN"',
                                              help='COS: grant read permission (id="OwnerUin").')], None),
    ("grant_full_control", Annotated[str | None, _opt("--grant-full-control", metavar='id="UIN"',
                                                      help="COS: grant full control.")], None),
)


def object_options(func: Command) -> Command:
    """Give a command the object options (one bundle for ``upload`` and ``cos process``): Typer sees
    the command's own parameters followed by them, and the command gets one keyword-only
    ``object_options: ObjectOptions``, checked value by value (the provider's own check comes when
    the destination is known)."""
    hints = typing.get_type_hints(func, include_extras=True)
    own = [p.replace(annotation=hints.get(p.name, p.annotation))
           for p in inspect.signature(func).parameters.values() if p.name != "object_options"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=default)
             for name, ann, default in OBJECT_OPTIONS]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    params = [*own, *extra]

    @functools.wraps(func)
    def command(**kwargs: Any) -> None:
        from mediaproc.objectopts import build

        values = {name: kwargs.pop(name) for name, _ann, _default in OBJECT_OPTIONS}
        values["meta"] = values["meta"] or ()
        func(**kwargs, object_options=build(**values))

    command.__dict__["__signature__"] = inspect.Signature(params, return_annotation=None)
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return command


# -- what the media commands (video, audio, hls) share besides the options -------------------------

SourceArg = Annotated[
    str,
    typer.Argument(help="Local file, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.", autocompletion=complete_source),
]
InputOpt = Annotated[
    list[str] | None, typer.Option("--input", help="Append PATH[,ss=MS][,t=MS] after the source (repeatable).")
]
PreInputOpt = Annotated[
    list[str] | None, typer.Option("--pre-input", help="Prepend PATH[,ss=MS][,t=MS] before the source (repeatable).")
]


def _completer(op_name: str) -> Callable[[typer.Context, str], list[str]]:
    """Complete ``KEY=`` from the operation model, leaving out keys already on the line."""
    base = complete_params(op_name)

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        if "=" in incomplete:
            return base(incomplete)
        words = (ctx.params.get("params") if ctx is not None else None) or []
        given = {w.partition("=")[0] for w in words if "=" in w}
        return [c for c in base(incomplete) if c.rstrip("=") not in given]

    return complete


def params_arg(op_name: str) -> object:
    """The ``KEY=VALUE`` words of one operation, completed from the operation model."""
    return typer.Argument(
        help=f"Parameters as KEY=VALUE words; `mediaproc ops {op_name}` lists them.",
        autocompletion=_completer(op_name),
        show_default=False,
    )


def media_command(app: typer.Typer, name: str, op_name: str, doc: str) -> None:
    """Register ``mediaproc <group> NAME``, the command of one media operation.

    Everything a media command takes follows from the catalogue: the source; the operation's
    ``KEY=VALUE`` words when it has parameters; ``--input``/``--pre-input`` when it joins inputs
    (``spec.joins``); the shared options from :func:`chain_command`. Only the help text is the
    group's own. The signature is built from real objects, which Typer reads as they are."""
    spec = get_spec(op_name)
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("source", positional, annotation=SourceArg)]
    if spec.params:
        words = Annotated[list[str] | None, params_arg(op_name)]
        params.append(inspect.Parameter("params", positional, annotation=words, default=None))
    if spec.joins:
        params += [inspect.Parameter("inputs", positional, annotation=InputOpt, default=None),
                   inspect.Parameter("pre_inputs", positional, annotation=PreInputOpt, default=None)]
    params.append(inspect.Parameter("run", inspect.Parameter.KEYWORD_ONLY, annotation=Runner))

    def command(source: str, params: list[str] | None = None, inputs: list[str] | None = None,
                pre_inputs: list[str] | None = None, *, run: Runner) -> None:
        if spec.params:
            run.op(source, params, inputs=inputs, pre_inputs=pre_inputs)
        else:
            run(source, [op_name])

    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    command.__dict__["__signature__"] = inspect.Signature(params, return_annotation=None)
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    app.command(name)(chain_command(op_name)(command))
