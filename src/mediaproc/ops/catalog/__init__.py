"""The operation catalogue: every operation mediaproc knows, as pure data.

Shell completion imports this on every Tab press, so it stays plain Python (no I/O, nothing heavy).
Lookups accept the canonical name (``resize``, ``video/convert``), any alias (``auto_orient``,
``m3u8``, ``image/resize``) and are case-insensitive with ``_`` equal to ``-``.

One catalogue, built lazily per family: each family's module (``image``, ``video``, ...) holds its
specs, and is imported by its dotted name the first time a lookup reaches it (the lazy registry of
fsspec's ``known_implementations``), so a one-shot ``resize`` builds the image operations only,
not the ~80 video, audio, HLS and intelligent ones. A name is looked up family by family among the
names every spec owns (canonical name, aliases, ``image/<oss name>``), which are unique across the
whole catalogue (:func:`_build_index` refuses a clash); only a bare OSS name, which yields to any
owned name, needs the whole catalogue (``tests/ops/test_catalog.py`` checks that both lookups agree).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import import_module
from types import MappingProxyType

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Family, OpSpec

# The families' modules, in catalogue order (image, metadata, intelligent, video, audio, hls).
FAMILY_MODULES: tuple[str, ...] = tuple(
    f"{__name__}.{name}" for name in ("image", "meta", "ai", "video", "audio", "hls")
)

IMAGE_PREFIX_FAMILIES = frozenset({Family.IMAGE, Family.META, Family.AI})


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


@cache
def _family_specs(module: str) -> tuple[OpSpec, ...]:
    specs: tuple[OpSpec, ...] = import_module(module).SPECS
    return specs


def _owned_names(spec: OpSpec) -> Iterator[str]:
    """The names that are ``spec``'s alone: canonical, aliases, and a pasted OSS name with its prefix."""
    yield spec.name
    yield from spec.aliases
    if spec.oss and spec.family in IMAGE_PREFIX_FAMILIES:
        yield f"image/{spec.oss}"


@cache
def _family_index(module: str) -> Mapping[str, OpSpec]:
    return MappingProxyType({_norm(name): spec for spec in _family_specs(module) for name in _owned_names(spec)})


@cache
def _index() -> Mapping[str, OpSpec]:
    """Every name of the whole catalogue, checked for clashes (built on a miss, by ``suggest``, and by
    the tests)."""
    return _build_index()


def _build_index() -> MappingProxyType[str, OpSpec]:
    index: dict[str, OpSpec] = {}

    def add(alias: str, spec: OpSpec) -> None:
        key = _norm(alias)
        other = index.get(key)
        if other is not None and other is not spec:
            raise RuntimeError(f"catalogue: {alias!r} names both {other.name} and {spec.name}")
        index[key] = spec

    specs = all_specs()
    for spec in specs:
        add(spec.name, spec)
    for spec in specs:
        for alias in spec.aliases:
            add(alias, spec)
        # A pasted OSS name works as a seed-grammar name too: image/resize:w=600, image/faces.
        if spec.oss and spec.family in IMAGE_PREFIX_FAMILIES:
            add(f"image/{spec.oss}", spec)
            if _norm(spec.oss) not in index:
                add(spec.oss, spec)
    return MappingProxyType(index)


@cache
def all_specs() -> tuple[OpSpec, ...]:
    """Every operation, in catalogue order (image, metadata, intelligent, video, audio, hls)."""
    return tuple(spec for module in FAMILY_MODULES for spec in _family_specs(module))


def op_names() -> tuple[str, ...]:
    """Canonical operation names, in catalogue order (for help and completion)."""
    return tuple(spec.name for spec in all_specs())


# Where a lookup starts: the family a name's prefix names (``video/info``), else the metadata family
# (``info``, ``average-hue``: two specs, ~0.1 ms to build, where the image family takes ~1 ms).
_PREFIXED = {name: f"{__name__}.{name}" for name in ("video", "audio", "hls")}
_FIRST = f"{__name__}.meta"


def _lookup_order(key: str) -> Iterator[str]:
    """The families in the order a lookup tries them. Every owned name belongs to one family
    (:func:`_build_index` refuses a clash), so the order decides only what a lookup imports and
    builds, never its answer: a one-shot ``image info`` or ``video info`` builds its own family, not
    the image operations before it."""
    first = _PREFIXED.get(key.partition("/")[0], _FIRST)
    yield first
    yield from (module for module in FAMILY_MODULES if module != first)


def find_spec(name: str) -> OpSpec | None:
    """The spec for a name or alias, or None: family by family (:func:`_lookup_order`), importing a
    family only when the ones tried before it do not own the name."""
    key = _norm(name)
    for module in _lookup_order(key):
        spec = _family_index(module).get(key)
        if spec is not None:
            return spec
    return _index().get(key)


def suggest(name: str, n: int = 3) -> list[str]:
    """Canonical names close to a misspelt one (aliases count, canonical names are returned)."""
    import difflib  # only on the error path: completion imports this module on every Tab press

    index = _index()
    matches = difflib.get_close_matches(_norm(name), list(index), n=n * 3, cutoff=0.6)
    out: list[str] = []
    for match in matches:
        canonical = index[match].name
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
        for spec in all_specs():
            if spec.family in IMAGE_PREFIX_FAMILIES and spec.oss == oss_name:
                return spec
        return None
    full = f"{prefix}/{oss_name}"
    for spec in all_specs():
        if spec.oss == full:
            return spec
    return None


__all__ = ["all_specs", "find_spec", "get_spec", "op_names", "oss_spec", "suggest"]
