"""What a destination implies for a request, in one place for every provider and for serve.

**Format follows the destination.** ``--to out.jpg`` from a PNG means a JPEG: when an image chain
names no format and the destination's extension implies one the source does not have, the chain
gets a ``format`` operation (before ``blindwatermark-embed``, which must stay last), so the cloud is
asked for it and ``--dry-run`` shows it (``image/resize,w_100/format,jpg``; COS ``.../format/jpg``).
``video/snapshot`` without ``f`` takes ``f=png`` from ``--to frame.png``. The format a result
*has* is read from its bytes (:func:`sniff_format`), never from its name.

**One snapshot naming rule** (OSS "视频截帧" / the reference skill: "the system appends a sequence
number such as _0_1.jpg"; snapshot targets carry no extension). Frame ``n`` (from 1) of a target
``PREFIX/name`` is ``PREFIX/name_0_<n>.<f>``; a folder target ``PREFIX/`` uses the source's base
name as ``name``; ``name.jpg`` loses its extension with one warning. :func:`sequence_prefix` and
:func:`sequence_name` are used by the local engine, the OSS and COS providers and serve alike.
Pure: no I/O.
"""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

from mediaproc import TYPE_CHECKING
from mediaproc.errors import InvalidOperation, UsageError
from mediaproc.i18n import _, join
from mediaproc.ops.catalog.formats import IMAGE_FORMATS, MEDIA_EXTENSIONS, format_from_extension
from mediaproc.ops.model import Chain, Family, OpSpec, Produces

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

SNAPSHOT_FORMATS = frozenset({"jpg", "png"})  # what video/snapshot's f takes (jpg is its default)
SEQUENCE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png"})  # stripped from a snapshots target


def format_of_name(name: str | None) -> str | None:
    """The image format a file or key name implies (``out.JPEG`` -> ``jpg``), None if none
    (the extension table is the catalogue's, ``ops.catalog.formats``)."""
    if not name:
        return None
    fmt = format_from_extension(PurePosixPath(name))
    return fmt if fmt in IMAGE_FORMATS else None


def sniff_format(head: bytes) -> str | None:
    """The image format of encoded bytes, from their signature (the first 32 bytes are enough)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM":
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc", b"hevx"):
            return "heic"
    return None


def _written(chain: Chain) -> tuple[str, str] | None:
    """(the format ``chain``'s one result is written in, the words that ask for it), or None when
    the chain does not say (an image chain without ``format`` keeps its source's; a style decides)."""
    fmt: tuple[str, str] | None = None
    for op in chain:
        if op.name == "format":
            fmt = (str(op.params["target"]), f"format:target={op.params['target']}")
        elif op.name == "style":
            fmt = None
        elif (param := op.spec.param("f")) is not None:
            value = op.params.get("f") or param.default
            fmt = (str(value), f"{op.name}:f={value}") if value else None
    return fmt


# Extensions that name what a playlist or a JSON document is, not a format an operation chooses.
KIND_EXTENSIONS = {"m3u8": Produces.PLAYLIST, "json": Produces.JSON}


def check_destination_format(chain: Chain, destination: str | None) -> None:
    """Refuse a destination whose name says one format while the chain writes another
    (``format:target=png --to out.jpg``, ``video/convert:f=mkv --to out.mp4``, ``audio/convert:f=mp3
    --to a.wav``, a snapshot ``--to frame.webp``, ``info --to out.jpg``, a video ``--to out.m3u8``): the
    bytes would not be what the name says, and every program that trusts the name would misread them.
    Usage error (exit 2) before any work. A name without a known extension says nothing; ``.ogg``
    takes Vorbis or Opus (``MEDIA_EXTENSIONS``)."""
    if not destination or chain.produces not in (Produces.IMAGE, Produces.MEDIA, Produces.PLAYLIST, Produces.JSON):
        return
    path = PurePosixPath(destination)
    ext = path.suffix.lower().lstrip(".")
    image = format_of_name(destination)
    media = MEDIA_EXTENSIONS.get(ext)
    kind = KIND_EXTENSIONS.get(ext)
    if not ext or (image is None and media is None and kind is None):
        return
    if chain.produces in KIND_EXTENSIONS.values():  # a playlist or a JSON document: its own extension
        if kind is not chain.produces:
            want = "m3u8" if chain.produces is Produces.PLAYLIST else "json"
            message = (_("{op} writes an m3u8 playlist, but the destination {name} is named as .{ext}")
                       if want == "m3u8" else
                       _("{op} writes a JSON document, but the destination {name} is named as .{ext}"))
            raise UsageError(
                message.format(op=chain[-1].name, name=destination, ext=ext),
                hint=_("name it {suggest}").format(suggest=str(path.with_suffix(f".{want}"))),
            )
        return
    written = _written(chain)
    if written is None:
        if chain.produces is Produces.IMAGE and image is None:  # an image into ``out.mp4``
            raise UsageError(
                _("{op} writes an image, but the destination {name} is named as .{ext}").format(
                    op=chain[-1].name, name=destination, ext=ext),
                hint=_("name the destination with an image extension (.jpg, .png, .webp, ...)"),
            )
        return
    fmt, asked = written
    if fmt == image or (media is not None and fmt in media):
        return
    suggest = str(path.with_suffix(f".{fmt}")) if path.stem else f"{destination}.{fmt}"
    raise UsageError(
        _("{asked} writes {fmt}, but the destination {name} is named as .{ext}").format(
            asked=asked, fmt=fmt, name=destination, ext=ext),
        hint=_("name the destination {suggest}, or ask for the format its name says").format(suggest=suggest),
    )


def implied_params(spec: OpSpec, given: Mapping[str, Any], destination: str | None) -> dict[str, Any]:
    """The parameters ``destination``'s name gives an operation that writes one file and lacks them:
    a required ``f`` (``video/convert``, ``audio/convert``, the concats, ``video/animation``,
    ``video/sprite``) from the extension, when it names exactly one of the values ``f`` takes
    (``--to out.mkv`` -> ``f=mkv``, ``a.m4a`` for ``video/convert`` -> ``f=mp4``). ``.ogg`` (Vorbis or Opus),
    an unknown extension or a folder give nothing, and ``f`` stays required. The request then names
    ``f`` itself (``--dry-run`` shows it; the cloud is sent it), so serve stays as strict as OSS."""
    param = spec.param("f")
    if (not destination or destination.endswith("/") or param is None or not param.required or "f" in given
            or spec.produces not in (Produces.MEDIA, Produces.IMAGE)):
        return {}
    if spec.produces is Produces.IMAGE:
        image = format_of_name(destination)
        named = frozenset({image} if image else ())
    else:
        named = MEDIA_EXTENSIONS.get(PurePosixPath(destination).suffix.lower().lstrip("."), frozenset())
    candidates = named & frozenset(param.choices)
    if len(candidates) > 1:  # .ogg: Vorbis or Opus; the name cannot choose
        options = join(_(" or "), [f"f={c}" for c in sorted(candidates)])
        raise InvalidOperation(
            _("{op}: missing required parameter f ({name} can hold {options})").format(
                op=spec.name, name=PurePosixPath(destination).name, options=options),
            hint=_("give {options}").format(options=options),
            details={"operation": spec.name, "parameter": "f"},
        )
    return {"f": next(iter(candidates))} if candidates else {}


def follow_destination(chain: Chain, source: str | None, destination: str | None) -> Chain:
    """``chain`` asking for the format ``destination``'s name implies, when it does not already.

    Image chains (no ``format`` of their own) get ``format,<fmt>`` unless the source's name implies
    the same format already; ``video/snapshot`` without ``f`` gets ``f=png`` for a ``.png`` target.
    A chain that asks for another format than the name says is refused
    (:func:`check_destination_format`). Anything else is returned unchanged."""
    chain = _followed(chain, source, destination)
    check_destination_format(chain, destination)
    return chain


def _followed(chain: Chain, source: str | None, destination: str | None) -> Chain:
    want = format_of_name(destination)
    if want is None or chain.produces is not Produces.IMAGE:
        return chain
    from mediaproc.ops.catalog import get_spec
    from mediaproc.ops.validate import make_chain, make_op

    last = chain[-1]
    if last.name == "video/snapshot":
        if "f" in last.params or want not in SNAPSHOT_FORMATS or want == "jpg":
            return chain
        return make_chain([make_op(last.spec, {**last.params, "f": want})])
    if chain.family not in (Family.IMAGE, Family.AI) or any(op.name in ("format", "style") for op in chain):
        return chain  # a style decides its own format
    if format_of_name(source) == want:
        return chain
    ops = list(chain.ops)
    at = len(ops) - 1 if ops[-1].spec.last else len(ops)
    ops.insert(at, make_op(get_spec("format"), {"target": want}))
    return make_chain(ops)


def result_name(name: str, chain: Chain) -> str:
    """The name a result of ``chain`` on a source called ``name`` gets inside a destination folder
    (``--to out/``, a batch's items): the source's name with the extension of what the chain makes
    (:func:`output_extension`: ``format:target=webp`` -> ``.webp``, ``video/convert:f=mp4`` ->
    ``.mp4``, a snapshot ``.jpg``, a playlist ``.m3u8``, its segments beside it); a JSON document
    keeps the name and adds ``.json`` (``rocket.jpg.json``)."""
    if chain.produces is Produces.JSON:
        return name + ".json"
    path = PurePosixPath(name)
    ext = output_extension(chain, name)
    if not ext or path.suffix.lower().lstrip(".") == ext or not ext.isalnum():
        return name
    return str(path.with_suffix(f".{ext}")) if path.name and path.stem else f"{name}.{ext}"


def sequence_prefix(target: str, source: str) -> tuple[str, str | None]:
    """(the prefix frames are numbered after, a warning or None) for a snapshots target.

    ``snaps/`` (or an empty target) -> ``snaps/<source stem>``; ``snaps/frame.jpg`` -> ``snaps/frame``
    with a warning; ``snaps/frame`` as is."""
    if not target or target.endswith("/"):
        stem = PurePosixPath(source.rstrip("/")).stem or "frame"
        return f"{target}{stem}", None
    suffix = PurePosixPath(target).suffix
    if suffix.lower() in SEQUENCE_EXTENSIONS:
        prefix = target[: -len(suffix)]
        return prefix, _(
            "a snapshots target names a prefix, not a file: {target} is written as {prefix}_0_1{ext}, "
            "{prefix}_0_2{ext}, ..."
        ).format(target=target, prefix=prefix, ext=suffix.lower().replace(".jpeg", ".jpg"))
    return target, None


def segment_name(stem: str, index: int | str) -> str:
    """Segment ``index`` of a local HLS playlist ``<stem>.m3u8``, beside it (``clip-0.ts``, ``clip-1.ts``,
    ...); ``index="%d"`` gives ffmpeg's ``-hls_segment_filename`` pattern."""
    return f"{stem}-{index}.ts"


def playlist_segments(text: str) -> list[str]:
    """The segments an HLS playlist names by a relative path, in order, each once: what has to lie
    beside a copy of the playlist for it to play from a folder. Absolute URLs, rooted paths and any
    ``..`` are left out (they do not name a file beside the playlist, or climb out of its folder)."""
    names: list[str] = []
    for line in text.splitlines():
        name = line.strip()
        if not name or name.startswith("#") or "://" in name or name.startswith("/") or "?" in name:
            continue
        if ".." in name.split("/") or name in names:
            continue
        names.append(name)
    return names


# The widest segment name a run can give: six digits (a million segments: 116 days at the default 10 s).
WIDEST_SEGMENT_INDEX = 999_999


def sequence_name(prefix: str, number: int, fmt: str) -> str:
    """Frame ``number`` (from 1) after ``prefix``: ``<prefix>_0_<number>.<fmt>``."""
    return f"{prefix}_0_{number}.{fmt}"


def is_sequence_name(name: str, prefix: str, fmt: str | None = None) -> bool:
    """Whether ``name`` is one of the frames :func:`sequence_name` gives for ``prefix``."""
    if not name.startswith(prefix + "_0_"):
        return False
    number, dot, ext = name[len(prefix) + 3 :].partition(".")
    return number.isdigit() and bool(dot) and (fmt is None or ext == fmt)


def sequence_number(name: str, prefix: str) -> int:
    """The frame number in a :func:`sequence_name` (for ordering)."""
    return int(name[len(prefix) + 3 :].partition(".")[0])


def output_extension(chain: Chain, source_key: str) -> str:
    """The extension of what ``chain`` makes from ``source_key``, without the dot (IMM's ``{autoext}``,
    CI's ``${Ext}``): the format the chain writes (:func:`_written`, the one reading of it that
    :func:`check_destination_format` uses too: the last ``format`` of an image chain, a media
    operation's ``f`` or its default), ``jpg`` for frames, else the source's own extension (a chain
    that names no format, or ends in a style, which decides its own)."""
    if chain.produces is Produces.JSON:
        return "json"
    if chain.produces is Produces.PLAYLIST:
        return "m3u8"
    written = _written(chain)
    fmt = written[0] if written is not None else None
    if fmt is None and chain.produces is Produces.FILES:
        fmt = "jpg"
    if fmt is None:
        fmt = posixpath.splitext(source_key)[1].lstrip(".").lower()
    return fmt.lower()


__all__ = [
    "check_destination_format",
    "follow_destination",
    "format_of_name",
    "implied_params",
    "is_sequence_name",
    "output_extension",
    "result_name",
    "segment_name",
    "sequence_name",
    "sequence_number",
    "sequence_prefix",
    "sniff_format",
]
