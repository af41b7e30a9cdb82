"""``mediaproc trigger``: the group lives beside ``batch`` in :mod:`mediaproc.cli.batch` (they share their
options and rendering); this module gives it its own entry in the command table."""

from __future__ import annotations

from mediaproc.cli.batch import trigger_app as app

__all__ = ["app"]
