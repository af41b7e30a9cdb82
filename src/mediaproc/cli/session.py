"""The part of a CLI run that needs no Typer: the state the root options set up, command-level
``--json``/``--quiet`` on top of it, running a chain and rendering it, and turning every outcome
into its exit code.

Why a module of its own: two entry paths share it, the Typer app (``cli/app.py``, ``cli/common.py``)
and the plain one-shot path (``cli/fast.py``), which parses a plain ``process`` before Typer is
imported (Typer's start: ~50 ms, half a thumbnail). Whatever either path does after
parsing lives here once, so the two cannot drift (``tests/cli/test_fast_path.py`` compares them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

from mediaproc import TYPE_CHECKING
from mediaproc.record import Record

if TYPE_CHECKING:  # imported for real only when a command runs: completion never needs them
    from typing import Any

    from mediaproc.config import Settings
    from mediaproc.output import Output


class AppState(Record, frozen=False):
    """The resolved settings and the one Output of this run."""

    settings: Settings
    output: Output


_current: AppState | None = None


def set_current(state: AppState) -> None:
    global _current
    _current = state
    lang = getattr(state.settings, "lang", None)
    if lang:  # --lang / MEDIAPROC_LANG / a profile's lang, once settings are resolved
        from mediaproc.errors import ConfigError
        from mediaproc.i18n import LANGUAGES, _, normalize, set_language

        if normalize(lang) is None:
            raise ConfigError(
                _("unsupported language {lang!r}").format(lang=lang),
                hint=_("use one of: {languages}").format(languages=", ".join(LANGUAGES)),
            )
        set_language(lang)


def current() -> AppState | None:
    return _current


def root_flags(values: Mapping[str, Any]) -> dict[str, Any]:
    """The root options' values (``cli.app.main``'s parameter names) as the settings' flags
    (``config.resolve_settings``; None = not given)."""
    return {
        "provider": values.get("provider"),
        "profile": values.get("profile"),
        "region": values.get("region"),
        "endpoint": values.get("endpoint"),
        "imm_endpoint": values.get("imm_endpoint"),
        "bucket": values.get("bucket"),
        "imm_project": values.get("imm_project"),
        "internal": values.get("internal"),
        "output": "json" if values.get("json_out") else None,
        "timeout": values.get("timeout"),
        "request_timeout": values.get("request_timeout"),
        "lang": values.get("lang"),
        "quiet": values.get("quiet") or None,
        "progress": False if values.get("no_progress") else None,
        "debug": values.get("debug") or None,
        "literal": values.get("literal") or None,
    }


def start(values: Mapping[str, Any], *, existing: AppState | None = None, repairs_config: bool = False) -> AppState:
    """What the root options set up: the settings (from ``values``, the root options by parameter
    name) and the one Output; ``existing`` is updated in place when a command is given global options
    after its name. The Output's mode is set before the settings are resolved, so that an error
    resolving them is rendered in the mode asked for. ``repairs_config``: a command that fixes the
    configuration (``mediaproc config``) runs on the flags alone when the configuration is broken."""
    from pathlib import Path

    from mediaproc.config import NO_SUCH_PROFILE, resolve_settings
    from mediaproc.errors import ConfigError
    from mediaproc.output import Output

    json_out, quiet = bool(values.get("json_out")), bool(values.get("quiet"))
    output = existing.output if existing is not None else Output()
    output.json_mode, output.quiet = json_out, quiet
    output.progress_enabled, output.debug = not values.get("no_progress"), bool(values.get("debug"))
    if existing is None:
        unresolved: Any = None  # until the settings resolve: an error doing so is rendered by this Output
        set_current(AppState(settings=unresolved, output=output))
    try:
        settings = resolve_settings(root_flags(values))
    except ConfigError as exc:
        if not repairs_config:
            raise
        # on the flags alone: without the profile they select, which may be the broken part (or one
        # `config set` is about to create)
        settings = resolve_settings({**root_flags(values), "profile": None}, env={}, config_file=Path(os.devnull))
        if exc.code != NO_SUCH_PROFILE:  # a profile not there yet is `config set`'s to create, `show`'s to refuse
            output.warn(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
    output.json_mode = settings.json
    output.quiet = settings.quiet
    state = existing or AppState(settings=settings, output=output)
    state.settings = settings
    set_current(state)
    return state


def with_command_flags(st: AppState, *, json: bool, quiet: bool, literal: bool = False) -> AppState:
    """A command's own ``--json``/``--quiet``/``--literal`` on top of the root's."""
    if json and not st.settings.json:
        st.settings = st.settings.with_(output="json")
        st.output.json_mode = True
    if quiet and not st.settings.quiet:
        st.settings = st.settings.with_(quiet=True)
        st.output.quiet = True
    if literal and not st.settings.literal:
        st.settings = st.settings.with_(literal=True)
    return st


def run_and_render(
    st: AppState,
    values: Mapping[str, Any],
    source: str,
    operations: Sequence[str],
    *,
    inputs: Sequence[str] | None = None,
    pre_inputs: Sequence[str] | None = None,
    label: str | None = None,
) -> None:
    """Run the chain (one source, a batch, or a dry-run), render the outcome, then fail if it failed.

    ``values`` are ``RunOptions`` fields by name (what the command's options said)."""
    from mediaproc.services.process import RunOptions
    from mediaproc.services.run import run_chain

    changes: dict[str, Any] = {"inputs": tuple(inputs or ()), "pre_inputs": tuple(pre_inputs or ())}
    if label is not None:
        changes["label"] = label
    if values.get("to") == "-":  # the result's bytes on stdout, everything else on stderr
        st.output.claim_stdout()
    outcome = run_chain(st.settings, source, operations, RunOptions(**{**values, **changes}), st.output.progress,
                        st.output.batch_report, stdout=st.output.write_file)
    st.output.outcome(outcome)
    if outcome.error is not None:
        raise outcome.error


def run_op(
    st: AppState,
    values: Mapping[str, Any],
    op_name: str,
    source: str,
    params: Sequence[str] | None,
    *,
    inputs: Sequence[str] | None = None,
    pre_inputs: Sequence[str] | None = None,
) -> None:
    """A media command: validate its ``KEY=VALUE`` words against its one operation, then run it."""
    from mediaproc.ops.parse import format_op, parse_op

    op = parse_op(op_name, list(params or []), destination=values.get("to"))
    run_and_render(st, values, source, [format_op(op)], inputs=inputs, pre_inputs=pre_inputs, label=op_name)


def resume_command(words: Sequence[str], flag: str) -> str:
    """The command that resumes an interrupted batch: the same words, plus ``flag`` (if any) unless
    given, quoted for a POSIX shell so that it works as printed."""
    import shlex

    return shlex.join(["mediaproc", *words, *([flag] if flag and flag not in words else [])])


def guarded(body: Callable[[], None], *, words: Sequence[str]) -> None:
    """Run ``body`` and turn every outcome into the documented exit code (see errors.py).

    Everything mediaproc raises is a ``MediaprocError`` carrying its exit code, rendered as one
    line plus a hint (an interrupted batch's with the command that resumes it: ``words`` are the
    command line's); anything else is a bug: one line, and the traceback only with --debug."""
    from mediaproc.errors import BatchInterrupted, ExitCode, Interrupted, MediaprocError

    def output() -> Output:  # imported only on the error path: a Tab press never needs it
        from mediaproc.output import Output

        st = current()
        return st.output if st is not None and st.output is not None else Output()

    from mediaproc.signals import Terminated, terminate_as_interrupt

    terminate_as_interrupt()  # kill / timeout / a cancelled CI job clean up as Ctrl-C does
    try:
        body()
    except MediaprocError as exc:
        if isinstance(exc, BatchInterrupted) and exc.resume_flag is not None:
            exc.resume_command = resume_command(words, exc.resume_flag)
        output().error(exc)
        sys.exit(int(ExitCode.TERMINATED) if isinstance(exc.__context__, Terminated) else int(exc.exit_code))
    except KeyboardInterrupt as exc:
        from mediaproc.i18n import _

        output().error(Interrupted(_("interrupted")))
        sys.exit(int(ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED))
    except BrokenPipeError:
        sys.exit(int(ExitCode.OK))
    except Exception as exc:
        from mediaproc.errors import system_error

        if (known := system_error(exc)) is not None:  # a full or read-only disk: not a bug
            output().error(known)
            sys.exit(int(known.exit_code))
        output().unexpected(exc)
        sys.exit(int(ExitCode.UNEXPECTED))
