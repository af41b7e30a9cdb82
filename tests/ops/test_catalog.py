"""The catalogue holds every operation of SPEC.md §1 with the agreed names and keys (TEAM.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import PurePosixPath

import pytest

from mediaproc.errors import ExitCode, InvalidOperation
from mediaproc.ops import Family, Mode, Produces, PType, all_specs, get_spec, op_names

# TEAM.md "Contract: canonical operation names, parameter keys and value types".
CONTRACT: dict[str, set[str]] = {
    "resize": {"w", "h", "l", "s", "p", "mode", "limit", "color"},
    "crop": {"w", "h", "x", "y", "g", "p"},
    "indexcrop": {"x", "y", "i"},
    "rotate": {"angle"},
    "flip": {"v"},
    "quality": {"q", "Q"},
    "format": {"target"},
    "interlace": {"mode"},
    "watermark": {
        "text",
        "image",
        "type",
        "size",
        "color",
        "t",
        "g",
        "x",
        "y",
        "voffset",
        "fill",
        "padx",
        "pady",
        "shadow",
        "rotate",
        "P",
        "order",
        "align",
        "interval",
        "preprocess",
        "rw",
        "rh",
        "aw",
        "ah",
    },
    "blur": {"r", "s", "g", "p"},
    "sharpen": {"v"},
    "bright": {"v"},
    "contrast": {"v"},
    "auto-orient": {"v"},
    "circle": {"r"},
    "rounded-corners": {"r"},
    "info": set(),
    "average-hue": set(),
    "blindwatermark-embed": {"content", "s"},
    "blindwatermark-extract": {"s", "model"},
    "faces": set(),
    "bodies": set(),
    "cars": set(),
    "codes": set(),
    "labels": set(),
    "score": set(),
    "video/convert": {
        "f",
        "vcodec",
        "acodec",
        "s",
        "scaletype",
        "fps",
        "vb",
        "ab",
        "crf",
        "ss",
        "t",
        "vn",
        "an",
        "sn",
        "videoslim",
        "pixfmt",
        "ar",
        "ac",
        "fpsopt",
        "sopt",
        "vbopt",
        "abopt",
        "arotate",
        "aq",
        "adepth",
    },
    "video/snapshot": {"t", "w", "h", "f", "m", "ar"},
    "video/info": set(),
    "video/animation": {"f", "ss", "num", "inter", "fps", "w", "h", "scaletype"},
    "video/snapshots": {"f", "ss", "m", "num", "inter", "w", "h", "pw", "ph", "scaletype", "thr"},
    "video/sprite": {
        "f",
        "ss",
        "m",
        "thr",
        "num",
        "inter",
        "sw",
        "sh",
        "psw",
        "psh",
        "scaletype",
        "tw",
        "th",
        "pad",
        "margin",
    },
    "video/concat": {"f", "vcodec", "acodec", "fps", "vb", "ab", "ar", "ac", "s", "align"},
    "audio/convert": {"f", "ss", "t", "ar", "ac", "aq", "ab", "abopt", "adepth"},
    "audio/concat": {"f", "ar", "ac", "aq", "ab", "abopt", "align", "adepth"},
    "audio/info": set(),
    "hls/m3u8": {
        "ss",
        "t",
        "ta",
        "st",
        "initd",
        "vcodec",
        "fps",
        "fpsopt",
        "pixfmt",
        "s",
        "sopt",
        "scaletype",
        "arotate",
        "vb",
        "vbopt",
        "crf",
        "maxrate",
        "bufsize",
        "an",
        "acodec",
        "ar",
        "ac",
        "aq",
        "ab",
        "abopt",
    },
}


def test_every_contract_operation_exists_with_its_keys() -> None:
    assert set(op_names()) == set(CONTRACT)
    for name, keys in CONTRACT.items():
        spec = get_spec(name)
        assert spec.name == name
        missing = keys - set(spec.param_keys)
        assert not missing, (name, missing)


def test_specs_are_complete_and_helpful() -> None:
    for spec in all_specs():
        assert spec.summary and spec.summary[0].isupper(), spec.name
        assert spec.backends and spec.backends <= {"local", "oss", "cos"}
        keys = [p.key for p in spec.params]
        assert len(keys) == len(set(keys)), spec.name
        for p in spec.params:
            assert p.help and "\n" not in p.help, (spec.name, p.key)
            if p.type is PType.ENUM:
                assert p.choices and all(c == c.lower() for c in p.choices), (spec.name, p.key)
                assert set(p.choice_aliases.values()) <= set(p.choices), (spec.name, p.key)
        for group in (*spec.exclusive, *spec.one_of):
            assert set(group) <= set(keys), (spec.name, group)
        if spec.mode is Mode.ASYNC:
            assert spec.imm_task, spec.name
        if "local" not in spec.backends:
            assert spec.not_local_hint, spec.name


def test_modes_and_outputs_follow_spec_section_1() -> None:
    sync = {
        "video/snapshot",
        "video/info",
        "audio/info",
        "hls/m3u8",
        "info",
        "average-hue",
        "faces",
        "blindwatermark-embed",
    }
    asynchronous = {
        "video/convert",
        "video/animation",
        "video/snapshots",
        "video/sprite",
        "video/concat",
        "audio/convert",
        "audio/concat",
        "blindwatermark-extract",
    }
    for name in sync:
        assert get_spec(name).mode is Mode.SYNC, name
    for name in asynchronous:
        assert get_spec(name).mode is Mode.ASYNC, name
    assert get_spec("video/convert").imm_task == "MediaConvert"
    assert get_spec("blindwatermark-extract").imm_task == "DecodeBlindWatermark"
    assert get_spec("hls/m3u8").produces is Produces.PLAYLIST
    assert get_spec("video/snapshots").produces is Produces.FILES
    assert get_spec("info").produces is Produces.JSON
    assert get_spec("faces").family is Family.AI
    assert get_spec("hls/m3u8").family.is_media


def test_oss_wire_names() -> None:
    assert get_spec("hls/m3u8").oss == "hls/m3u8"
    assert get_spec("blindwatermark-embed").oss == "blindwatermark"
    assert get_spec("blindwatermark-extract").oss == "deblindwatermark"
    assert get_spec("faces").oss == "faces"
    assert get_spec("flip").oss == "flip"  # image/flip,<v> (help.aliyun.com/zh/oss/flip-image)
    assert get_spec("resize").param("mode").wire == "m"  # type: ignore[union-attr]


def test_backends_and_local_hints() -> None:
    assert get_spec("cars").backends == {"oss", "cos"}
    assert get_spec("labels").backends == {"oss", "cos"}
    assert "cos" in (get_spec("cars").not_local_hint or "")
    assert get_spec("flip").backends == {"local", "oss", "cos"}
    assert "oss" in get_spec("indexcrop").backends


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("auto_orient", "auto-orient"),
        ("AUTO-ORIENT", "auto-orient"),
        ("rounded_corners", "rounded-corners"),
        ("hue", "average-hue"),
        ("average_hue", "average-hue"),
        ("video/hls", "hls/m3u8"),
        ("m3u8", "hls/m3u8"),
        ("image/resize", "resize"),
        ("image/blindwatermark", "blindwatermark-embed"),
        ("deblindwatermark", "blindwatermark-extract"),
        ("transcode", "video/convert"),
        ("qrcode", "codes"),
    ],
)
def test_op_aliases(alias: str, name: str) -> None:
    assert get_spec(alias).name == name


def test_unknown_op_suggests_close_names() -> None:
    with pytest.raises(InvalidOperation) as exc:
        get_spec("rezise")
    err = exc.value
    assert err.exit_code is ExitCode.USAGE
    assert "rezise" in err.message
    assert "'resize'" in (err.hint or "")


def test_unknown_op_without_close_names_still_hints() -> None:
    with pytest.raises(InvalidOperation) as exc:
        get_spec("qqqqqqqq")
    assert "mediaproc ops" in (exc.value.hint or "")


def test_catalogue_import_is_light() -> None:
    """Completion imports the catalogue on every Tab press: no SDK, no engine libraries."""
    code = (
        "import sys, mediaproc.ops.catalog, mediaproc.ops.parse, mediaproc.ops.oss.encode;"
        "heavy = [m for m in ('pyvips', 'av', 'cv2', 'numpy', 'oss2', 'qcloud_cos', 'PIL', 'typer', 'rich')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_family_by_family_lookup_answers_as_the_whole_catalogue() -> None:
    """``find_spec`` imports a family only when the ones before it do not own a name; for every name
    of the whole catalogue (built here, with its clash check) it answers what the whole index says,
    and the catalogue is one: the families' specs in order, each spec the same object both ways."""
    from mediaproc.ops import catalog

    index = catalog._index()
    assert index, "the whole catalogue's index builds without a clash"
    for key, spec in index.items():
        assert catalog.find_spec(key) is spec, key
        assert catalog.find_spec(key.upper().replace("-", "_")) is spec, key
    assert catalog.all_specs() == tuple(s for m in catalog.FAMILY_MODULES for s in catalog._family_specs(m))
    assert catalog.find_spec("no-such-operation") is None


def test_an_image_lookup_builds_only_the_image_families() -> None:
    """A one-shot ``resize`` or ``info`` builds the image and metadata operations, not the video, audio,
    HLS or intelligent ones."""
    code = (
        "import sys; from mediaproc.ops.parse import parse_chain; parse_chain(['resize:w=600', 'quality:Q=85']);"
        "parse_chain(['info']); print(sorted(m for m in sys.modules if m.startswith('mediaproc.ops.catalog.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.rsplit(".", 1)[1] for m in out.stdout.strip().strip("[]").replace("'", "").split(", ")}
    assert {"image", "meta"} <= loaded
    assert not {"ai", "video", "audio", "hls", "_media"} & loaded, loaded


@pytest.mark.parametrize(("name", "families"), [("info", {"meta"}), ("video/info", {"video", "_media"}),
                                                ("resize", {"meta", "image"})])
def test_a_lookup_starts_at_the_family_the_name_suggests(name: str, families: set[str]) -> None:
    """``info`` builds the metadata family only, ``video/info`` the video family only (its shared
    media parameters in ``_media`` with it): no image operations are built for them."""
    code = (
        f"import sys; from mediaproc.ops.catalog import find_spec; assert find_spec({name!r}).name == {name!r};"
        "print(' '.join(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('mediaproc.ops.catalog.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) - {"_build", "formats"} == families


def test_format_table_names_every_format_the_catalogue_takes() -> None:
    """One table for format names, aliases and file extensions (batch output names, local destinations)."""
    from mediaproc.ops.catalog.formats import canonical_format, extension, format_from_extension
    from mediaproc.ops.parse import parse_op

    target = get_spec("format").param("target")
    assert target is not None
    for fmt in target.choices:
        assert extension(fmt) == f".{fmt}"
        assert format_from_extension(PurePosixPath(f"a/b{extension(fmt)}")) == fmt
    for alias, fmt in target.choice_aliases.items():
        assert parse_op("format", [f"target={alias}"]).get("target") == fmt
        assert canonical_format(f".{alias.upper()}") == fmt
    assert [format_from_extension(PurePosixPath(n)) for n in ("x.JPEG", "x.jfif", "x.tif", "x.mp4", "x")] == [
        "jpg", "jpg", "tiff", "mp4", None]
    assert extension("mp4") is None


def test_verify_facts_name_what_the_catalogue_has() -> None:
    """--verify reads its per-operation table from the catalogue (issue 16): each entry must hold."""
    from mediaproc.ops.model import SizeEffect

    readers = {"info", "video/info", "audio/info"}
    assert all(get_spec(name).produces is Produces.JSON for name in readers)
    for spec in all_specs():
        assert set(spec.sets) <= set(spec.param_keys), spec.name
        assert spec.result_info in readers, spec.name
        if spec.size_effect is SizeEffect.SIDES:
            assert {"w", "h"} <= set(spec.param_keys), spec.name
        if spec.size_effect is SizeEffect.FRAME:
            assert "s" in spec.param_keys and "scaletype" in spec.param_keys, spec.name
        if spec.family is Family.AUDIO:
            assert spec.result_info == "audio/info", spec.name
        for key, prop in spec.sets.items():
            param = spec.param(key)
            assert param is not None and (prop.relation != "absent" or param.type is PType.BOOL), (spec.name, key)
