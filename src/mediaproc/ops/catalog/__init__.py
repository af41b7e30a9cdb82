"""The operation catalogue: every operation mediaproc knows, as pure data.

Shell completion imports this on every Tab press, so it stays plain Python (no I/O, nothing heavy).
Lookups accept the canonical name (``resize``, ``video/convert``), any alias (``auto_orient``,
``m3u8``, ``image/resize``) and are case-insensitive with ``_`` equal to ``-``.
"""

from __future__ import annotations

from types import MappingProxyType

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog import ai, audio, hls, image, meta, video
from mediaproc.ops.model import Family, OpSpec

_SPECS: tuple[OpSpec, ...] = image.SPECS + meta.SPECS + ai.SPECS + video.SPECS + audio.SPECS + hls.SPECS

IMAGE_PREFIX_FAMILIES = frozenset({Family.IMAGE, Family.META, Family.AI})


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _build_index() -> MappingProxyType[str, OpSpec]:
    index: dict[str, OpSpec] = {}

    def add(alias: str, spec: OpSpec) -> None:
        key = _norm(alias)
        other = index.get(key)
        if other is not None and other is not spec:
            raise RuntimeError(f"catalogue: {alias!r} names both {other.name} and {spec.name}")
        index[key] = spec

    for spec in _SPECS:
        add(spec.name, spec)
    for spec in _SPECS:
        for alias in spec.aliases:
            add(alias, spec)
        # A pasted OSS name works as a seed-grammar name too: image/resize:w=600, image/faces.
        if spec.oss and spec.family in IMAGE_PREFIX_FAMILIES:
            add(f"image/{spec.oss}", spec)
            if _norm(spec.oss) not in index:
                add(spec.oss, spec)
    return MappingProxyType(index)


_INDEX = _build_index()


def all_specs() -> tuple[OpSpec, ...]:
    """Every operation, in catalogue order (image, metadata, intelligent, video, audio, hls)."""
    return _SPECS


def op_names() -> tuple[str, ...]:
    """Canonical operation names, in catalogue order (for help and completion)."""
    return tuple(spec.name for spec in _SPECS)


def find_spec(name: str) -> OpSpec | None:
    """The spec for a name or alias, or None."""
    return _INDEX.get(_norm(name))


def suggest(name: str, n: int = 3) -> list[str]:
    """Canonical names close to a misspelt one (aliases count, canonical names are returned)."""
    import difflib  # only on the error path: completion imports this module on every Tab press

    matches = difflib.get_close_matches(_norm(name), list(_INDEX), n=n * 3, cutoff=0.6)
    out: list[str] = []
    for match in matches:
        canonical = _INDEX[match].name
        if canonical not in out:
            out.append(canonical)
    return out[:n]


def get_spec(name: str) -> OpSpec:
    """Resolve a name or alias; an unknown name raises InvalidOperation with a did-you-mean hint."""
    spec = find_spec(name)
    if spec is not None:
        return spec
    close = suggest(name)
    if close:
        hint = _("did you mean {names}? (`mediaproc ops` lists every operation)").format(
            names=" or ".join(repr(c) for c in close)
        )
    else:
        hint = _("`mediaproc ops` lists every operation")
    raise InvalidOperation(_("unknown operation {name!r}").format(name=name), hint=hint)


def oss_spec(prefix: str, oss_name: str) -> OpSpec | None:
    """The spec an OSS process segment names: ``("image", "resize")``, ``("video", "convert")``."""
    prefix = prefix.lower()
    if prefix == "image":
        for spec in _SPECS:
            if spec.family in IMAGE_PREFIX_FAMILIES and spec.oss == oss_name:
                return spec
        return None
    full = f"{prefix}/{oss_name}"
    for spec in _SPECS:
        if spec.oss == full:
            return spec
    return None


__all__ = ["all_specs", "find_spec", "get_spec", "op_names", "oss_spec", "suggest"]
