"""Property tests over the whole catalogue: any valid parameter set survives
seed -> Op -> seed, Op -> OSS string -> Op and Op -> COS rule / job body -> Op unchanged (COS:
except for the drops and respellings listed, each with its reason)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.ops import all_specs, cos, get_spec, parse_chain
from mediaproc.ops.collect import ParamCollector
from mediaproc.ops.cos.common import Refuse
from mediaproc.ops.cos.jobs import IGNORED
from mediaproc.ops.model import Chain, Op, OpSpec, Param, PType
from mediaproc.ops.oss import encode as oss
from mediaproc.ops.parse import format_op

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


def value_for(param: Param) -> st.SearchStrategy[str]:
    lo = param.min if param.min is not None else 0
    hi = param.max if param.max is not None else 100_000
    if param.type is PType.INT:
        return st.integers(lo, hi).map(str)
    if param.type is PType.BOOL:
        return st.sampled_from(["0", "1"])
    if param.type is PType.ENUM:
        return st.sampled_from(param.choices)
    if param.type is PType.SIZE:
        side = st.integers(lo, hi).map(lambda n: n - n % 2 if n - n % 2 >= lo else n + 1 - (n + 1) % 2)
        return st.tuples(side, side).map(lambda wh: f"{wh[0]}x{wh[1]}")
    if param.type is PType.COLOR:
        return st.text("0123456789ABCDEF", min_size=6, max_size=6)
    return TEXT


def params_for(spec: OpSpec, skip: set[str] | frozenset[str] = frozenset()) -> st.SearchStrategy[dict[str, str]]:
    # preprocess: folded into the image key on OSS; skip: keys the encoding under test refuses
    usable = [p for p in spec.params if p.key != "preprocess" and p.key not in skip]
    if not usable:
        return st.just({})
    return st.fixed_dictionaries({}, optional={p.key: value_for(p) for p in usable})


SPECS = [s for s in all_specs() if s.oss is not None]


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_round_trips(spec: OpSpec, data: st.DataObject) -> None:
    raw = data.draw(params_for(spec))
    try:
        collect = ParamCollector(spec)
        for key, value in raw.items():
            collect.add(key, value)
        op = collect.op()
    except InvalidOperation:
        assume(False)
        return
    chain = parse_chain([format_op(op)])
    assert chain[0] == op
    native = oss.process_string(chain)
    back = parse_chain([native])
    expected = dict(op.params)
    for p in spec.params:  # OSS needs a positional value: auto-orient -> auto-orient,1
        if p.positional and p.default is not None:
            expected.setdefault(p.key, p.default)
    assert dict(back[0].params) == expected, native
    assert oss.process_string(back) == native


# -- COS: the same property over the Cloud Infinite encoding ---------------------------------------------------
#
# Every operation COS supports is encoded (a rule, a job body as XML, a query) and read back by the
# inverse ``mediaproc serve`` runs. The parameters must come back equal, except for what is listed
# below: every key COS drops is dropped on purpose, for the reason given, and an unlisted drop fails.

COS_BUCKET, COS_REGION = "media-1250000000", "ap-guangzhou"

# Keys COS cannot express: the encoder leaves them out on purpose (a warning says so where it matters).
CANNOT_EXPRESS: dict[str, dict[str, str]] = {
    "hls/m3u8": {
        "ta": "segments transcoded ahead of the player: only OSS transcodes while playing (a warning says so)",
        "initd": "the length transcoded before playback: the same, the COS job transcodes it all first",
    },
    "sharpen": {"v": "CI's scale (10-300) is coarser than OSS's (50-399): v comes back within 1, the rule the same"},
    "watermark": {
        "order": "arranges a mixed text+image watermark, which COS refuses (two watermarks there)",
        "align": "the same",
        "interval": "the same",
    },
}

# Values COS writes when the operation leaves them out, because a CI body needs one there.
COS_WRITES: dict[str, dict[str, object]] = {
    "hls/m3u8": {"st": 10_000, "vcodec": "h264"},  # segment length and codec: OSS's own defaults
    "video/snapshots": {"m": "inter"},  # CI's Mode is required; Interval is OSS's default
    "video/sprite": {"m": "inter"},
}


def _resize_meaning(p: dict[str, object]) -> dict[str, object]:
    """One resize, spelt the way CI can spell it, with the same result on every backend
    (engine/image/geometry.resize_plan): w/h win over l/s and l/s over p; l=L is the L x L lfit box
    and s=S the S x S mfit box (CI has only boxes); with one side, mfit is lfit; the colour only
    pads; limit only exists where CI has an only-shrink form (lfit and pad boxes): !WxHr and WxH!
    may enlarge (a warning says so) and p may enlarge on OSS too."""
    p = dict(p)
    if "w" in p or "h" in p:
        for key in ("l", "s", "p"):
            p.pop(key, None)
    elif "l" in p:
        p.update(mode="lfit", w=p["l"], h=p.pop("l"))
        p.pop("p", None)
    elif "s" in p:
        p.update(mode="mfit", w=p["s"], h=p.pop("s"))
        p.pop("p", None)
    else:
        p.pop("mode")
    if ("w" in p) != ("h" in p) and p.get("mode") == "mfit":
        p["mode"] = "lfit"
    if p.get("mode") != "pad":
        p.pop("color")
    if p.get("mode") in ("mfit", "fill", "fixed", None):
        p.pop("limit")
    return p


def _crop_meaning(p: dict[str, object]) -> dict[str, object]:
    """Offsets of 0 are no offsets (a cut starts at the top-left corner, and only g=nw takes them)."""
    return {k: v for k, v in p.items() if not (k in ("x", "y") and v == 0)}


def _watermark_meaning(p: dict[str, object]) -> dict[str, object]:
    """The text settings mean nothing on an image watermark, nor P (the image's scale) on a text
    one; t=0 (invisible) is sent as dissolve 1, CI's lowest."""
    p = dict(p)
    drop = ("type", "size", "color", "shadow") if "image" in p else ("P",)
    for key in drop:
        p.pop(key, None)
    if p.get("t") == 0:
        p["t"] = 1
    return p


def _quality_meaning(p: dict[str, object]) -> dict[str, object]:
    """Q (absolute) wins over q (relative) when both are given, on every backend."""
    return {k: v for k, v in p.items() if not (k == "q" and "Q" in p)}


def _zero_is_unset(*keys: str) -> Callable[[dict[str, object]], dict[str, object]]:
    def meaning(p: dict[str, object]) -> dict[str, object]:
        """0 means "keep the source's" (frame rate, size): COS sends nothing, as for no value."""
        return {k: v for k, v in p.items() if not (k in keys and v == 0)}

    return meaning


# Different spellings of the same request, made equal before comparing (applied to both sides).
SAME_MEANING: dict[str, Callable[[dict[str, object]], dict[str, object]]] = {
    "resize": _resize_meaning,
    "crop": _crop_meaning,
    "watermark": _watermark_meaning,
    "quality": _quality_meaning,
    "video/snapshot": _zero_is_unset("w", "h"),
    "video/convert": _zero_is_unset("fps"),
    "video/concat": _zero_is_unset("fps"),
    "video/animation": _zero_is_unset("fps"),
    "hls/m3u8": _zero_is_unset("fps"),
}

# Operations COS writes as nothing at all (CI gets its "changes nothing" rule, rotate/0).
NO_OP: dict[str, Callable[[dict[str, object]], bool]] = {
    "crop": lambda p: "w" not in p and "h" not in p,  # a crop of the whole image
    "auto-orient": lambda p: p.get("v") == 0,  # auto-orient turned off
}


def _cos_refused(name: str) -> set[str]:
    """Keys COS always refuses for ``name`` (drawing them only wastes examples)."""
    codec = cos.IMAGE_RULES.get(name) or cos.MEDIA_JOBS.get(name)
    checks = codec.checks if codec is not None else ()
    return {k for check in checks if isinstance(check, Refuse) for k in check.keys}


def _effective(spec: OpSpec, params: dict[str, object]) -> dict[str, object]:
    """The parameters with every default written out: the catalogue's, COS's own (COS_WRITES), and
    0 for a flag nobody set."""
    out: dict[str, object] = {p.key: p.default for p in spec.params if p.default is not None}
    out |= {p.key: 0 for p in spec.params if p.type is PType.BOOL and p.default is None}
    out |= COS_WRITES.get(spec.name, {})
    out |= params
    for key in CANNOT_EXPRESS.get(spec.name, {}):
        out.pop(key, None)
    return SAME_MEANING.get(spec.name, dict)(out)


def _cos_encode(op: Op) -> tuple[str, list[Op]]:
    """The wire COS gets for ``op`` and what the emulator reads back from it."""
    kind = cos.request_kind(Chain((op,)))
    if kind is cos.RequestKind.JOB:
        body = cos.media_job_request(op, input_key="in.mp4", bucket=COS_BUCKET, region=COS_REGION, output_key="out")
        xml = cos.job_xml(body)
        return xml, [cos.parse_job_request(cos.parse_job_xml(xml)).op]
    if kind is cos.RequestKind.SNAPSHOT:
        query = cos.snapshot_params(op)
        return json.dumps(query), [cos.parse_snapshot_params(query)]
    if kind is cos.RequestKind.EXTRACT:
        rule = cos.extract_rule(op)
        return rule, cos.parse_rule(rule)
    if kind is cos.RequestKind.RULE:
        rule = cos.image_rule([op], bucket=COS_BUCKET, region=COS_REGION)
        return rule, cos.parse_rule(rule)
    assert not op.params, op  # info, hue, detection, videoinfo: a fixed request, nothing to lose
    return kind.value, [op]


COS_SPECS = [s for s in all_specs() if "cos" in s.backends]


def test_every_cos_exception_names_a_cos_operation() -> None:
    """The lists above stay true: no entry for an operation COS does not have, or a key it lacks."""
    names = {s.name for s in COS_SPECS}
    for table in (CANNOT_EXPRESS, COS_WRITES, SAME_MEANING, NO_OP):
        assert set(table) <= names
    for name, keys in (*CANNOT_EXPRESS.items(), *COS_WRITES.items()):
        assert set(keys) <= set(get_spec(name).param_keys), name
    assert set(IGNORED["hls/m3u8"]) <= set(CANNOT_EXPRESS["hls/m3u8"])


@pytest.mark.parametrize("spec", COS_SPECS, ids=[s.name for s in COS_SPECS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_cos_round_trips(spec: OpSpec, data: st.DataObject) -> None:
    raw = data.draw(params_for(spec, skip=_cos_refused(spec.name)))
    try:
        collect = ParamCollector(spec)
        for key, value in raw.items():
            collect.add(key, value)
        op = collect.op()
        cos.check_chain(Chain((op,)), bucket=COS_BUCKET, region=COS_REGION)
    except (InvalidOperation, UnsupportedOperation):
        assume(False)
        return
    wire, back = _cos_encode(op)
    if NO_OP.get(spec.name, lambda p: False)(dict(op.params)):
        assert wire == "imageMogr2/rotate/0" and [(b.name, dict(b.params)) for b in back] == [("rotate", {"angle": 0})]
        return
    assert len(back) == 1, (wire, back)
    got = back[0]
    expected_spec = spec
    if got.name != op.name:
        # video/convert to an audio container is the audio/convert job: the body has no Video node
        assert (op.name, got.name) == ("video/convert", "audio/convert"), (wire, got)
        expected_spec = got.spec
    expected = {k: v for k, v in _effective(spec, dict(op.params)).items() if expected_spec.param(k) is not None}
    assert _effective(expected_spec, dict(got.params)) == _effective(expected_spec, expected), wire
    # and the two directions agree on the wire: what was read back is written the same way again
    again, _ = _cos_encode(got)
    if got.name == op.name:
        assert again == wire
