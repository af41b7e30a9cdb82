"""Every outcome of a run -> its documented exit code (errors.py), in one place for both entry paths
(``cli.app.run`` through Typer, ``cli.fast`` without it). Nothing here imports Typer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mediaproc.cli.state import AppState
    from mediaproc.output import Output


def resume_command(words: list[str], flag: str) -> str:
    """The command that resumes an interrupted batch: the same words, plus ``flag`` (if any) unless
    given, quoted for a POSIX shell so that it works as printed."""
    import shlex

    return shlex.join(["mediaproc", *words, *([flag] if flag and flag not in words else [])])


@contextmanager
def exit_codes(current: Callable[[], AppState | None], *, words: list[str] | None = None) -> Iterator[None]:
    """Run the block; a mediaproc error is one line and a hint (a JSON document with ``--json``) and
    its exit code, Ctrl-C is 130, a closed pipe is a quiet 0, anything else a bug (exit 1, the
    traceback only with ``--debug``). ``current`` gives the run's state, whose Output renders;
    ``words`` (the command line) make an interrupted batch's resume command."""
    from mediaproc.errors import BatchInterrupted, ExitCode, Interrupted, MediaprocError

    def output() -> Output:  # imported only on the error path
        from mediaproc.output import Output

        st = current()
        return st.output if st is not None and st.output is not None else Output()

    try:
        yield
    except MediaprocError as exc:
        if isinstance(exc, BatchInterrupted) and exc.resume_flag is not None and words is not None:
            exc.resume_command = resume_command(words, exc.resume_flag)
        output().error(exc)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        from mediaproc.i18n import _

        output().error(Interrupted(_("interrupted")))
        sys.exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:
        sys.exit(int(ExitCode.OK))
    except Exception as exc:  # a bug: one line, and the traceback only with --debug
        output().unexpected(exc)
        sys.exit(int(ExitCode.UNEXPECTED))
