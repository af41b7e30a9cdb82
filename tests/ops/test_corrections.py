"""Every correction SPEC.md §2 makes to the reference skill's tables, one test each."""

from __future__ import annotations

import pytest

from mediaproc.errors import InvalidOperation
from mediaproc.ops import check_backend, get_spec, parse_chain
from mediaproc.ops.oss import encode as oss


def test_quality_q_is_relative_and_Q_absolute_and_both_warn() -> None:
    assert oss.process_string(parse_chain(["quality:q=80"])) == "image/quality,q_80"  # not Q_80
    assert oss.process_string(parse_chain(["quality:Q=80"])) == "image/quality,Q_80"
    both = parse_chain(["quality:q=80,Q=70"])
    assert dict(both[0].params) == {"q": 80, "Q": 70}
    warnings = check_backend(both, "oss")
    assert any("Q (absolute) wins" in w.message for w in warnings)
    assert all(w.warning for w in warnings)


def test_watermark_tiling_is_fill_with_padx_pady_and_P_is_size() -> None:
    chain = parse_chain(["watermark:text=DRAFT,tile=1,padx=20,pady=30"])
    assert oss.process_string(chain) == "image/watermark,text_RFJBRlQ,fill_1,padx_20,pady_30"
    assert oss.process_string(parse_chain(["watermark:image=a.png,P=100"])).endswith("P_100")
    with pytest.raises(InvalidOperation, match="P=101"):
        parse_chain(["watermark:image=a.png,P=101"])


def test_watermark_shadow_is_an_int_not_json() -> None:
    assert oss.process_string(parse_chain(["watermark:text=a,shadow=50"])) == "image/watermark,text_YQ,shadow_50"
    with pytest.raises(InvalidOperation, match="not a whole number"):
        parse_chain(['watermark:text=a,shadow={"Enable":true}'])


def test_watermark_extra_parameters_and_documented_defaults() -> None:
    chain = parse_chain(["watermark:text=a,image=b.png,rotate=45,voffset=-20,order=1,align=2,interval=5"])
    assert oss.process_string(chain) == (
        "image/watermark,text_YQ,image_Yi5wbmc,voffset_-20,rotate_45,order_1,align_2,interval_5"
    )
    spec = get_spec("watermark")
    defaults = {k: spec.param(k).default for k in ("g", "t", "x", "y", "size", "color", "type")}  # type: ignore[union-attr]
    assert defaults == {"g": "se", "t": 100, "x": 10, "y": 10, "size": 40, "color": "000000", "type": "wqy-zenhei"}
    assert oss.b64encode("wqy-zenhei") == "d3F5LXplbmhlaQ"


def test_rotate_is_one_value_with_angle_degree_aliases() -> None:
    assert parse_chain(["rotate:degree=270"])[0].params == {"angle": 270}
    assert oss.process_string(parse_chain(["rotate:degree=270"])) == "image/rotate,270"
    with pytest.raises(InvalidOperation, match="same parameter"):
        parse_chain(["rotate:angle=90,degree=180"])


def test_indexcrop_x_and_y_are_exclusive() -> None:
    assert oss.process_string(parse_chain(["indexcrop:y=200,i=1"])) == "image/indexcrop,y_200,i_1"
    with pytest.raises(InvalidOperation, match="cannot be used together"):
        parse_chain(["indexcrop:x=100,y=200"])
    with pytest.raises(InvalidOperation, match="cannot be used together"):
        parse_chain(["image/indexcrop,x_100,y_200,i_0"])


def test_crop_p_only_with_face_and_blur_p_only_with_face_or_faces() -> None:
    assert parse_chain(["crop:g=face,p=150"])[0].params == {"g": "face", "p": 150}
    parse_chain(["blur:g=faces,r=25,s=50,p=200"])
    with pytest.raises(InvalidOperation, match="p is only valid with g=face"):
        parse_chain(["crop:g=center,w=10,p=150"])
    with pytest.raises(InvalidOperation, match=r"g=face\|faces"):
        parse_chain(["blur:r=5,s=5,p=100"])


def test_snapshot_t0_and_fps0_are_valid() -> None:
    assert parse_chain(["video/snapshot:t=0,f=png"])[0].params == {"t": 0, "f": "png"}
    assert parse_chain(["video/convert:f=mp4,vcodec=h264,fps=0"])[0].params["fps"] == 0
    assert parse_chain(["video/animation:f=gif,fps=0"])[0].params["fps"] == 0


@pytest.mark.parametrize(
    ("word", "missing"),
    [
        ("video/animation:w=64", "f"),
        ("video/snapshots:num=3", "f"),
        ("video/sprite:num=9", "f"),
        ("audio/convert:ab=64000", "f"),
        ("audio/concat:ab=64000", "f"),
        ("video/concat:vcodec=h264,acodec=aac", "f"),
        ("video/concat:f=mp4,acodec=aac", "vcodec"),
        ("video/concat:f=mp4,vcodec=h264", "acodec"),
    ],
)
def test_required_parameters(word: str, missing: str) -> None:
    with pytest.raises(InvalidOperation, match=f"missing required parameter {missing}$"):
        parse_chain([word])


def test_sprite_needs_num_or_inter_unless_it_takes_keyframes() -> None:
    with pytest.raises(InvalidOperation, match="give num or inter"):
        parse_chain(["video/sprite:f=jpg,tw=5,th=5"])
    parse_chain(["video/sprite:f=jpg,tw=5,th=5,num=25"])
    parse_chain(["video/sprite:f=jpg,inter=1000"])
    # the reference skill's own example (video-operations.md): keyframes, neither num nor inter
    parse_chain(["video/sprite:f=jpg,sw=160,sh=120,m=key,tw=4,th=4,pad=2,margin=2"])


@pytest.mark.parametrize(
    ("word", "ok"),
    [
        ("video/convert:f=mp4,fps=240", True),
        ("video/convert:f=mp4,fps=241", False),
        ("video/convert:f=mp4,vb=10000", True),
        ("video/convert:f=mp4,vb=100000001", False),
        ("video/convert:f=mp4,ab=1000", True),
        ("video/convert:f=mp4,ab=10000001", False),
        ("video/convert:f=mp4,vcodec=h264,crf=0", True),
        ("video/convert:f=mp4,vcodec=h264,crf=-1", False),
        ("video/convert:f=mp4,ac=8", True),
        ("video/convert:f=mp4,ac=0", False),
        ("video/convert:f=mp4,vcodec=h264,s=64x4096", True),
        ("video/convert:f=mp4,vcodec=h264,s=4098x64", False),
        ("video/convert:f=mp4,vcodec=h264,s=65x64", False),
        ("video/animation:f=gif,w=32,h=4096", True),
        ("video/animation:f=gif,h=4097", False),
        ("video/snapshots:f=jpg,w=31", False),
        ("video/sprite:f=jpg,num=1,sw=32,sh=4096", True),
        ("video/sprite:f=jpg,num=1,sh=31", False),
        ("video/sprite:f=jpg,num=1,tw=1,th=100", True),
        ("video/sprite:f=jpg,num=1,th=0", False),
        ("video/sprite:f=jpg,num=1,pad=0,margin=100", True),
        ("video/sprite:f=jpg,num=1,margin=101", False),
        ("video/sprite:f=jpg,num=1,m=dhash,thr=100", True),
        ("video/snapshots:f=jpg,m=dhash,thr=-1", False),
        ("audio/convert:f=mp3,aq=90", True),
        ("audio/convert:f=mp3,aq=90,ab=128000", False),
        ("audio/convert:f=flac,adepth=16", True),
        ("audio/concat:f=flac,adepth=24", True),
        ("audio/concat:f=mp3,adepth=24", False),
        ("video/convert:f=flac,vn=1,adepth=24", True),
        ("hls/m3u8:aq=50,ab=64000", False),
        ("resize:w=16384,limit=0", True),
        ("resize:l=16385", False),
        ("resize:s=0", False),
        ("resize:p=1", True),
        ("resize:p=1000", True),
        ("resize:p=0", False),
    ],
)
def test_ranges_and_exclusions(word: str, ok: bool) -> None:
    if ok:
        parse_chain([word])
    else:
        with pytest.raises(InvalidOperation):
            parse_chain([word])


def test_resize_only_limit_0_enlarges_is_documented() -> None:
    limit = get_spec("resize").param("limit")
    assert limit is not None and limit.default == 1 and "enlarge" in limit.help


def test_concat_at_most_11_inputs() -> None:
    from mediaproc.ops.validate import MAX_CONCAT_INPUTS, check_concat_inputs

    chain = parse_chain(["audio/concat:f=mp3"])
    assert MAX_CONCAT_INPUTS == 11
    check_concat_inputs(chain, 10)
    with pytest.raises(InvalidOperation, match="12 inputs in all; at most 11"):
        check_concat_inputs(chain, 11)


def test_verified_spellings_hls_prefix_and_blind_watermark_strength() -> None:
    assert oss.process_string(parse_chain(["hls/m3u8:st=10000,vcodec=h264"])) == "hls/m3u8,st_10000,vcodec_h264"
    embed = parse_chain(["resize:w=800", "blindwatermark-embed:content=Test,s=high"])
    assert oss.process_string(embed) == "image/resize,w_800/blindwatermark,content_VGVzdA,s_high"
    assert oss.process_string(parse_chain(["faces"])) == "image/faces"


def test_frame_counts_follow_the_oss_sprite_page() -> None:
    """OSS "视频截雪碧图": num/inter 0 = unlimited, m=avg needs num; psw/psh 0-200 as the skill
    documents (0 = the default 100, docs/decisions.md)."""
    assert parse_chain(["video/sprite:f=jpg,inter=0"])[0].params == {"f": "jpg", "inter": 0}
    parse_chain(["video/snapshots:f=jpg,m=avg,num=10"])
    with pytest.raises(InvalidOperation, match="m=avg needs num"):
        parse_chain(["video/sprite:f=jpg,m=avg,inter=1000"])
    parse_chain(["video/sprite:f=jpg,num=4,psw=200,psh=1"])
    assert parse_chain(["video/sprite:f=jpg,num=4,psw=0,psh=0"])[0].params["psw"] == 0
    assert parse_chain(["video/snapshots:f=jpg,num=4,pw=0,ph=200"])[0].params["pw"] == 0
    with pytest.raises(InvalidOperation, match="psw=201"):
        parse_chain(["video/sprite:f=jpg,num=4,psw=201"])
