"""``mediaproc.engine.analyze``: the one entry every caller uses for the JSON operations.

``audio/info`` is the audio operation: the audio streams only; ``video/info`` lists them all (issue
16: serve and the local provider used to disagree). Every JSON operation of the catalogue that runs
locally is answered; the cloud-only ones are refused as unsupported (exit 2), before any reading.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mediaproc.engine import analyze
from mediaproc.errors import ServiceError, UnsupportedOperation
from mediaproc.ops import Produces, all_specs
from mediaproc.ops.model import Op, OpSpec

DATA = Path(__file__).resolve().parents[1] / "data"


def test_audio_info_reports_the_audio_streams_and_video_info_all(clip: Path) -> None:
    video = analyze("video/info", clip)
    audio = analyze("audio/info", clip)
    assert list(audio["Streams"]) == ["AudioStream"]
    assert audio["Streams"]["AudioStream"] == video["Streams"]["AudioStream"]
    assert [s["CodecName"] for s in audio["Streams"]["AudioStream"]] == ["aac"]
    assert [s["CodecName"] for s in video["Streams"]["VideoStream"]] == ["h264"]
    assert audio["Format"] == video["Format"]  # the container is the same file either way


def test_an_op_and_its_name_give_the_same_document(clip: Path) -> None:
    from mediaproc.ops.catalog import get_spec

    assert analyze(Op(spec=get_spec("audio-info")), clip) == analyze("audio/info", clip)


def test_image_documents() -> None:
    info = analyze("info", DATA / "chelsea.png")
    assert (info["ImageWidth"]["value"], info["ImageHeight"]["value"], info["Format"]["value"]) == (
        "451", "300", "png")
    assert analyze("average-hue", DATA / "chelsea.png")["RGB"].startswith("0x")


@pytest.mark.parametrize(
    "spec", [s for s in all_specs() if s.produces is Produces.JSON and not s.name.startswith(("video/", "audio/"))],
    ids=lambda s: s.name,
)
def test_every_json_operation_of_the_catalogue_is_answered(spec: OpSpec) -> None:
    op = Op(spec=spec)
    if "local" not in op.spec.backends:
        with pytest.raises(UnsupportedOperation):
            analyze(op, DATA / "missing.png")  # refused before anything is read
        return
    try:
        doc = analyze(op, DATA / "chelsea.png")
    except ServiceError as exc:  # an unmarked image has no watermark to read
        assert (op.name, exc.code) == ("blindwatermark-extract", "WatermarkNotFound")
        return
    assert isinstance(doc, dict) and doc


def test_importing_the_entry_loads_no_engine() -> None:
    code = (
        "import sys, mediaproc.engine, mediaproc.engine.analysis\n"
        "heavy = [m for m in ('pyvips', 'av', 'cv2', 'numpy', 'PIL') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
