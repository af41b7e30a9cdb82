"""OSS wire encoding: SPEC.md §3 golden strings (exactly), bodies, base64, and the inverse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaproc.errors import InvalidOperation
from mediaproc.ops import parse_chain
from mediaproc.ops.oss import encode as oss
from mediaproc.ops.oss.native import ConcatSegment

GOLDEN = [
    (["resize:w=600"], "image/resize,w_600"),
    (["resize:w=400,h=300,mode=fill"], "image/resize,m_fill,w_400,h_300"),
    (["crop:w=200,h=200,g=c"], "image/crop,w_200,h_200,g_center"),
    (["rotate:angle=90"], "image/rotate,90"),
    (["resize:w=800", "quality:Q=80", "format:target=webp"], "image/resize,w_800/quality,Q_80/format,webp"),
    (["watermark:text=Hello World"], "image/watermark,text_SGVsbG8gV29ybGQ"),
    (["watermark:image=panda.png,P=30"], "image/watermark,image_cGFuZGEucG5n,P_30"),
    (["blur:r=3,s=2"], "image/blur,r_3,s_2"),
    (["circle:r=100", "format:target=png"], "image/circle,r_100/format,png"),
    (["info"], "image/info"),
    (["video/snapshot:t=17000,f=jpg,w=800,h=600"], "video/snapshot,t_17000,f_jpg,w_800,h_600"),
]


@pytest.mark.parametrize(("words", "expected"), GOLDEN)
def test_golden_process_strings(words: list[str], expected: str) -> None:
    assert oss.process_string(parse_chain(words)) == expected


def test_golden_async_body() -> None:
    chain = parse_chain(["video/convert:f=mp4,vcodec=h264,s=1920x1080"])
    assert oss.async_body(chain, "my-bucket", "out/v.mp4") == (
        "x-oss-async-process=video/convert,f_mp4,vcodec_h264,s_1920x1080|sys/saveas,o_b3V0L3YubXA0,b_bXktYnVja2V0"
    )


def test_sync_save_body_and_saveas() -> None:
    chain = parse_chain(["resize:w=600"])
    assert oss.saveas("my-bucket", "out/v.mp4") == "sys/saveas,o_b3V0L3YubXA0,b_bXktYnVja2V0"
    assert oss.saveas(None, "a.jpg") == "sys/saveas,o_YS5qcGc"
    assert oss.sync_save_body(chain, "my-bucket", "out/v.mp4") == (
        "x-oss-process=image/resize,w_600|sys/saveas,o_b3V0L3YubXA0,b_bXktYnVja2V0"
    )


def test_async_body_with_notify_and_concat_inputs() -> None:
    class Loc:
        def __init__(self, key: str) -> None:
            self.key = key

    class Input:  # shaped like providers.base.ConcatInput
        def __init__(self, key: str, position: str, ss: int | None = None, t: int | None = None) -> None:
            self.location = Loc(key)
            self.position, self.ss, self.t = position, ss, t

    chain = parse_chain(["video/concat:f=mp4,vcodec=h264,acodec=aac"])
    body = oss.async_body(
        chain,
        "b",
        "out.mp4",
        notify_topic="test",
        inputs=[Input("intro.mp4", "pre"), Input("outro.mp4", "sur", ss=0, t=5000)],
    )
    assert body == (
        "x-oss-async-process=video/concat,f_mp4,vcodec_h264,acodec_aac"
        f"/pre,o_{oss.b64encode('intro.mp4')}"
        f"/sur,o_{oss.b64encode('outro.mp4')},ss_0,t_5000"
        "|sys/saveas,o_b3V0Lm1wNA,b_Yg/notify,topic_dGVzdA"
    )
    parsed, saved, topic, inputs = oss.parse_request_body(body)
    assert [op.name for op in parsed] == ["video/concat"]
    assert saved == ("b", "out.mp4")
    assert topic == "test"
    assert inputs == (
        ConcatSegment("intro.mp4", "pre"),
        ConcatSegment("outro.mp4", "sur", ss=0, t=5000),
    )


def test_async_body_rejects_inputs_for_non_concat_and_too_many() -> None:
    chain = parse_chain(["video/convert:f=mp4"])
    with pytest.raises(InvalidOperation, match="concat"):
        oss.async_body(chain, "b", "k", inputs=[ConcatSegment("x.mp4")])
    concat = parse_chain(["video/concat:f=mp4,vcodec=h264,acodec=aac"])
    oss.async_body(concat, "b", "k", inputs=[ConcatSegment(f"{i}.mp4") for i in range(10)])
    with pytest.raises(InvalidOperation, match="at most 11") as exc:
        oss.async_body(concat, "b", "k", inputs=[ConcatSegment(f"{i}.mp4") for i in range(11)])
    assert exc.value.hint


def test_parse_request_body_sync_without_bucket() -> None:
    chain, saved, topic, inputs = oss.parse_request_body(
        "x-oss-process=image/resize,w_600/format,png|sys/saveas,o_YS5qcGc"
    )
    assert oss.process_string(chain) == "image/resize,w_600/format,png"
    assert saved == (None, "a.jpg")
    assert topic is None and inputs == ()


def test_parse_request_body_accepts_padded_base64_and_b_before_o() -> None:
    _, saved, topic, _ = oss.parse_request_body(
        "x-oss-async-process=audio/convert,f_mp3|sys/saveas,b_dGVzdC1idWNrZXQ=,o_YS5tcDM=/notify,topic_dGVzdA=="
    )
    assert saved == ("test-bucket", "a.mp3")
    assert topic == "test"


def test_parse_request_body_without_saveas() -> None:
    chain, saved, topic, inputs = oss.parse_request_body("x-oss-process=video/info")
    assert chain[0].name == "video/info" and saved is None and topic is None and inputs == ()


def test_parse_request_body_rejects_junk() -> None:
    with pytest.raises(InvalidOperation, match="base64"):
        oss.parse_request_body("x-oss-process=image/info|sys/saveas,o_@@@")
    with pytest.raises(InvalidOperation, match="unknown system operation"):
        oss.parse_request_body("x-oss-process=image/info|sys/delete,o_YQ")


def test_watermark_preprocess_folds_into_the_image_key() -> None:
    chain = parse_chain(["watermark:image=panda.png,preprocess=resize,P_30,t=90,g=se"])
    op = chain[0]
    assert op.params["preprocess"] == "resize,P_30"
    expected_key = "panda.png?x-oss-process=image/resize,P_30"
    assert oss.process_string(chain) == f"image/watermark,image_{oss.b64encode(expected_key)},t_90,g_se"
    back = parse_chain([oss.process_string(chain)])
    assert back[0].params["image"] == expected_key
    two = parse_chain(['watermark:image=logo.png,preprocess="resize,w_100+rotate,90"'])
    assert oss.b64decode(oss.process_string(two).split("image_")[1]) == (
        "logo.png?x-oss-process=image/resize,w_100/rotate,90"
    )


def test_text_font_and_model_wire_values() -> None:
    chain = parse_chain(["watermark:text=版权所有,type=wqy-zenhei,color=#ff0000,size=30"])
    assert oss.process_string(chain) == (
        f"image/watermark,text_{oss.b64encode('版权所有')},type_d3F5LXplbmhlaQ,size_30,color_FF0000"
    )
    extract = parse_chain(["blindwatermark-extract:s=high,model=fft_full"])
    assert oss.process_string(extract) == "image/deblindwatermark,s_high,model_FFT_FULL"
    assert parse_chain(["image/deblindwatermark,s_high,model_FFT_FULL"])[0].params["model"] == "fft_full"


def test_auto_orient_without_value_emits_the_default_oss_needs() -> None:
    assert oss.process_string(parse_chain(["auto-orient"])) == "image/auto-orient,1"
    assert oss.process_string(parse_chain(["auto-orient:v=0"])) == "image/auto-orient,0"


def test_flip_encodes_as_documented_by_oss() -> None:
    # help.aliyun.com/zh/oss/flip-image: ?x-oss-process=image/flip,0 (a positional value)
    assert oss.process_string(parse_chain(["flip:v=1"])) == "image/flip,1"
    assert oss.process_string(parse_chain(["resize:w=100", "flip:v=2"])) == "image/resize,w_100/flip,2"
    assert parse_chain(["image/flip,0"])[0].params == {"v": 0}


@given(st.text())
def test_b64_round_trip(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are not text OSS can carry
    encoded = oss.b64encode(text)
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert oss.b64decode(encoded) == text
    assert oss.b64decode(encoded + "=" * (-len(encoded) % 4)) == text


@pytest.mark.parametrize("bad", ["@@@", "a", "SGVsbG8gV29ybGQ===x", "//4"])
def test_b64decode_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        oss.b64decode(bad)
