"""Invalid input: the right class and exit code, one line naming op and parameter, a useful hint."""

from __future__ import annotations

import pytest

from mediaproc.errors import ExitCode, InvalidOperation, UnsupportedOperation
from mediaproc.ops import check_backend, parse_chain

# (words, text the message must contain, text the hint must contain)
CASES = [
    # unknown operation / parameter, with did-you-mean
    (["resise:w=600"], "unknown operation 'resise'", "'resize'"),
    (["rounded-corner:r=5"], "unknown operation", "'rounded-corners'"),
    (["resize:widht=600"], "resize: unknown parameter 'widht'", "'w'"),
    (["resize:mdoe=fill,w=10"], "unknown parameter 'mdoe'", "'mode'"),
    (["watermark:text=a,opactiy=50"], "unknown parameter 'opactiy'", "'t'"),
    (["image/resize,x_5"], "resize: unknown parameter 'x'", "takes: mode, w, h"),
    (["info:w=1"], "info: unknown parameter 'w'", "takes no parameters"),
    # malformed key=value, empty value, bad integer, bad enum, bad size, bad colour
    (["resize:w600"], "malformed parameter 'w600'", "resize:"),
    (["resize:=600"], "has no key", "key=value"),
    (["resize:w="], "empty value for w", "target width"),
    (["resize:w=six"], "w='six' is not a whole number", "target width"),
    (["resize:w=60.5"], "is not a whole number", "w:"),
    (["resize:w=10,mode=zoom"], "mode='zoom' is not one of lfit, mfit, fill, pad, fixed", "lfit"),
    (["video/convert:f=mp4,s=1280"], "is not a size", "1280x720"),
    (["resize:w=10,mode=pad,color=red"], "is not a colour", "FF0000"),
    (['watermark:text="unterminated'], "unterminated", "quote"),
    # ranges (SPEC §2)
    (["resize:w=20000"], "w=20000 is out of range (1-16384)", "1-16384"),
    (["resize:p=1001"], "p=1001 is out of range (1-1000)", "1-1000"),
    (["video/convert:f=mp4,fps=241"], "fps=241 is out of range (0-240)", "0-240"),
    (["video/convert:f=mp4,vb=5000"], "vb=5000 is out of range", "10000-100000000"),
    (["audio/convert:f=mp3,ab=999"], "ab=999 is out of range", "1000-10000000"),
    (["video/convert:f=mp4,vcodec=h264,crf=52"], "crf=52", "0-51"),
    (["audio/convert:f=mp3,ac=9"], "ac=9", "1-8"),
    (["video/convert:f=mp4,vcodec=h264,s=32x32"], "s=32x32 is out of range (64-4096)", "64-4096"),
    (["video/convert:f=mp4,vcodec=h264,s=641x480"], "must be even", "642x480"),
    (["video/animation:f=gif,w=16"], "w=16", "32-4096"),
    (["video/sprite:f=jpg,num=9,tw=101"], "tw=101", "1-100"),
    (["video/sprite:f=jpg,num=9,pad=101"], "pad=101", "0-100"),
    (["video/snapshots:f=jpg,thr=101"], "thr=101", "0-100"),
    (["watermark:text=a,shadow=101"], "shadow=101", "0-100"),
    (["watermark:text=a,voffset=-1001"], "voffset=-1001", "-1000..1000"),
    (["rotate:angle=361"], "angle=361", "0-360"),
    # duplicates and alias clashes
    (["resize:w=1,w=2"], "resize: w is given twice", "keep one"),
    (["rotate:angle=90,degree=90"], "angle and degree are the same parameter", "angle"),
    (["watermark:text=a,t=5,opacity=6"], "t and opacity are the same parameter", "t=..."),
    # required, at-least-one-of, exclusions, cross-parameter checks
    (["resize:mode=fill"], "resize: give at least one of w, h, l, s, p", "resize:"),
    (["rotate"], "rotate: missing required parameter angle", "rotate:angle="),
    (["video/animation:w=100,h=100"], "video/animation: missing required parameter f", "gif"),
    (["video/concat:f=mp4,vcodec=h264"], "missing required parameter acodec", "aac"),
    (["video/sprite:f=jpg"], "video/sprite: give num or inter (or m=key for the keyframes)", "num"),
    (["indexcrop:x=10,y=10"], "x and y cannot be used together", "only one"),
    (["audio/convert:f=mp3,aq=50,ab=128000"], "aq and ab cannot be used together", "aq"),
    (["crop:w=10,p=150"], "p is only valid with g=face", "g=face"),
    (["blur:r=5,s=5,p=150,g=face"], None, None),  # valid: p with g=face
    (["blur:r=5,s=5,p=150"], "p is only valid with g=face|faces", "g=face"),
    (["audio/convert:f=mp3,adepth=24"], "adepth only applies to flac", "f=flac"),
    (["audio/convert:f=flac,adepth=20"], "adepth=20 is not a supported bit depth", "16"),
    (["watermark:preprocess=resize,P_30"], "watermark: give at least one of text, image", "text"),
    (["watermark:text=a,preprocess=resize,P_30"], "preprocess applies to an image watermark", "image="),
    # chaining rules
    (["info", "resize:w=10"], "info must be used alone", "separate request"),
    (["resize:w=10", "faces"], "faces must be used alone", "separate request"),
    (["blindwatermark-embed:content=x", "resize:w=10"], "must be the last operation", "move"),
    (["resize:w=10", "video/convert:f=mp4"], "cannot be chained with image operations", "own request"),
    (["video/info", "audio/info"], "only one video/audio/hls operation per request", "own request"),
    ([], "no operation given", "resize:w=600"),
    ([""], "empty operation", "resize:w=600"),
    # native strings
    (["image/watermark,text_@@@"], "text_@@@ is not valid URL-safe base64", "base64"),
    (["image/watermark,text_a"], "not valid URL-safe base64", "encode"),
    (["image/resize,w_600|sys/saveas,o_YQ"], "pipe", "--to"),
    (["video/concat,f_mp4,vcodec_h264,acodec_aac/sur,o_YS5tcDQ"], "concat inputs", "--input"),
    (["video/convert,f_mp4/snapshot,t_0"], "only one media operation", "own request"),
    (["image/nosuchop,w_1"], "unknown operation 'image/nosuchop'", "mediaproc ops"),
    (["image/rezise,w_1"], "unknown operation", "'resize'"),
    (["image/circle,100"], "malformed parameter '100'", "r"),
    (["image/"], "names no operation", "image/"),
]


@pytest.mark.parametrize(("words", "message", "hint"), CASES, ids=[" ".join(c[0]) or "<none>" for c in CASES])
def test_invalid_input(words: list[str], message: str | None, hint: str | None) -> None:
    if message is None:
        parse_chain(words)  # the valid counterpart of a neighbouring case
        return
    with pytest.raises(InvalidOperation) as exc:
        parse_chain(words)
    err = exc.value
    assert type(err) is InvalidOperation
    assert err.exit_code is ExitCode.USAGE == 2
    assert message in err.message, err.message
    assert "\n" not in err.message
    assert err.hint, err.message
    assert hint in err.hint, err.hint
    assert err.to_dict()["code"] == "InvalidOperation"


def test_there_are_many_distinct_invalid_cases() -> None:
    assert len({c[1] for c in CASES if c[1]}) >= 15


def test_unsupported_backend_names_the_provider_that_can() -> None:
    with pytest.raises(UnsupportedOperation) as exc:
        check_backend(parse_chain(["labels"]), "local")
    err = exc.value
    assert err.exit_code == 2
    assert "labels is not available on the local provider" in err.message
    assert "oss" in (err.hint or "") and "cos" in (err.hint or "")
    with pytest.raises(UnsupportedOperation) as exc:
        check_backend(parse_chain(["resize:w=10", "indexcrop:x=10"]), "cos")
    assert "indexcrop" in exc.value.message
    assert "--provider local" in (exc.value.hint or "") and "oss" in (exc.value.hint or "")
    with pytest.raises(UnsupportedOperation, match="indexcrop"):
        check_backend(parse_chain(["indexcrop:x=10"]), "cos")


def test_unknown_backend() -> None:
    with pytest.raises(InvalidOperation, match="unknown provider 'ftp'"):
        check_backend(parse_chain(["info"]), "ftp")


def test_errors_name_the_operation_and_parameter_in_details() -> None:
    with pytest.raises(InvalidOperation) as exc:
        parse_chain(["resize:w=0"])
    # and the detail code OSS answers the same value with (help.aliyun.com/zh/oss/support/0040-00000312)
    assert exc.value.details == {"operation": "resize", "parameter": "w", "ec": "0040-00000312"}
    with pytest.raises(InvalidOperation) as exc:
        parse_chain(["resize:w=10,h=0"])
    assert exc.value.details == {"operation": "resize", "parameter": "h"}  # OSS's pages name no code for h


def test_enum_value_did_you_mean() -> None:
    with pytest.raises(InvalidOperation) as exc:
        parse_chain(["resize:w=10,mode=fil"])
    assert (exc.value.hint or "").startswith("did you mean mode=fill?")
    with pytest.raises(InvalidOperation) as exc:
        parse_chain(["crop:w=10,g=southeas"])
    assert "g=se" in (exc.value.hint or "")
