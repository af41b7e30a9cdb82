"""Shell-completion callbacks. They run on every Tab press: pure Python, no engine, no SDK."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mediaproc.ops.model import OpSpec


def complete_provider(incomplete: str) -> Iterator[str]:
    from mediaproc.names import PROVIDER_NAMES

    return (p for p in PROVIDER_NAMES if p.startswith(incomplete))


def complete_language(incomplete: str) -> Iterator[str]:
    from mediaproc.i18n import LANGUAGES

    return (lang for lang in LANGUAGES if lang.startswith(incomplete))


def complete_profile(incomplete: str) -> Iterator[str]:
    from mediaproc.config import profile_names

    return (p for p in profile_names() if p.startswith(incomplete))


def _root_params(ctx: object) -> dict:
    node = ctx
    while getattr(node, "parent", None) is not None:
        node = node.parent  # type: ignore[attr-defined]
    return dict(getattr(node, "params", {}) or {})


def style_names(ctx: object) -> list[str]:
    """The style names of the bucket the command line names (``--in``, ``--provider``, ``--bucket``),
    from a short-lived cache; a miss lists them, waiting a moment at most (services/styles.py)."""
    try:
        from mediaproc.config import resolve_settings
        from mediaproc.services.styles import cached_names

        flags = {k: v for k, v in _root_params(ctx).items() if k in ("provider", "bucket", "region", "endpoint",
                                                                       "profile")}
        where = (getattr(ctx, "params", None) or {}).get("where")
        return cached_names(resolve_settings(flags), where)
    except Exception:  # a Tab press never fails
        return []


def complete_style(ctx: object, incomplete: str) -> list[str]:
    """Style names (``style get|rm NAME``)."""
    return [n for n in style_names(ctx) if n.startswith(incomplete)]


def complete_operation(incomplete: str, ctx: object = None) -> list[str]:
    """``res`` -> ``resize:``; ``resize:w=6,`` -> the op's other keys; ``video/`` -> video ops;
    ``style/`` -> the bucket's style names."""
    from mediaproc.ops.catalog import all_specs, get_spec

    chain = getattr(getattr(ctx, "command", None), "name", "") != "ops"  # `ops NAME` takes a name, not a chain
    if chain and incomplete.startswith("style/"):
        return [f"style/{n}" for n in style_names(ctx) if f"style/{n}".startswith(incomplete)]
    if ":" not in incomplete:
        out = ["style/"] if chain and incomplete and "style/".startswith(incomplete) else []
        for spec in all_specs():
            if spec.name.startswith(incomplete):
                out.append(spec.name + (":" if spec.params else ""))
        return out
    name, _sep, rest = incomplete.partition(":")
    try:
        spec = get_spec(name)
    except Exception:
        return []
    done, _comma, current = rest.rpartition(",")
    given = {part.split("=", 1)[0] for part in done.split(",") if part}
    head = f"{name}:{done}{',' if done else ''}"
    return [head + word for word in complete_word(spec, current, given)]


def complete_word(spec: OpSpec, word: str, given: Collection[str] = ()) -> list[str]:
    """One ``KEY=VALUE`` word of ``spec``: its keys (less those ``given``), or a key's choices."""
    if "=" in word:
        key, _eq, value = word.partition("=")
        param = spec.param(key)
        if param is None or not param.choices:
            return []
        return [f"{key}={c}" for c in param.choices if c.startswith(value)]
    return [f"{p.key}=" for p in spec.params if p.key.startswith(word) and p.key not in given]


def complete_params(op_name: str):
    """A completer for the ``KEY=VALUE`` words of media commands (``video convert SRC f=mp4 ...``)."""

    def complete(incomplete: str) -> list[str]:
        from mediaproc.ops.catalog import get_spec

        return complete_word(get_spec(op_name), incomplete)

    return complete


MAX_PATH_COMPLETIONS = 200


def complete_source(ctx: object, incomplete: str) -> list[str]:
    """Local paths, or, for the local provider with a bucket folder, object keys under that folder.

    Cloud URIs are not listed: a Tab press never waits on the network. fish's script asks for no file
    completion of its own, so paths come from here for every shell.
    """
    import os
    from pathlib import Path

    if "://" in incomplete:
        return []
    root_params = _root_params(ctx)
    provider = root_params.get("provider") or os.environ.get("MEDIAPROC_PROVIDER") or "local"
    bucket = root_params.get("bucket") or os.environ.get("MEDIAPROC_BUCKET")
    explicit = incomplete.startswith(("/", "./", "../", "~"))
    base = Path(bucket).expanduser() if provider == "local" and bucket and not explicit else Path.cwd()
    typed_dir, _sep, prefix = incomplete.rpartition("/")
    folder = Path(os.path.expanduser(typed_dir)) if typed_dir else Path()
    folder = folder if folder.is_absolute() else base / folder
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    out: list[str] = []
    for entry in entries:
        if not entry.name.startswith(prefix) or (entry.name.startswith(".") and not prefix.startswith(".")):
            continue
        shown = f"{typed_dir}/{entry.name}" if typed_dir or incomplete.startswith("/") else entry.name
        out.append(shown + ("/" if entry.is_dir() else ""))
        if len(out) >= MAX_PATH_COMPLETIONS:
            break
    return out
