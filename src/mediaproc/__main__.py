"""Entry point for ``python -m mediaproc`` and the ``mediaproc`` console script."""

from __future__ import annotations

import sys


def main() -> None:
    # The language is decided before the CLI modules are imported, so anything they translate
    # at import time is already in the user's language (see mediaproc.i18n).
    from mediaproc.i18n import activate

    activate(sys.argv[1:])
    from mediaproc.cli.fast import try_run

    if try_run(sys.argv[1:]):  # a plain one-shot line: run without importing Typer (cli/fast.py)
        return
    from mediaproc.cli.fast_ls import run_ls

    if run_ls(sys.argv[1:]):  # a plain `ls`, the same way (cli/fast_ls.py)
        return
    from mediaproc.cli.app import run

    run()


if __name__ == "__main__":
    main()
