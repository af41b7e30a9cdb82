"""What ``mediaproc serve`` checks before it listens: a root that exists, and an address that
does not expose a store anyone can sign for (the documented test credentials) to the network."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from mediaproc.errors import UsageError
from mediaproc.i18n import _


def check_root(root: Path, *, create: bool) -> Path:
    """The store's folder: it must exist (a typo would otherwise serve an empty new tree), unless
    ``create`` says to make it."""
    path = root.expanduser()
    if path.is_dir():
        return path
    if path.exists():
        raise UsageError(_("--root {root} is not a folder").format(root=root),
                         hint=_("give the folder that holds the buckets (one sub-folder each)"))
    if not create:
        raise UsageError(
            _("--root {root} does not exist").format(root=root),
            hint=_("check the path, or add --create to start with an empty store there"),
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, *, default_credentials: bool) -> str | None:
    """A warning when serve listens beyond this machine (None on loopback)."""
    if is_loopback(host):
        return None
    where = (_("all interfaces") if host.strip("[]") in ("0.0.0.0", "::", "")
             else host)
    if default_credentials:
        return _("listening on {where}: anyone who can reach this port can read and write the store with the "
                 "documented test credentials; keep --host 127.0.0.1, or set --access-key-id and "
                 "--access-key-secret").format(where=where)
    return _("listening on {where}: anyone who can reach this port and holds the key pair can read and write "
             "the store; keep --host 127.0.0.1 unless that is what you want").format(where=where)
