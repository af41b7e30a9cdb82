"""The two grammars: seed words and native OSS strings, into typed, validated operations."""

from __future__ import annotations

import pytest

from mediaproc.errors import InvalidOperation
from mediaproc.ops import parse_chain, parse_op
from mediaproc.ops.model import Chain
from mediaproc.ops.parse import is_native, split_params


def only(chain: Chain) -> dict[str, object]:
    assert len(chain) == 1
    return dict(chain[0].params)


def test_values_are_typed_per_the_contract() -> None:
    assert only(parse_chain(["resize:w=600,limit=0,color=#f5f5f5,mode=PAD"])) == {
        "w": 600,
        "limit": 0,
        "color": "F5F5F5",
        "mode": "pad",
    }
    assert only(parse_chain(["video/convert:f=mp4,s=1280x720,vn=1"])) == {"f": "mp4", "s": (1280, 720), "vn": 1}
    assert only(parse_chain(["watermark:image=dir/logo.png,text=Hi"])) == {"image": "dir/logo.png", "text": "Hi"}
    assert only(parse_chain(["watermark:text=x,color=f00"]))["color"] == "FF0000"


def test_only_given_params_are_present() -> None:
    op = parse_chain(["watermark:text=x"])[0]
    assert dict(op.params) == {"text": "x"}
    assert op.get("g") is None and "g" not in op


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ('watermark:text="a, b",g=se', "a, b"),
        ("watermark:text='a, b',g=se", "a, b"),
        ('watermark:text="k=v, w=1",g=se', "k=v, w=1"),
        (r'watermark:text="say \"hi\"",g=se', 'say "hi"'),
        ("watermark:text=Hello World,g=se", "Hello World"),
        ('watermark:text="it\'s",g=se', "it's"),
    ],
)
def test_quotes_protect_commas_and_equals(word: str, value: str) -> None:
    params = only(parse_chain([word]))
    assert params == {"text": value, "g": "se"}


def test_split_params() -> None:
    assert split_params('a=1,b="x,y",c=3') == ["a=1", "b=x,y", "c=3"]
    assert split_params("") == [""]


@pytest.mark.parametrize("word", ["info", "video/info", "audio/info", "faces", "average-hue", "image/info"])
def test_bare_names(word: str) -> None:
    assert len(parse_chain([word])) == 1


def test_a_string_is_one_word() -> None:
    assert parse_chain("resize:w=10")[0].params == {"w": 10}


@pytest.mark.parametrize(
    ("native", "names"),
    [
        ("image/resize,w_600/watermark,text_SGVsbG8", ["resize", "watermark"]),
        ("x-oss-process=image/resize,w_600", ["resize"]),
        ("x-oss-async-process=video/convert,f_mp4,vcodec_h264", ["video/convert"]),
        ("resize,w_600/quality,q_80", ["resize", "quality"]),
        ("image/resize,w_600/image/quality,q_80", ["resize", "quality"]),
        ("image/resize,p_50/", ["resize"]),
        ("hls/m3u8,ss_0,t_10000", ["hls/m3u8"]),
        ("image/faces", ["faces"]),
        ("image/blindwatermark,content_SGk,s_high", ["blindwatermark-embed"]),
        ("x-oss-process=image%2Fresize%2Cw_600", ["resize"]),
    ],
)
def test_native_strings(native: str, names: list[str]) -> None:
    if native != "image/faces":  # a pasted image/<name> without parameters is also a seed name
        assert is_native(native)
    assert [op.name for op in parse_chain([native])] == names


def test_native_decodes_base64_and_positionals() -> None:
    chain = parse_chain(["image/watermark,text_SGVsbG8,type_d3F5LXplbmhlaQ/rotate,90/contrast,-50/format,jpeg"])
    assert chain[0].params == {"text": "Hello", "type": "wqy-zenhei"}
    assert chain[1].params == {"angle": 90}
    assert chain[2].params == {"v": -50}
    assert chain[3].params == {"target": "jpg"}


def test_native_accepts_padded_base64() -> None:
    assert parse_chain(["image/watermark,text_SGk="])[0].params == {"text": "Hi"}


def test_seed_and_native_words_mix() -> None:
    chain = parse_chain(["image/resize,w_600", "quality:q=80", "format,webp"])
    assert [op.name for op in chain] == ["resize", "quality", "format"]


def test_param_key_aliases_and_case() -> None:
    assert only(parse_chain(["resize:m=fill,w=1"])) == {"mode": "fill", "w": 1}
    assert only(parse_chain(["rotate:degree=45"])) == {"angle": 45}
    assert only(parse_chain(["watermark:text=a,opacity=50,tile=1"])) == {"text": "a", "t": 50, "fill": 1}
    assert only(parse_chain(["resize:W=10"])) == {"w": 10}  # unambiguous case-insensitive match
    assert only(parse_chain(["quality:q=80"])) == {"q": 80}
    assert only(parse_chain(["quality:Q=80"])) == {"Q": 80}  # q and Q are different parameters


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("n", "north"),
        ("w", "west"),
        ("c", "center"),
        ("e", "east"),
        ("s", "south"),
        ("SE", "se"),
        ("southeast", "se"),
        ("top-left", "nw"),
        ("centre", "center"),
    ],
)
def test_gravity_aliases(given: str, canonical: str) -> None:
    assert only(parse_chain([f"crop:w=10,g={given}"]))["g"] == canonical


def test_enum_value_aliases() -> None:
    assert only(parse_chain(["format:target=JPEG"])) == {"target": "jpg"}
    assert only(parse_chain(["format:target=tif"])) == {"target": "tiff"}
    assert only(parse_chain(["video/convert:f=mp4,vcodec=hevc"]))["vcodec"] == "h265"
    assert only(parse_chain(["video/snapshot:t=0,f=jpeg"]))["f"] == "jpg"


def test_preprocess_keeps_unquoted_commas_like_the_reference() -> None:
    params = only(parse_chain(["watermark:image=panda.png,preprocess=resize,P_30,opacity=90,g=se"]))
    assert params == {"image": "panda.png", "preprocess": "resize,P_30", "t": 90, "g": "se"}
    params = only(parse_chain(["watermark:image=logo.png,preprocess=resize,w_100+rotate,90,opacity=80"]))
    assert params["preprocess"] == "resize,w_100+rotate,90"


def test_parse_op_key_value_words() -> None:
    op = parse_op("video/convert", ["f=mp4", "vcodec=h264", "s=1280x720"])
    assert op.name == "video/convert"
    assert dict(op.params) == {"f": "mp4", "vcodec": "h264", "s": (1280, 720)}
    op = parse_op("watermark", ["text=a, b", "g=c"])
    assert dict(op.params) == {"text": "a, b", "g": "center"}
    assert parse_op("hls", []).name == "hls/m3u8"


def test_parse_op_errors() -> None:
    with pytest.raises(InvalidOperation, match="expected KEY=VALUE"):
        parse_op("video/convert", ["f=mp4", "vcodec"])
    with pytest.raises(InvalidOperation, match="missing required parameter f"):
        parse_op("audio/convert", ["ab=128000"])


def test_watermark_image_key_with_its_own_processing() -> None:
    params = only(parse_chain(["watermark:image=logo.png?x-oss-process=image/resize,P_30,g=se"]))
    assert params == {"image": "logo.png?x-oss-process=image/resize,P_30", "g": "se"}
    quoted = only(parse_chain(['watermark:image="logo.png?x-oss-process=image/resize,P_30",g=se']))
    assert quoted == params


def test_a_parameter_without_an_operation_name() -> None:
    with pytest.raises(InvalidOperation, match="has no operation name") as exc:
        parse_chain(["w=600"])
    assert "resize:w=600" in (exc.value.hint or "")


def test_format_op_quotes_what_needs_quoting() -> None:
    from mediaproc.ops.parse import format_chain, format_op

    op = parse_chain(['watermark:text="a, \\"b\\" \\\\ c",g=c'])[0]
    assert op.params["text"] == 'a, "b" \\ c'
    word = format_op(op)
    assert word == 'watermark:text="a, \\"b\\" \\\\ c",g=center'
    assert parse_chain([word])[0] == op
    assert format_chain(parse_chain(["resize:w=400,h=300,m=fill", "format:target=jpeg"])) == [
        "resize:mode=fill,w=400,h=300",
        "format:target=jpg",
    ]
    assert format_op(parse_chain(["info"])[0]) == "info"
    assert format_op(parse_chain(["video/convert:f=mp4,s=1280x720"])[0]) == "video/convert:f=mp4,s=1280x720"
