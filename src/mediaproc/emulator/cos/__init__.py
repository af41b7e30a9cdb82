"""The COS + Cloud Infinite front of ``mediaproc serve`` (see ``front.py``)."""

from __future__ import annotations

from mediaproc.emulator.cos.auth import CosCredentials
from mediaproc.emulator.cos.front import CosFront, is_cos_host, make_app

__all__ = ["CosCredentials", "CosFront", "is_cos_host", "make_app"]
