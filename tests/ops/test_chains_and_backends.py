"""Chaining rules (SPEC.md §1), backend support and warnings, and native round trips."""

from __future__ import annotations

import pytest

from mediaproc.ops import Mode, Produces, check_backend, parse_chain
from mediaproc.ops.model import Family
from mediaproc.ops.oss import encode as oss


def test_image_basic_operations_chain_freely() -> None:
    chain = parse_chain(
        [
            "auto-orient",
            "resize:w=800",
            "crop:w=600,h=400,g=c",
            "rotate:angle=90",
            "watermark:text=x",
            "blur:r=1,s=1",
            "sharpen:v=100",
            "bright:v=10",
            "contrast:v=-10",
            "rounded-corners:r=10",
            "quality:q=90",
            "interlace:mode=1",
            "format:target=jpg",
        ]
    )
    assert len(chain) == 13
    assert chain.mode is Mode.SYNC and chain.produces is Produces.IMAGE and chain.family is Family.IMAGE


def test_blindwatermark_embed_may_follow_basic_ops_and_must_be_last() -> None:
    chain = parse_chain(["resize:w=1200", "format:target=png", "blindwatermark-embed:content=Mark,s=high"])
    assert chain[-1].name == "blindwatermark-embed"
    assert parse_chain(["blindwatermark-embed:content=x"]).produces is Produces.IMAGE


@pytest.mark.parametrize(
    "name", ["info", "average-hue", "faces", "bodies", "cars", "codes", "labels", "score", "blindwatermark-extract"]
)
def test_standalone_operations(name: str) -> None:
    assert len(parse_chain([name])) == 1
    with pytest.raises(Exception, match="must be used alone"):
        parse_chain(["resize:w=10", name])
    with pytest.raises(Exception, match="must be used alone"):
        parse_chain([name, "resize:w=10"])


def test_async_modes_propagate_to_the_chain() -> None:
    assert parse_chain(["blindwatermark-extract:s=low"]).mode is Mode.ASYNC
    assert parse_chain(["video/convert:f=mp4"]).mode is Mode.ASYNC
    assert parse_chain(["video/snapshot:t=1000"]).mode is Mode.SYNC
    assert parse_chain(["hls/m3u8"]).produces is Produces.PLAYLIST


def test_backend_support() -> None:
    for backend in ("local", "oss", "cos"):
        assert check_backend(parse_chain(["resize:w=10"]), backend) == []
    assert check_backend(parse_chain(["flip:v=2"]), "local") == []
    assert check_backend(parse_chain(["flip:v=2"]), "cos") == []
    assert check_backend(parse_chain(["cars"]), "oss") == []
    assert check_backend(parse_chain(["crop:g=auto"]), "local") == []


def test_warnings_do_not_stop_the_request() -> None:
    warnings = check_backend(parse_chain(["circle:r=100", "format:target=jpg"]), "oss")
    assert [w.warning for w in warnings] == [True]
    assert "white corners" in warnings[0].message and "png" in (warnings[0].hint or "")
    assert check_backend(parse_chain(["circle:r=100", "format:target=png"]), "oss") == []
    # without a format op the source format decides
    assert check_backend(parse_chain(["rounded-corners:r=10"]), "local", source_format="JPG")
    assert not check_backend(parse_chain(["rounded-corners:r=10"]), "local", source_format="png")
    assert check_backend(parse_chain(["quality:q=80", "format:target=png"]), "oss")[0].message == (
        "quality has no effect on png output"
    )
    assert "interlace" in check_backend(parse_chain(["interlace:mode=1", "format:target=webp"]), "oss")[0].message
    convert = check_backend(parse_chain(["video/convert:f=mp4,vb=2000000"]), "oss")
    assert "vcodec" in convert[0].message and "vcodec=h264" in (convert[0].hint or "")
    assert check_backend(parse_chain(["video/convert:f=mp4,vcodec=h264,vb=2000000"]), "oss") == []
    assert check_backend(parse_chain(["resize:w=10,color=FF0000"]), "local")[0].warning


NATIVE = [
    "image/resize,m_fill,w_400,h_300",
    "image/resize,l_100,limit_0",
    "image/resize,m_pad,w_200,h_200,color_F5F5F5",
    "image/crop,w_200,h_200,x_10,y_20,g_se",
    "image/crop,g_auto",
    "image/crop,w_100,h_100,g_face,p_150",
    "image/indexcrop,x_100,i_0",
    "image/rotate,45/auto-orient,0",
    "image/quality,q_80/quality,Q_70",
    "image/format,avif",
    "image/interlace,1/format,jpg",
    "image/watermark,text_5L2g5aW9,type_d3F5LXplbmhlaQ,size_30,color_FFFFFF,t_60,g_se,x_10,y_10",
    "image/watermark,image_bG9nby5wbmc,t_50,g_nw,fill_1,padx_10,pady_10,P_20",
    "image/watermark,text_YQ,image_Yg,order_1,align_1,interval_10",
    "image/blur,r_25,s_50,g_faces,p_200",
    "image/sharpen,100/bright,-30/contrast,30",
    "image/circle,r_100/format,png",
    "image/rounded-corners,r_30/format,webp",
    "image/resize,w_800/blindwatermark,content_Q29weXJpZ2h0,s_medium,q_95",
    "image/deblindwatermark,s_high",
    "image/info",
    "image/average-hue",
    "image/score",
    "video/convert,f_mp4,vcodec_h264,acodec_aac,s_1920x1080,scaletype_fit,fps_30,vb_2000000,ab_100000",
    "video/convert,f_mp3,ss_5000,t_30000,vn_1,ar_44100,ac_2,aq_90",
    "video/convert,f_mp4,vcodec_h265,crf_23,sn_1,videoslim_1,pixfmt_yuv420p,fpsopt_1,sopt_1,vbopt_1",
    "video/snapshot,t_0,f_png,w_0,h_0,m_fast,ar_auto",
    "video/info",
    "video/animation,f_gif,ss_1000,t_5000,num_20,fps_10,w_320,h_240,scaletype_crop",
    "video/snapshots,f_jpg,ss_0,m_dhash,inter_1000,w_640,h_360,thr_5",
    "video/sprite,f_jpg,m_key,num_25,sw_160,sh_120,tw_5,th_5,pad_0,margin_0",
    "video/concat,f_mp4,vcodec_h264,acodec_aac,fps_25,vb_1000000,ab_96000,ar_48000,ac_2,align_1",
    "audio/convert,f_flac,ar_48000,ac_2,adepth_24",
    "audio/concat,f_mp3,ar_44100,ac_2,ab_192000,align_0",
    "audio/info",
    "hls/m3u8,ss_15000,t_1800000,st_10000,initd_30000,vcodec_h264,fps_25,s_1280x720,vb_2000000,acodec_aac,ab_128000",
]


@pytest.mark.parametrize("native", NATIVE)
def test_native_round_trip(native: str) -> None:
    chain = parse_chain([native])
    assert oss.process_string(chain) == native
    assert parse_chain([oss.process_string(chain)]) == chain


@pytest.mark.parametrize(
    "native",
    ["image/resize,h_300,w_400,m_fill", "x-oss-process=image/watermark,g_se,text_SGk=", "resize,w_1/format,jpeg"],
)
def test_native_is_canonicalised(native: str) -> None:
    first = oss.process_string(parse_chain([native]))
    assert oss.process_string(parse_chain([first])) == first
    assert parse_chain([first]) == parse_chain([native])


@pytest.mark.parametrize(
    ("words", "imm"),
    [
        (["resize:w=10", "crop:w=5"], False),
        (["info"], False),
        (["crop:g=auto"], True),
        (["crop:g=face,p=120"], True),
        (["blur:r=5,s=5,g=faces"], True),
        (["blur:r=5,s=5"], False),
        (["faces"], True),
        (["resize:w=10", "blindwatermark-embed:content=x"], True),
        (["video/info"], True),
        (["hls/m3u8"], True),
    ],
)
def test_needs_imm(words: list[str], imm: bool) -> None:
    from mediaproc.ops.validate import needs_imm

    assert needs_imm(parse_chain(words)) is imm
