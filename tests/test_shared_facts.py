"""Facts that were kept in two places: each test states the documented value on its own and checks that
every place that uses it agrees, so that a copy that drifts again fails here (issue: "knowledge kept
twice that has drifted apart"; DESIGN.md: one fact in one place)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from mediaproc.errors import InvalidOperation
from mediaproc.limits import COS
from mediaproc.ops import parse_chain
from mediaproc.ops.catalog.image import WATERMARK
from mediaproc.ops.cos.image_view import parse_image_view
from mediaproc.ops.cos.watermarks import watermark_rule

SAMPLE_MP4 = Path(__file__).resolve().parents[1] / "examples" / "sample.mp4"


def test_cos_result_side_is_9999_for_image_view_and_the_cos_front() -> None:
    """CI: "the width and height of the output image cannot exceed 9,999 pixels" (460/36620, 436/42704):
    imageView2's w/h and the COS front's output check read one limit."""
    assert COS["output_side"].value == 9_999
    (op,) = parse_image_view(["2", "w", "9999"])
    assert op.params["w"] == 9_999
    with pytest.raises(InvalidOperation, match="1-9999"):
        parse_image_view(["2", "w", "10000"])


def test_watermark_defaults_are_the_catalogues_in_the_engine_and_the_cos_encoder() -> None:
    """SPEC.md §2 (OSS "添加水印"): g=se, t=100, x=10, y=10, size=40, color=000000, font wqy-zenhei. The
    engine and the COS encoder (CI's defaults differ, so it writes OSS's out) used to keep their own."""
    import pyvips

    from mediaproc.engine.image import fonts, watermark

    documented = {"g": "se", "x": 10, "y": 10, "t": 100, "size": 40, "color": "000000", "type": "wqy-zenhei"}
    assert {key: WATERMARK.default(key) for key in documented} == documented
    assert fonts.DEFAULT_FONT == "wqy-zenhei"
    rule = watermark_rule(parse_chain(["watermark:text=a"])[0], "media-1250000000", "ap-guangzhou")
    assert rule.endswith("/fontsize/40/fill/IzAwMDAwMA/gravity/southeast/dx/10/dy/10/dissolve/100")
    base = pyvips.Image.black(100, 80, bands=3).copy(interpretation="srgb")
    mark = (pyvips.Image.black(8, 6, bands=4) + 255).cast("uchar").copy(interpretation="srgb")
    out = watermark.apply_overlay(base, mark, {})  # no parameter given: south-east, 10 px from each edge
    assert out.crop(100 - 10 - 8, 80 - 10 - 6, 8, 6).min() == 255
    assert out.crop(0, 0, 100 - 10 - 8, 80).max() == 0 and out.crop(0, 0, 100, 80 - 10 - 6).max() == 0


def test_the_av_engine_writes_the_catalogues_containers_and_reads_names_by_its_table() -> None:
    """The containers ``f`` takes and what a file name implies are ops/catalog/formats.py's; the engine
    kept its own extension table (no .mts, .m2ts, .mka, .qt, .wma) and its own audio-only list."""
    from pathlib import Path

    from mediaproc.engine.av import common
    from mediaproc.engine.av.convert import output_format
    from mediaproc.ops.catalog import get_spec
    from mediaproc.ops.catalog.formats import AUDIO_CONTAINERS, VIDEO_CONTAINERS
    from mediaproc.ops.model import Op

    convert = get_spec("video/convert")
    f = convert.param("f")
    assert f is not None and set(common.MUXERS) == set(f.choices) == {*VIDEO_CONTAINERS, *AUDIO_CONTAINERS}
    assert common.AUDIO_ONLY == AUDIO_CONTAINERS
    bare = Op(spec=convert)  # no f: the name decides, as for a request
    assert [output_format(bare, Path(n)) for n in ("a.mts", "a.m2ts", "a.mka", "a.qt", "a.m4a")] == [
        "ts", "ts", "mkv", "mov", "mp4"]
    assert output_format(Op(spec=convert, params={"f": "mkv"}), Path("a.mp4")) == "mkv"
    with pytest.raises(InvalidOperation, match=r"a\.ogg can hold f=oga or f=opus"):  # the request's own refusal
        output_format(bare, Path("a.ogg"))
    for name in ("a.wav", "a.gif"):  # nothing writes WAV; not a container
        with pytest.raises(InvalidOperation, match="no output format"):
            output_format(bare, Path(name))


@pytest.mark.parametrize(("w", "h"), [(7681, 4321), (33, 47), (641, 359)])
def test_the_concat_size_hint_is_a_value_the_catalogue_takes(w: int, h: int) -> None:
    """The hint after differing resolutions names an ``s``; its range was a second copy of ``s``'s
    (64-4096, even): feeding the hint back must pass validation."""
    import re

    from mediaproc.ops.concat import check_infos

    def info(width: int, height: int) -> dict[str, object]:
        video = [{"CodecName": "h264", "Width": str(width), "Height": str(height), "FrameRate": "25"}]
        return {"Streams": {"VideoStream": video, "AudioStream": [{"CodecName": "aac", "SampleRate": "44100"}]}}

    word = "video/concat:f=mp4,vcodec=h264,acodec=aac"
    (problem,) = check_infos(parse_chain([word])[0], {"a.mp4": info(w, h), "b.mp4": info(640, 360)})
    found = re.search(r"s=(\d+x\d+)", problem.hint or "")
    assert found is not None, problem.hint
    parse_chain([f"{word},s={found.group(1)}"])  # raises InvalidOperation if out of range or odd


def test_sharpen_maps_the_oss_range_onto_cis_from_the_catalogues_range() -> None:
    """OSS sharpen takes 50-399, CI 10-300; the COS rescale kept its own copy of OSS's range."""
    from mediaproc.ops.catalog.image import SHARPEN
    from mediaproc.ops.cos.image_rules import sharpen_from_cos, sharpen_to_cos

    assert SHARPEN.range_of("v") == (50, 399)
    assert (sharpen_to_cos(50), sharpen_to_cos(399)) == (10, 300)
    assert (sharpen_from_cos(10), sharpen_from_cos(300)) == (50, 399)
    with pytest.raises(InvalidOperation):
        parse_chain(["sharpen:v=400"])


def test_the_exit_code_tables_are_the_enum() -> None:
    """README's Scripting table is the documented one; errors.py's docstring repeats it for the reader
    of the code. Both list exactly the codes ``ExitCode`` has."""
    import re
    from pathlib import Path

    from mediaproc import errors
    from mediaproc.errors import ExitCode

    codes = {int(code) for code in ExitCode}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    scripting = readme.split("\n## Scripting", 1)[1].split("\n## ", 1)[0]
    assert {int(n) for n in re.findall(r"^\| (\d+) \|", scripting, flags=re.M)} == codes
    assert {int(n) for n in re.findall(r"^ ?(\d+) {2,}\S", errors.__doc__ or "", flags=re.M)} == codes


def test_image_detect_offers_the_catalogues_detections() -> None:
    """``image detect --kind`` lists the detections; the catalogue's JSON-answering AI operations are them
    (all but blindwatermark-extract, which has its own command)."""
    from mediaproc.cli.image import DetectKind
    from mediaproc.engine.vision import is_analysis
    from mediaproc.ops.catalog import all_specs

    analyses = {spec.name for spec in all_specs() if is_analysis(spec)}
    assert {kind.value for kind in DetectKind} == analyses - {"blindwatermark-extract"}


def test_blind_watermark_strengths_are_the_catalogues() -> None:
    """low, medium, high: the catalogue's ``s``; the local engine has a step for each, CI a level for each."""
    from mediaproc.engine.vision import blindwatermark
    from mediaproc.ops.catalog.ai import BLINDWATERMARK_EMBED, STRENGTHS
    from mediaproc.ops.cos.watermarks import BWM_LEVELS

    assert STRENGTHS == ("low", "medium", "high") == blindwatermark.STRENGTHS
    assert set(blindwatermark.STEPS) == set(BWM_LEVELS) == set(STRENGTHS)
    assert BLINDWATERMARK_EMBED.default("s") == "low"


def _section(text: str, heading: str) -> str:
    return text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_prose_that_restates_limits_and_serve_defaults_agrees_with_the_code() -> None:
    """README's "Reliability" paragraph and docs/limits.md's "Bodies and load" restate limits.py, serve's
    admission defaults and xmlbody's guards in words; docs/limits.md's tables are held by test_limits."""
    from pathlib import Path

    from mediaproc import limits, xmlbody
    from mediaproc.emulator.admission import DEFAULT_MAX_PROCESSING, DEFAULT_MAX_QUEUE

    root = Path(__file__).resolve().parents[1]
    readme = _section((root / "README.md").read_text(encoding="utf-8"), "## Reliability: every input bounded")
    flat = " ".join(readme.split())

    def mp(name: str, table: Mapping[str, limits.Limit] = limits.CEILINGS) -> str:
        value = table[name].value
        return f"{value / 1e6:.1f}".removesuffix(".0") + " MP"

    said = [
        f"OSS: {limits.OSS['image_source_bytes'].show()}, {limits.OSS['source_side'].value:,} px a side, "
        f"{mp('source_pixels', limits.OSS)} image sources, "
        f"watermark texts of {limits.SHARED['text_bytes'].value} bytes",
        f"COS/CI: {limits.COS['image_source_bytes'].show()}, {limits.COS['source_frames'].value} frames, "
        f"results of {limits.COS['output_side'].value:,} px a side",
        f"({mp('output_pixels')} per result, {limits.CEILINGS['source_frames'].value:,} source frames, "
        f"{mp('text_pixels')} of watermark text, {limits.CEILINGS['chain_ops'].value} operations per chain, "
        f"{limits.CEILINGS['media_seconds'].value // 3600} h of media, "
        f"{limits.CEILINGS['output_frames'].value:,} frames written)",
        f"`--max-processing` ({DEFAULT_MAX_PROCESSING}) processing requests at once, queues `--max-queue` "
        f"({DEFAULT_MAX_QUEUE}) more",
        f"worst case is {DEFAULT_MAX_PROCESSING} requests",
    ]
    for words in said:
        assert words in flat, words
    load = " ".join(_section((root / "docs" / "limits.md").read_text(encoding="utf-8"),
                             "## Bodies and load (`mediaproc serve`)").split())
    for words in (f"`MAX_BYTES` ({xmlbody.MAX_BYTES // 2**20} MiB)", f"`MAX_DEPTH` ({xmlbody.MAX_DEPTH})",
                  f"default {DEFAULT_MAX_PROCESSING})", f"(default {DEFAULT_MAX_QUEUE})"):
        assert words in load, words
    serve = " ".join((root / "docs" / "serve.md").read_text(encoding="utf-8").split())
    for words in (f"`--max-processing N` at once (default {DEFAULT_MAX_PROCESSING},",
                  f"`--max-queue N` more waiting (default {DEFAULT_MAX_QUEUE},",
                  f"one over {xmlbody.MAX_BYTES // 2**20} MiB with `400 EntityTooLarge`"):
        assert words in serve, words


def test_the_environment_variables_named_in_help_and_readme_are_configs() -> None:
    """``config.ENV_VARS`` is what is read; the root options' ``[env: X]`` and README's Configuration table
    name them again (README's lacked the reference skill's ALIBABA_CLOUD_ASYNC_TIMEOUT_SECONDS)."""
    import re
    from pathlib import Path

    import typer

    from mediaproc.cli.app import app
    from mediaproc.config import ENV_VARS

    named = 0
    for param in typer.main.get_command(app).params:
        found = re.search(r"\[env: (\w+)\]", getattr(param, "help", None) or "")
        if found:
            named += 1
            assert param.name is not None and ENV_VARS[param.name][0] == found.group(1), param.name
    assert named >= 9
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `--([a-z-]+)` \| (.+) \|$", _section(readme, "## Configuration"), flags=re.M)
    assert len(rows) >= 10
    for flag, cell in rows:
        setting = "output" if flag == "json" else flag.replace("-", "_")
        assert tuple(v.split("=")[0] for v in re.findall(r"`([A-Z_=a-z]+)`", cell)) == ENV_VARS[setting], flag


def test_the_missing_watermark_ec_is_one_value_for_serve_and_the_provider() -> None:
    """OSS 0040-00000025 (help.aliyun.com/zh/oss/support/0040-00000025): serve answers with it, the OSS
    provider recognises it; each kept its own literal."""
    from mediaproc.emulator import errors as serve_errors
    from mediaproc.ops.oss import EC_WATERMARK_MISSING
    from mediaproc.providers.oss import errors as provider_errors

    assert EC_WATERMARK_MISSING == "0040-00000025"
    assert serve_errors.EC_WATERMARK_MISSING is provider_errors.EC_WATERMARK_MISSING is EC_WATERMARK_MISSING


def test_media_defaults_are_the_catalogues_for_the_engine_and_the_cos_jobs() -> None:
    """OSS's defaults the COS job body writes out and the local engine applies: a sprite's 6 x 6 tiles,
    2 px pad and margin; an HLS segment of 10 s in H.264; video/convert copies the video. The engine and
    the COS tables each held their own numbers (and the catalogue had no default for st or HLS's vcodec)."""
    from mediaproc.engine.av.common import documented
    from mediaproc.ops.cos.jobs import media_job_request

    def job(word: str) -> dict[str, object]:
        op = parse_chain([word])[0]
        request = media_job_request(op, input_key="a.mp4", bucket="b-1250000000", region="ap-guangzhou",
                                    output_key="o/x")
        operation = request["Operation"]
        assert isinstance(operation, dict)
        node = operation[request["Tag"]]
        assert isinstance(node, dict)
        return node

    sprite = parse_chain(["video/sprite:f=jpg,sw=160,sh=120,m=key"])[0]
    assert {key: documented(sprite, key) for key in ("tw", "th", "pad", "margin")} == {
        "tw": 6, "th": 6, "pad": 2, "margin": 2}
    assert job("video/sprite:f=jpg,sw=160,sh=120,m=key")["SpriteSnapshotConfig"] == {
        "CellWidth": "160", "CellHeight": "120", "Padding": "2", "Margin": "2", "Color": "Black",
        "Columns": "6", "Lines": "6"}
    hls = parse_chain(["hls/m3u8"])[0]
    assert (documented(hls, "st"), documented(hls, "vcodec")) == (10_000, "h264")
    assert job("hls/m3u8") == {"Container": {"Format": "hls", "ClipConfig": {"Duration": "10"}},
                               "Video": {"Codec": "H.264"}}
    assert documented(parse_chain(["video/convert:f=mp4"])[0], "vcodec") == "copy"
    assert job("video/convert:f=mp4")["Video"] == {"Codec": "copy"}


def test_the_av_engine_joins_what_the_catalogue_says_joins(tmp_path: Path) -> None:
    """Extra inputs go to the operations whose spec ``joins`` (the catalogue's flag); the engine kept a
    name list and a second wording of validation's refusal."""
    from mediaproc.engine.av import run_media
    from mediaproc.engine.av.common import ConcatPart
    from mediaproc.ops.catalog import all_specs

    assert {s.name for s in all_specs() if s.joins} == {"video/concat", "audio/concat"}
    op = parse_chain(["video/convert:f=mp4"])[0]
    with pytest.raises(InvalidOperation) as err:
        run_media(op, SAMPLE_MP4, tmp_path / "b.mp4", inputs=[ConcatPart(path=SAMPLE_MP4)])
    assert not (tmp_path / "b.mp4").exists()
    assert err.value.message == "extra inputs only apply to video/concat and audio/concat"


def test_a_missing_local_source_of_a_cloud_operation_is_one_refusal(tmp_path: Path) -> None:
    """OSS staging, COS staging and ``cos process`` each wrote this check (``cos process`` with a weaker
    hint); now they call one function."""
    import inspect

    from mediaproc.errors import ExitCode, NotFound
    from mediaproc.providers.cos import objects as cos_objects
    from mediaproc.providers.oss import staging as oss_staging
    from mediaproc.providers.staging import local_source_file
    from mediaproc.services import cos as cos_service

    with pytest.raises(NotFound) as err:
        local_source_file(tmp_path / "nope.jpg")
    assert err.value.exit_code == ExitCode.NOT_FOUND
    assert err.value.message == f"source {tmp_path / 'nope.jpg'} does not exist"
    assert "relative paths start in" in (err.value.hint or "")
    for module in (cos_objects, oss_staging, cos_service):
        assert "local_source_file(" in inspect.getsource(module), module.__name__


def test_max_source_size_help_states_the_defaults_sources_applies() -> None:
    """``--max-source-size``'s help (process and upload) repeats services.sources' defaults."""
    import typer

    from mediaproc.cli.app import app
    from mediaproc.hygiene import human_size
    from mediaproc.services import sources

    image, media = (human_size(v).replace(" ", "") for v in (sources.DEFAULT_MAX_IMAGE, sources.DEFAULT_MAX_MEDIA))
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    helps = {}
    for name in ("process", "upload"):
        command = root.commands[name]
        helps[name] = next(p.help for p in command.params if p.name == "max_source_size")
    assert f"default: {image} for images, {media} for video/audio" in (helps["process"] or "")
    assert f"default: {media}, one PutObject" in (helps["upload"] or "")


def test_a_watermark_images_own_processing_is_read_with_the_catalogues_spellings() -> None:
    """``logo.png?x-oss-process=image/...``: the engine kept its own wire-key, positional and gravity tables
    (``top_left`` where the catalogue says ``top-left``); now it reads the catalogue's."""
    from mediaproc.engine.image.watermark import parse_subchain

    assert parse_subchain("image/resize,m_fill,w_40,h_30/rotate,90/crop,g_c,w_10/auto-orient,1") == [
        ("resize", {"mode": "fill", "w": 40, "h": 30}),
        ("rotate", {"angle": 90}),
        ("crop", {"g": "center", "w": 10}),
        ("auto-orient", {"v": 1}),
    ]
    assert parse_subchain("resize,P_30+rotate,degree_45+crop,g_top-left,w_5") == [
        ("resize", {"P": 30}), ("rotate", {"angle": 45}), ("crop", {"g": "nw", "w": 5})]


def test_cos_spells_every_gravity_the_catalogue_has() -> None:
    """CI spells gravity in full (northwest .. southeast, SPEC.md §6); its table covers the catalogue's nine."""
    from mediaproc.ops.cos.common import GRAVITY_FULL

    g = WATERMARK.param("g")
    assert g is not None and set(GRAVITY_FULL) == set(g.choices)


def test_the_blind_watermark_decoding_task_type_is_the_catalogues() -> None:
    """IMM's TaskType DecodeBlindWatermark: the catalogue's ``imm_task``; the OSS provider and serve's IMM
    front each spelt it out."""
    import inspect

    from mediaproc.emulator.imm import front
    from mediaproc.ops.catalog.ai import BLINDWATERMARK_EXTRACT
    from mediaproc.providers.oss import imm

    assert BLINDWATERMARK_EXTRACT.imm_task == "DecodeBlindWatermark"
    for module in (front, imm):
        assert '"DecodeBlindWatermark"' not in inspect.getsource(module), module.__name__


def test_serves_option_defaults_are_its_configs() -> None:
    """``mediaproc serve``'s options restate ServeConfig's and FaultSettings' defaults (the CLI may not
    import the server to read them: aiohttp stays out of ``--help``). Where they differ on purpose (the
    CLI logs each request and uses every core) the test says so."""
    import dataclasses

    import typer

    from mediaproc.cli.app import app
    from mediaproc.emulator.faults import FaultSettings
    from mediaproc.emulator.server import ServeConfig

    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    options = {p.name: p.default for p in root.commands["serve"].params}
    config = {f.name: f.default for f in dataclasses.fields(ServeConfig)}
    faults = {f.name: f.default for f in dataclasses.fields(FaultSettings)}
    faults |= {f"fault_{k}": v for k, v in faults.items()}
    on_purpose = {"workers", "access_log"}  # every core; one log line per request
    checked = 0
    for name, default in options.items():
        for table in (config, faults):
            if name in table and name not in on_purpose and table[name] is not dataclasses.MISSING:
                assert default == table[name] or (default is None and table[name] == ()), name
                checked += 1
    assert checked >= 14


def test_cis_audio_only_containers_are_the_catalogues() -> None:
    """Which containers hold no video: the catalogue's AUDIO_CONTAINERS, in CI's names (oga is ogg there;
    CI has no ac3 container); the COS job table kept its own list."""
    from mediaproc.ops.cos.job_fields import AUDIO_CONTAINERS, CONTAINERS

    assert {"mp3", "aac", "flac", "ogg", "opus", "amr"} == AUDIO_CONTAINERS
    assert not AUDIO_CONTAINERS & {CONTAINERS[c] for c in ("mp4", "mkv", "mov", "avi", "ts", "flv", "webm")}


def test_every_codec_the_catalogue_takes_has_an_encoder_and_a_ci_name() -> None:
    """The catalogue's vcodec/acodec choices; the engine maps each to an ffmpeg encoder, CI to its name."""
    from mediaproc.engine.av.common import AUDIO_ENCODERS, VIDEO_ENCODERS
    from mediaproc.ops.catalog._media import ACODECS, VCODECS
    from mediaproc.ops.cos import job_fields

    assert set(VCODECS) == set(job_fields.VCODECS) and set(ACODECS) == set(job_fields.ACODECS)
    assert set(VCODECS) - {"copy"} == set(VIDEO_ENCODERS) and set(ACODECS) - {"copy"} == set(AUDIO_ENCODERS)


def test_a_frames_format_comes_from_f_the_name_or_the_catalogues_default() -> None:
    """Frame formats: ``f``, a jpg/png name (the catalogue's extension table, .JPEG too), else video/snapshot's
    documented default jpg; the engine kept its own extension map and default."""
    from mediaproc.engine.av.frames import _image_format
    from mediaproc.ops.catalog import get_spec
    from mediaproc.ops.model import Op

    snapshot = Op(spec=get_spec("video/snapshot"))
    assert get_spec("video/snapshot").default("f") == "jpg"
    names = ("frame", "frame.JPEG", "frame.png", "frame.webp")
    assert [_image_format(snapshot, Path(n)) for n in names] == ["jpg", "jpg", "png", "jpg"]
    assert _image_format(Op(spec=get_spec("video/snapshot"), params={"f": "png"}), Path("x.jpg")) == "png"


def test_resize_defaults_are_the_catalogues_in_the_engine_and_the_cos_rules() -> None:
    """SPEC.md §4: m=lfit and limit=1 by default, pad colour FFFFFF; the engine's size plan, --verify and the
    COS rule writer each spelt them out."""
    from mediaproc.engine.image.geometry import resize_plan
    from mediaproc.ops.catalog.image import RESIZE
    from mediaproc.ops.cos import image_rule

    assert (RESIZE.default("mode"), RESIZE.default("limit"), RESIZE.default("color")) == ("lfit", 1, "FFFFFF")
    assert resize_plan(200, 100, {"w": 400}).scaled == (200, 100)  # limit 1: never enlarged
    assert resize_plan(200, 100, {"w": 150, "h": 80}).scaled == (150, 75)  # lfit
    assert image_rule(parse_chain(["resize:w=150,h=80"])) == "imageMogr2/thumbnail/150x80>"
    assert image_rule(parse_chain(["resize:w=150,h=80,mode=pad"])).endswith("/pad/1/color/I0ZGRkZGRg")
