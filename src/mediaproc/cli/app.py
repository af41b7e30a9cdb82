"""The root Typer app: global options, the command tree, and the one place exit codes are decided.

Command modules are imported only for the branch a run needs (``COMMANDS`` maps each top-level name
to its module), so each must stay light at import time (typer and mediaproc's own small modules
only); services, providers and engines are imported inside commands. Convention: a module exposes
``app`` (a command group) and/or ``register(root)`` (top-level commands). ``app`` here, the full tree
(root help, docs, completion scripts), is built on first use.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from mediaproc import __version__
from mediaproc.cli.common import LITERAL_OPTION
from mediaproc.cli.complete import complete_language, complete_profile, complete_provider
from mediaproc.cli.session import guarded
from mediaproc.cli.shell_scripts import install as install_shell_scripts

install_shell_scripts()

APP_SETTINGS: dict = {
    "name": "mediaproc",
    "help": (
        "Process images, video and audio in Alibaba Cloud OSS, Tencent Cloud COS, or on this machine.\n\n"
        "Sources and destinations are local paths, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY. "
        "Operations are written name:key=value,... (e.g. resize:w=600) or as native OSS process strings."
    ),
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}


def _version(value: bool) -> None:
    if value:
        from mediaproc.output import Output

        Output().text(f"mediaproc {__version__}")
        raise typer.Exit()


def main(
    ctx: typer.Context,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            help="local (default), oss or cos. [env: MEDIAPROC_PROVIDER]",
            autocompletion=complete_provider,
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Config profile to use. [env: MEDIAPROC_PROFILE]", autocompletion=complete_profile),
    ] = None,
    region: Annotated[str | None, typer.Option(help="Cloud region, e.g. cn-hangzhou. [env: MEDIAPROC_REGION]")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="Object storage endpoint override. [env: MEDIAPROC_ENDPOINT]")
    ] = None,
    imm_endpoint: Annotated[
        str | None, typer.Option(help="IMM endpoint override (OSS). [env: MEDIAPROC_IMM_ENDPOINT]")
    ] = None,
    bucket: Annotated[
        str | None,
        typer.Option(help="Default bucket, so a bare key can stand alone. [env: MEDIAPROC_BUCKET]"),
    ] = None,
    imm_project: Annotated[str | None, typer.Option(help="IMM project. [env: MEDIAPROC_IMM_PROJECT]")] = None,
    internal: Annotated[
        bool | None, typer.Option("--internal/--public", help="Use the cloud's internal (VPC) endpoint.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only results and errors.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Do not show progress.")] = False,
    timeout: Annotated[
        float | None, typer.Option(help="Async job wait limit in seconds (exit 7). [env: MEDIAPROC_TIMEOUT]")
    ] = None,
    request_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds one network read may wait before the call fails (and is retried if safe). "
                     "[env: MEDIAPROC_REQUEST_TIMEOUT]"),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(help="Message language: en or zh. [env: MEDIAPROC_LANG]", autocompletion=complete_language),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks and SDK logs (never secrets).")] = False,
    literal: Annotated[bool, LITERAL_OPTION] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """The root options: they are also accepted after the subcommand (``cli.globals``)."""
    from mediaproc.cli.globals import apply

    values = {"provider": provider, "profile": profile, "region": region, "endpoint": endpoint,
              "imm_endpoint": imm_endpoint, "bucket": bucket, "imm_project": imm_project, "internal": internal,
              "json_out": json_out, "quiet": quiet, "no_progress": no_progress, "timeout": timeout,
              "request_timeout": request_timeout, "lang": lang, "debug": debug, "literal": literal}
    apply(ctx, values)


# top-level name -> (module, kind): "group" modules expose `app`, "register" modules `register(root)`.
# tests/test_startup.py checks this table against what the modules really register.
COMMANDS: dict[str, tuple[str, str]] = {
    "process": ("process", "register"),
    "ops": ("ops_cmd", "register"),
    "upload": ("objects", "register"),
    "download": ("objects", "register"),
    "ls": ("listing", "register"),
    "rm": ("objects", "register"),
    "sign": ("objects", "register"),
    "cp": ("transfer", "register"),
    "mv": ("transfer", "register"),
    "doctor": ("doctor", "register"),
    "serve": ("serve", "register"),
    "image": ("image", "group"),
    "video": ("video", "group"),
    "audio": ("audio", "group"),
    "hls": ("hls", "group"),
    "imm": ("imm", "group"),
    "cos": ("cos", "group"),
    "job": ("job", "group"),
    "style": ("style", "group"),
    "batch": ("batch", "group"),
    "trigger": ("trigger", "group"),
    "config": ("config_cmd", "group"),
}


def _module(name: str) -> Any:
    from importlib import import_module

    return import_module(f"mediaproc.cli.{name}")


def _new_root() -> typer.Typer:
    root = typer.Typer(**APP_SETTINGS)
    root.callback()(main)
    return root


def _register(root: typer.Typer, names: list[str]) -> None:
    done: set[str] = set()
    for name in names:
        module_name, kind = COMMANDS[name]
        if kind == "group":
            root.add_typer(_module(module_name).app, name=name)
        elif module_name not in done:
            _module(module_name).register(root)
            done.add(module_name)


_full_app: typer.Typer | None = None


def full_app() -> typer.Typer:
    """Every command: root --help, completing command names, docs and the completion scripts."""
    global _full_app
    if _full_app is None:
        _full_app = _new_root()
        _register(_full_app, list(COMMANDS))
    return _full_app


def __getattr__(name: str) -> Any:  # `from mediaproc.cli.app import app` builds the full tree lazily
    if name == "app":
        return full_app()
    raise AttributeError(name)


def build_app(only: str | None = None) -> typer.Typer:
    """The root app with every command, or (``only``) with just the branch one run needs.

    Typer turns the whole tree into click objects on every start, which costs ~1 ms per parameter;
    a run (or a Tab press) needs one branch. Root options and help are the same either way.
    """
    if only is None or only not in COMMANDS:
        return full_app()
    root = _new_root()
    _register(root, [only])
    return root


def _root_value_options() -> set[str]:
    """Root options that take a value (so the scan skips their values), read from ``main``'s signature."""
    import typing

    hints = typing.get_type_hints(main, include_extras=True)
    out: set[str] = set()
    for name, hint in hints.items():
        meta = getattr(hint, "__metadata__", ())
        info = next((m for m in meta if isinstance(m, typer.models.OptionInfo)), None)
        if info is None:
            continue
        base = typing.get_args(hint)[0]
        if base is bool or (typing.get_origin(base) is not None and bool in typing.get_args(base)):
            continue
        # typer.Option("--provider", "-p") in Annotated keeps its first declaration in `default`
        first = [info.default] if isinstance(info.default, str) and info.default.startswith("-") else []
        decls = [d for d in (*first, *(info.param_decls or ())) if d.startswith("-")]
        decls = decls or ["--" + name.replace("_", "-")]
        out.update(decls)
    return out


def subcommand_of(args: list[str]) -> str | None:
    """The first word after the root options: the command this run (or Tab press) is about."""
    takes_value = _root_value_options()
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if word.startswith("-"):
            i += 1 if "=" in word or word not in takes_value else 2
            continue
        return word
    return None


def _words_for(argv: list[str] | None) -> list[str]:
    """The words typed so far: argv, or for a completion request the complete words before the cursor."""
    import os
    import shlex

    var = "_MEDIAPROC_COMPLETE"
    if not os.environ.get(var):
        return list(sys.argv[1:] if argv is None else argv)
    try:
        if "COMP_WORDS" in os.environ:  # bash: the words and the index of the one being completed
            words = shlex.split(os.environ["COMP_WORDS"])
            return words[1 : int(os.environ.get("COMP_CWORD", len(words)))]
        line = os.environ.get("_TYPER_COMPLETE_ARGS", "")  # zsh, fish: the line up to the cursor
        words = shlex.split(line)
        if not line.endswith(" "):
            words = words[:-1]  # the word being completed
        return words[1:]
    except ValueError:  # unbalanced quotes while typing
        return []


_commands: dict[str | None, object] = {}  # click commands built by typer, per branch, once per process


def run(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every outcome into the documented exit code (``session.guarded``).

    Typer handles its own usage errors (exit 2) and ``Exit``; everything mediaproc raises is a
    ``MediaprocError`` carrying its exit code, rendered as one line plus a hint.
    """
    branch = subcommand_of(_words_for(argv))
    if branch not in _commands:
        from mediaproc.cli.examples import add_examples
        from mediaproc.cli.globals import accept_after_subcommand

        built = typer.main.get_command(build_app(branch))
        accept_after_subcommand(built)
        add_examples(built)
        _commands[branch] = built
    command: Any = _commands[branch]
    from mediaproc.i18n import localize

    localize(command, argv)  # the language for this run, and the help text in it
    from mediaproc.errors import ExitCode
    from mediaproc.signals import was_terminated

    words = _words_for(argv)
    usage_errors = _click_exception()

    def body() -> None:
        # Not Typer's standalone mode: a usage error is ours to render (``--json``: one document).
        # The rest ends as standalone mode ends it: typer.Exit and Ctrl-C (Exit(130)) return their
        # code, a closed stdout exits 1 inside typer either way.
        try:
            rv = command.main(args=argv, prog_name="mediaproc", standalone_mode=False)
        except usage_errors as exc:  # raised by click before any command runs
            _usage_error(exc, as_json=_asks_json(words))
            sys.exit(int(getattr(exc, "exit_code", 2)))
        except typer.Abort:
            sys.stderr.write("Aborted!\n")
            sys.exit(1)
        if rv == ExitCode.INTERRUPTED and was_terminated():  # Typer's Exit(130) for a KeyboardInterrupt
            rv = int(ExitCode.TERMINATED)
        sys.exit(rv if isinstance(rv, int) else 0)

    guarded(body, words=words)


def _click_exception() -> type[Exception]:
    """click's ``ClickException``, the base of every usage error (UsageError, NoSuchOption,
    MissingParameter, BadParameter, ...). Recent typer vendors click and exports only BadParameter;
    older typer depends on click itself."""
    from importlib import import_module

    try:
        module = import_module("typer._click.exceptions")
    except ImportError:
        module = import_module("click.exceptions")
    exc: type[Exception] = module.ClickException
    return exc


def _asks_json(words: list[str]) -> bool:
    """``--json`` anywhere on the line (before ``--``): a usage error is then a JSON document too,
    whether or not click got as far as the option."""
    end = words.index("--") if "--" in words else len(words)
    return "--json" in words[:end]


def _usage_error(exc: Any, *, as_json: bool) -> None:
    """A click usage error (an unknown command or flag, a missing argument, a bad value): click's own
    text on stderr; with ``--json`` one line and a hint instead, and ``{"success": false, "error":
    {"code": "usage", ...}}`` on stdout, so ``--json`` output is always one document."""
    if not as_json:
        exc.show()
        return
    from mediaproc.errors import UsageError
    from mediaproc.i18n import _
    from mediaproc.output import Output

    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "mediaproc"
    # A fresh Output: nothing is on stdout yet (click stops before any command runs), and the root
    # callback, which builds this run's Output, may not have run at all.
    Output(json_mode=True).error(UsageError(exc.format_message(), code="usage",
                                            hint=_("see `{command} --help`").format(command=command)))
