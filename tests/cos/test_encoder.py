"""The COS encoder (mediaproc.ops.cos): golden rules, the inverse the emulator uses, refusals, job XML as the
SDK serialises it, metadata normalisation, and --dry-run through the CLI (no credentials needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cos.conftest import BUCKET, REGION
from mediaproc.errors import ExitCode, InvalidOperation, UnsupportedOperation
from mediaproc.ops import cos as enc
from mediaproc.ops.parse import parse_chain

GOLDEN = [
    (["resize:w=600"], "imageMogr2/thumbnail/600x>"),
    (["resize:h=300"], "imageMogr2/thumbnail/x300>"),
    (["resize:w=600,limit=0"], "imageMogr2/thumbnail/600x"),
    (["resize:w=400,h=300"], "imageMogr2/thumbnail/400x300>"),
    (["resize:w=400,h=300,mode=mfit"], "imageMogr2/thumbnail/!400x300r"),
    (["resize:w=400,h=300,mode=fill"], "imageMogr2/thumbnail/!400x300r/crop/400x300/gravity/center"),
    (["resize:w=400,h=300,mode=pad"], "imageMogr2/thumbnail/400x300>/pad/1/color/I0ZGRkZGRg"),
    (["resize:w=400,h=300,mode=fixed"], "imageMogr2/thumbnail/400x300!"),
    (["resize:p=50"], "imageMogr2/thumbnail/!50p"),
    (["resize:l=100"], "imageMogr2/thumbnail/100x100>"),
    (["resize:s=100"], "imageMogr2/thumbnail/!100x100r"),
    (["crop:w=200,h=200,g=c"], "imageMogr2/crop/200x200/gravity/center"),
    (["crop:w=200,h=100,g=se"], "imageMogr2/crop/200x100/gravity/southeast"),
    (["crop:w=100,h=80,x=10,y=20"], "imageMogr2/cut/100x80x10x20"),
    (["rotate:angle=90"], "imageMogr2/rotate/90"),
    (["flip:v=0"], "imageMogr2/flip/vertical"),
    (["flip:v=2"], "imageMogr2/flip/vertical|imageMogr2/flip/horizontal"),
    (["resize:w=800", "quality:Q=80", "format:target=webp"], "imageMogr2/thumbnail/800x>/quality/80/format/webp"),
    (["quality:q=90"], "imageMogr2/rquality/90"),
    (["format:target=heic"], "imageMogr2/format/heif"),
    (["interlace:mode=1", "format:target=jpg"], "imageMogr2/interlace/1/format/jpg"),
    (["blur:r=3,s=2"], "imageMogr2/blur/3x2"),
    (["sharpen:v=50"], "imageMogr2/sharpen/10"),
    (["sharpen:v=399"], "imageMogr2/sharpen/300"),
    (["bright:v=10", "contrast:v=-20"], "imageMogr2/bright/10/contrast/-20"),
    (["auto-orient"], "imageMogr2/auto-orient"),
    (["circle:r=100", "format:target=png"], "imageMogr2/iradius/100/format/png"),
    (["rounded-corners:r=30"], "imageMogr2/rradius/30"),
    (
        ["watermark:text=Hello World"],
        "watermark/2/text/SGVsbG8gV29ybGQ/fontsize/40/fill/IzAwMDAwMA/gravity/southeast/dx/10/dy/10/dissolve/100",
    ),
    (
        ["watermark:text=Hi,type=wqy-zenhei,size=20,color=FF0000,t=50,g=nw,x=5,y=6,shadow=30"],
        "watermark/2/text/SGk/font/d3F5LXplbmhlaS50dGY/fontsize/20/fill/I0ZGMDAwMA/gravity/northwest/dx/5/dy/6"
        "/dissolve/50/shadow/30",
    ),
    (
        ["watermark:text=x,fill=1,rotate=45"],
        "watermark/2/text/eA/fontsize/40/fill/IzAwMDAwMA/gravity/southeast/dx/10/dy/10/dissolve/100/batch/1/degree/45",
    ),
    (
        ["watermark:image=logo.png,P=30"],
        # http://media-1250000000.cos.ap-guangzhou.myqcloud.com/logo.png
        "watermark/1/image/aHR0cDovL21lZGlhLTEyNTAwMDAwMDAuY29zLmFwLWd1YW5nemhvdS5teXFjbG91ZC5jb20vbG9nby5wbmc"
        "/gravity/southeast/dx/10/dy/10/dissolve/100/scatype/1/spcent/300",
    ),
    (
        ["resize:w=300", "watermark:text=A", "format:target=png"],
        "imageMogr2/thumbnail/300x>|watermark/2/text/QQ/fontsize/40/fill/IzAwMDAwMA/gravity/southeast/dx/10/dy/10"
        "/dissolve/100|imageMogr2/format/png",
    ),
    # smart crop (AIImageCrop, alone), face crop (scrop), text blind watermark (watermark/3)
    (["crop:g=auto,w=300,h=200"], "ci-process=AIImageCrop&width=300&height=200&fixed=1"),
    (["crop:g=face,w=160,h=160", "rotate:angle=90"], "imageMogr2/scrop/160x160/rotate/90"),
    (["blindwatermark-embed:content=Hi"], "watermark/3/type/3/text/SGk/level/1/version/3.0"),
    (["blindwatermark-embed:content=Hi,s=medium"], "watermark/3/type/3/text/SGk/level/2/version/3.0"),
    (
        # output settings go before the blind watermark, which stays last
        ["resize:w=300", "format:target=png", "blindwatermark-embed:content=中文 ok,s=high"],
        "imageMogr2/thumbnail/300x>/format/png|watermark/3/type/3/text/5Lit5paHIG9r/level/3/version/3.0",
    ),
    (
        ["watermark:text=A", "quality:Q=90", "blindwatermark-embed:content=x"],
        "watermark/2/text/QQ/fontsize/40/fill/IzAwMDAwMA/gravity/southeast/dx/10/dy/10/dissolve/100"
        "|imageMogr2/quality/90|watermark/3/type/3/text/eA/level/1/version/3.0",
    ),
]


@pytest.mark.parametrize(("words", "rule"), GOLDEN, ids=[" ".join(w) for w, _ in GOLDEN])
def test_golden_rules(words: list[str], rule: str) -> None:
    chain = parse_chain(words)
    assert enc.image_rule(chain.ops, bucket=BUCKET, region=REGION) == rule


@pytest.mark.parametrize(("words", "rule"), GOLDEN, ids=[" ".join(w) for w, _ in GOLDEN])
def test_inverse_is_stable(words: list[str], rule: str) -> None:
    """What the emulator reads back encodes to the same rule (the two directions agree)."""
    ops = enc.parse_rule(rule)
    assert enc.image_rule(ops, bucket=BUCKET, region=REGION) == rule


def test_inverse_keeps_meaning() -> None:
    # !WxHr then a centred WxH crop is what resize fill writes, and reads back as one resize
    ops = enc.parse_rule("imageMogr2/thumbnail/!400x300r/crop/400x300/gravity/center|imageMogr2/rotate/90")
    assert [(o.name, dict(o.params)) for o in ops] == [
        ("resize", {"mode": "fill", "w": 400, "h": 300, "limit": 0}),
        ("rotate", {"angle": 90}),
    ]
    ops = enc.parse_rule("imageMogr2/thumbnail/!400x300r/crop/200x300/gravity/center")
    assert [(o.name, dict(o.params)) for o in ops] == [
        ("resize", {"mode": "mfit", "w": 400, "h": 300, "limit": 0}),
        ("crop", {"w": 200, "h": 300, "g": "center"}),
    ]
    # a gravity written before its crop, and CI's ignore-error switch
    ops = enc.parse_rule("imageMogr2/ignore-error/1/gravity/south/crop/50x60")
    assert [(o.name, dict(o.params)) for o in ops] == [("crop", {"w": 50, "h": 60, "g": "south"})]
    assert [dict(o.params) for o in enc.parse_rule("imageMogr2/flip/vertical|imageMogr2/flip/horizontal")] == [{"v": 2}]
    wm = enc.parse_rule("watermark/2/text/SGk/gravity/north")[0]
    # CI's own defaults when a rule leaves them out (dissolve 90, dx/dy 0, fill #3D3D3D, 13 pt)
    assert dict(wm.params) == {"g": "north", "x": 0, "y": 0, "t": 90, "text": "Hi", "size": 13, "color": "3D3D3D"}
    # URL-encoded rules (as they arrive in a query string) read the same
    assert [o.name for o in enc.parse_rule("imageMogr2%2Fthumbnail%2F600x%3E")] == ["resize"]


@pytest.mark.parametrize(
    ("words", "needle"),
    [
        (["indexcrop:x=100,i=1"], "indexcrop"),
        (["crop:w=100,h=100,g=auto", "rotate:angle=90"], "g=auto together"),
        (["crop:w=100,g=auto"], "without both w and h"),
        (["crop:w=100,h=100,g=face,p=150"], "p=150"),
        (["crop:g=face,h=100"], "without both w and h"),
        (["crop:w=100,h=100,g=se,x=5"], "x/y"),
        (["blur:r=3,s=2,g=faces"], "face"),
        (["blindwatermark-embed:content=x,q=95"], "q=95"),
        (["blindwatermark-extract:s=low"], "s=low"),
        (["blindwatermark-extract:model=fft_full"], "model=fft_full"),
        (["format:target=tiff"], "tiff"),
        (["resize:w=100,mode=fixed"], "fixed"),
        (["watermark:text=a,voffset=10,g=west"], "voffset"),
        (["watermark:text=a,image=b.png"], "text and image"),
        (["watermark:text=a,rotate=30"], "rotate"),
        (["video/snapshots:f=jpg,m=dhash,num=3"], "m=dhash"),
        (["video/animation:f=gif,num=10"], "num"),
        (["video/convert:f=mp4,vcodec=h264,videoslim=1"], "videoslim"),
    ],
)
def test_refused_before_any_request(words: list[str], needle: str) -> None:
    with pytest.raises(UnsupportedOperation) as info:
        enc.check_chain(parse_chain(words), bucket=BUCKET, region=REGION)
    assert info.value.exit_code == ExitCode.USAGE
    assert needle in info.value.message
    assert info.value.hint


@pytest.mark.parametrize(
    ("words", "needle"),
    [
        (["resize:w=400,h=300,mode=mfit"], "thumbnail/!WxHr"),
        (["resize:s=100"], "thumbnail/!WxHr"),
        (["resize:w=400,h=300,mode=fixed"], "thumbnail/WxH!"),
        (["resize:w=400,h=300,mode=fixed,limit=0"], None),
        (["resize:w=400,h=300"], None),
        (["hls/m3u8:ta=3,initd=2000"], "ta, initd"),
    ],
)
def test_warnings_say_where_cos_differs(words: list[str], needle: str | None) -> None:
    """What runs on COS but may differ from OSS is said, and only that: CI's !WxHr and WxH! have no
    only-shrink form, and the HLS job has no transcode-while-playing."""
    warnings = enc.check_chain(parse_chain(words), bucket=BUCKET, region=REGION)
    if needle is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and needle in warnings[0], warnings


def test_blind_watermark_and_smart_crop_inverse() -> None:
    """The emulator's reading of CI's own spellings (levels 0-3, padded base64, extraction)."""
    (op,) = enc.parse_rule("watermark/3/type/3/text/SGk=/level/0")
    assert (op.name, dict(op.params)) == ("blindwatermark-embed", {"content": "Hi", "s": "low"})
    assert enc.parse_rule("watermark/3/type/3/text/SGk/level/3/version/3.0")[0].params["s"] == "high"
    (op,) = enc.parse_rule("watermark/4/type/3/version/3.0")
    assert (op.name, dict(op.params)) == ("blindwatermark-extract", {})
    (op,) = enc.parse_rule("ci-process=AIImageCrop&width=64.0&height=48&fixed=1")
    assert dict(op.params) == {"g": "auto", "w": 64, "h": 48}
    for bad in (
        "watermark/3/type/1/image/aHR0cDovL2EvYi5wbmc",  # image blind watermarks: never sent
        "watermark/4/type/2/image/aHR0cDovL2EvYi5wbmc",
        "watermark/3/type/3/level/2",  # no text
        "watermark/3/type/3/text/SGk/level/9",
        "ci-process=AIImageCrop&width=64&height=48",  # fixed=0: the ratio-only crop
        "ci-process=DetectFace",
    ):
        with pytest.raises(InvalidOperation):
            enc.parse_rule(bad)
    assert enc.rule_params("imageMogr2/scrop/10x10") == {"imageMogr2/scrop/10x10": ""}
    assert enc.rule_params("ci-process=AIImageCrop&width=1&height=2&fixed=1") == {
        "ci-process": "AIImageCrop",
        "width": "1",
        "height": "2",
        "fixed": "1",
    }
    chain = parse_chain(["blindwatermark-embed:content=" + "x" * 256])  # CI's (and OSS's) limit
    assert enc.image_rule(chain.ops).endswith("/level/1/version/3.0")
    assert enc.request_kind(parse_chain(["blindwatermark-extract"])) == "extract"


def test_sharpen_is_rescaled_across_the_range() -> None:
    assert (enc.sharpen_to_cos(50), enc.sharpen_to_cos(399)) == (10, 300)
    assert all(10 <= enc.sharpen_to_cos(v) <= 300 for v in range(50, 400))
    assert all(abs(enc.sharpen_from_cos(enc.sharpen_to_cos(v)) - v) <= 1 for v in range(50, 400))


def test_pic_operations_and_fileids() -> None:
    header = enc.pic_operations([{"fileid": "/out/a.jpg", "rule": "imageMogr2/rotate/90"}])
    assert json.loads(header) == {"is_pic_info": 1, "rules": [{"fileid": "/out/a.jpg", "rule": "imageMogr2/rotate/90"}]}
    with pytest.raises(InvalidOperation):
        enc.pic_operations([{"fileid": f"{i}.jpg", "rule": "imageMogr2/rotate/90"} for i in range(6)])
    assert enc.fileid_key("photos/a.jpg", "thumb.jpg") == "photos/thumb.jpg"
    assert enc.fileid_key("photos/a.jpg", "/thumbs/a.jpg") == "thumbs/a.jpg"
    assert enc.fileid_key("a.jpg", "b.jpg") == "b.jpg"


def _sdk_xml(body: dict) -> str:
    from qcloud_cos.cos_comm import format_xml

    return format_xml(data=body, root="Request").decode("utf-8")


@pytest.mark.parametrize(
    ("words", "tag"),
    [
        (
            ["video/convert:f=mp4,vcodec=h264,acodec=aac,s=1280x720,fps=25,vb=1000000,ab=128000,ss=1500,t=5000"],
            "Transcode",
        ),
        (["audio/convert:f=mp3,ar=44100,ac=2,ab=128000"], "Transcode"),
        (["hls/m3u8:st=2000,vcodec=h264"], "Transcode"),
        (["video/snapshots:f=jpg,inter=1000,num=5,w=320,h=240"], "Snapshot"),
        (["video/sprite:f=png,num=4,tw=2,th=2,sw=64,sh=48,pad=1,margin=3"], "Snapshot"),
        (["video/animation:f=gif,inter=200,t=3000,w=160"], "Animation"),
        (["video/concat:f=mp4,vcodec=h264,acodec=aac"], "Concat"),
    ],
)
def test_job_body_is_what_the_sdk_sends_and_reads_back(words: list[str], tag: str) -> None:
    op = parse_chain(words)[0]
    refs = (
        (enc.ConcatRef("pre.mp4", "pre", ss=500, t=1000, bucket=BUCKET),
         enc.ConcatRef("post.mp4", bucket="other-1250000000"))
        if "concat" in op.name else ()
    )
    body = enc.media_job_request(
        op, input_key="in/a.mp4", bucket=BUCKET, region=REGION, output_key="out/b", inputs=refs
    )
    assert body["Tag"] == tag
    xml = enc.job_xml(body)
    assert xml == _sdk_xml(body)  # the dry-run shows byte for byte what ci_create_media_jobs sends
    spec = enc.parse_job_request(enc.parse_job_xml(xml))
    assert spec.op.name == op.name
    assert spec.input_key == "in/a.mp4"
    assert spec.inputs == refs
    again = enc.media_job_request(
        spec.op, input_key="in/a.mp4", bucket=BUCKET, region=REGION, output_key="out/b", inputs=spec.inputs
    )
    assert again == body


def test_job_details() -> None:
    op = parse_chain(["video/convert:f=mp4,vcodec=h265,s=640x360,ss=1500,t=2000"])[0]
    body = enc.media_job_request(op, input_key="a.mp4", bucket=BUCKET, region=REGION, output_key="b.mp4")
    tc = body["Operation"]["Transcode"]
    assert tc["Video"] == {"Codec": "H.265", "Width": "640", "Height": "360"}
    assert tc["TimeInterval"] == {"Start": "1.5", "Duration": "2"}
    assert body["Operation"]["Output"] == {"Region": REGION, "Bucket": BUCKET, "Object": "b.mp4"}
    sprite = parse_chain(["video/sprite:f=jpg,num=4,tw=2,th=2"])[0]
    out = enc.media_job_request(sprite, input_key="a.mp4", bucket=BUCKET, region=REGION, output_key="s/sheet.jpg")
    assert out["Operation"]["Output"]["SpriteObject"] == "s/sheet-${Number}.jpg"
    assert out["Operation"]["Snapshot"]["SnapshotOutMode"] == "OnlySprite"
    assert out["Operation"]["Snapshot"]["SpriteSnapshotConfig"]["Columns"] == "2"


def test_snapshot_params_round_trip() -> None:
    op = parse_chain(["video/snapshot:t=1500,w=320,f=png,m=fast,ar=auto"])[0]
    params = enc.snapshot_params(op)
    assert params == {
        "ci-process": "snapshot",
        "time": "1.5",
        "width": "320",
        "format": "png",
        "rotate": "auto",
        "mode": "keyframe",
    }
    assert dict(enc.parse_snapshot_params(params).params) == dict(op.params)


def test_metadata_shapes() -> None:
    info = enc.info_from_ci(
        {"format": "jpeg", "width": "640", "height": "427", "size": "112525", "md5": "x"},
        {"DateTimeOriginal": {"val": "2020:01:01 00:00:00", "type": 2}},
    )
    assert info == {
        "DateTimeOriginal": {"value": "2020:01:01 00:00:00"},
        "FileSize": {"value": "112525"},
        "Format": {"value": "jpg"},
        "ImageHeight": {"value": "427"},
        "ImageWidth": {"value": "640"},
    }
    assert enc.ave_from_ci({"RGB": "0x5C783B"}) == {"RGB": "0x5c783b"}
    # FrameCount (which OSS's image/info always answers) is CI's frame_count both ways, never an EXIF field
    gif = {"FileSize": {"value": "9"}, "Format": {"value": "gif"}, "FrameCount": {"value": "4"},
           "ImageHeight": {"value": "2"}, "ImageWidth": {"value": "3"}, "Make": {"value": "Cam"}}
    ci, exif = enc.oss_to_ci_info(gif, md5="x", hue=None)
    assert ci["frame_count"] == "4" and set(exif) == {"Make"}
    assert enc.info_from_ci(ci, exif) == gif
    oss = {
        "Format": {
            "Duration": "2.0",
            "Size": "100",
            "FormatName": "mov,mp4",
            "FormatLongName": "QuickTime",
            "Bitrate": "123456",
            "StartTime": "0",
            "NumberOfStreams": "2",
        },
        "Streams": {
            "VideoStream": [
                {
                    "Index": "0",
                    "CodecName": "h264",
                    "CodecLongName": "H.264",
                    "Profile": "High",
                    "Width": "160",
                    "Height": "120",
                    "FrameRate": "15",
                    "BitRate": "100000",
                    "PixelFormat": "yuv420p",
                    "Duration": "2",
                    "FrameCount": "30",
                }
            ],
            "AudioStream": [
                {
                    "Index": "1",
                    "CodecName": "aac",
                    "CodecLongName": "AAC",
                    "SampleRate": "44100",
                    "Channels": "1",
                    "ChannelLayout": "mono",
                    "SampleFormat": "fltp",
                    "BitRate": "69000",
                    "Duration": "2",
                }
            ],
        },
    }
    assert enc.mediainfo_to_oss(enc.oss_to_mediainfo(oss)) == oss


def test_dry_run_needs_no_credentials(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the suite's bare runner, not this package's `cli` (which brings credentials and a server);
    # the environment is the clean one of `isolated_env`
    from support.cli import Cli

    cli = Cli(capsys)

    def go(*args: str) -> tuple[int, str]:
        r = cli("--region", REGION, *args)
        return r.code, r.stdout

    src = f"cos://{BUCKET}/in/a.jpg"
    code, out = go("image", "process", src, "resize:w=600", "--to", str(tmp_path / "a.jpg"), "--dry-run")
    assert code == 0
    assert out.splitlines()[0] == f"GET /in/a.jpg?imageMogr2/thumbnail/600x>    (bucket {BUCKET})"
    code, out = go("image", "process", src, "resize:w=600", "--to", f"cos://{BUCKET}/out/a.jpg", "--dry-run")
    assert out.splitlines()[0].startswith("POST /in/a.jpg?image_process")
    header = json.loads(out.splitlines()[1].removeprefix("Pic-Operations: "))
    assert header == {"is_pic_info": 1, "rules": [{"fileid": "/out/a.jpg", "rule": "imageMogr2/thumbnail/600x>"}]}
    code, out = go(
        "--json",
        "process",
        f"cos://{BUCKET}/v/a.mp4",
        "video/convert:f=mp4,vcodec=h264",
        "--to",
        f"cos://{BUCKET}/v/b.mp4",
        "--dry-run",
    )
    data = json.loads(out)["data"]
    assert data["request_line"].startswith("POST /jobs")
    assert "<Tag>Transcode</Tag>" in data["body"] and "<Object>v/b.mp4</Object>" in data["body"]
    code, out = go("image", "info", src, "--dry-run")
    assert out.startswith("GET /in/a.jpg?imageInfo")
    r = cli("--region", REGION, "image", "process", src, "indexcrop:x=10", "--to", str(tmp_path / "b.jpg"), "--dry-run")
    assert (r.code, r.first_stderr_line) == (2, "Error: indexcrop is not available on the cos provider")


def test_region_rules() -> None:
    from mediaproc.config import Settings, cos_region

    assert cos_region(Settings(region="ap-beijing"), {"COS_REGION": "ap-shanghai"}) == "ap-beijing"
    oss_only = Settings(region="cn-hangzhou", sources={"region": "env ALIBABA_CLOUD_OSS_REGION"})
    assert cos_region(oss_only, {}) is None
    assert cos_region(oss_only, {"TENCENTCLOUD_REGION": "ap-chengdu"}) == "ap-chengdu"
