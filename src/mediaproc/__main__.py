"""Entry point for ``python -m mediaproc`` and the ``mediaproc`` console script."""

from __future__ import annotations

import sys


def main() -> None:
    # The language is decided before the CLI modules are imported, so anything they translate
    # at import time is already in the user's language (see mediaproc.i18n).
    from mediaproc.i18n import activate

    activate(sys.argv[1:])
    from mediaproc.cli.fast import run_ls

    if run_ls(sys.argv[1:]):  # a plain `ls`, without Typer's start-up (see cli.fast)
        return
    from mediaproc.cli.app import run

    run()


if __name__ == "__main__":
    main()
