"""Property-based: random operation strings, parameters and URIs never produce a traceback; the parser
raises only mediaproc errors, and the CLI exits 0 or 2 (dry-run, so no I/O decides the outcome)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mediaproc.errors import MediaprocError
from mediaproc.ops.catalog import all_specs
from mediaproc.ops.model import Chain
from mediaproc.ops.parse import parse_chain

SPECS = all_specs()
NAMES = [s.name for s in SPECS] + ["image/resize", "video/convert", "resizee", "", "x"]
KEYS = sorted({p.key for s in SPECS for p in s.params} | {"zz", "", "W", "degree", "opacity"})
VALUES = st.one_of(
    st.integers(min_value=-10**6, max_value=10**9).map(str),
    st.sampled_from(["", "abc", "0x", "1920x1080", "64x64", "FFFFFF", "center", "se", "auto", "face", "jpg",
                     "png", "webp", "h264", "aac", "mp4", "'quoted, value'", '"a=b"', "SGVsbG8", "@@@", "1.5",
                     "-1", "99999999999999999999"]),
    st.text(max_size=12),
)


@st.composite
def seed_op(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=5))
    body = ",".join(f"{k}={v}" if draw(st.booleans()) else f"{k}{v}" for k, v in pairs)
    return f"{name}:{body}" if body or draw(st.booleans()) else name


@st.composite
def native_op(draw: st.DrawFn) -> str:
    family = draw(st.sampled_from(["image", "video", "audio", "hls", "x"]))
    segs = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(["resize", "crop", "rotate", "watermark", "format", "quality", "convert",
                                     "snapshot", "m3u8", "info", "blur", "zzz"]))
        args = draw(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=4))
        segs.append(",".join([name, *(f"{k}_{v}" for k, v in args)]))
    return family + "/" + "/".join(segs)


OPERATION = st.one_of(seed_op(), native_op(), st.text(max_size=40))
URI = st.one_of(
    st.sampled_from(["oss://my-bucket/a.jpg", "oss://B/a", "oss:///a", "cos://b-1250000000/x.png", "cos://nobucket/x",
                     "s3://b/k", "http://127.0.0.1:9/a.jpg", "photo.jpg", "./photo.jpg", "", "oss://my-bucket/"]),
    st.builds(lambda b, k: f"oss://{b}/{k}", st.text(max_size=10), st.text(max_size=10)),
    st.text(max_size=30),
)


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPERATION, min_size=1, max_size=4))
def test_parser_raises_only_mediaproc_errors(words: list[str]) -> None:
    try:
        chain = parse_chain(words)
    except MediaprocError as exc:
        assert exc.exit_code == 2
        assert exc.message and exc.hint
    else:
        assert isinstance(chain, Chain) and len(chain) >= 1


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(source=URI, ops=st.lists(OPERATION, min_size=1, max_size=3), to=st.one_of(st.none(), URI),
       json_mode=st.booleans())
@example(source="~\x00", ops=[""], to=None, json_mode=False)  # found by this test: NUL reached os.stat
def test_cli_never_tracebacks(cli, source: str, ops: list[str], to: str | None, json_mode: bool) -> None:
    if source.startswith("-") or any(o.startswith("-") for o in ops) or (to or "").startswith("-"):
        return  # option-looking words are the argument parser's business (exit 2 too, tested elsewhere)
    args = ["process", source, *ops, "--dry-run"]
    if to is not None:
        args += ["--to", to]
    if json_mode:
        args.append("--json")
    r = cli(*args)
    assert r.code in (0, 2), (args, r.code, r.stderr)
    assert "Traceback" not in r.stderr and "unexpected" not in r.stderr, (args, r.stderr)
    if json_mode and r.stdout.strip():
        import json

        json.loads(r.stdout)  # exactly one document


def test_fuzz_environment_is_clean() -> None:
    assert not os.environ.get("MEDIAPROC_PROVIDER")


def test_nul_in_a_local_path_is_a_usage_error(cli) -> None:
    for args in (["process", "photo\x00.jpg", "resize:w=10"], ["process", "~\x00", "resize:w=10", "--dry-run"],
                 ["process", "a.jpg", "resize:w=10", "--to", "out\x00/"]):
        r = cli(*args)
        assert r.code == 2, (args, r.stderr)
        bad = next(a for a in args if "\x00" in a)
        assert r.first_stderr_line == f"Error: the path {bad!r} contains a NUL character"
        assert "unexpected" not in r.stderr
