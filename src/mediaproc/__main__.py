"""Entry point for ``python -m mediaproc`` and the ``mediaproc`` console script."""

from __future__ import annotations


def main() -> None:
    from mediaproc.cli.app import run

    run()


if __name__ == "__main__":
    main()
