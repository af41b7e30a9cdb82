"""Data processing through oss2: sync chains, save-as, signed URLs, async tasks read via IMM GetTask."""

from __future__ import annotations

import io
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg
import oss2
import pytest
from alibabacloud_imm20200930 import models as imm
from PIL import Image

from mediaproc.ops.b64 import b64encode
from support.emulator import Emulator

DATA = Path(__file__).resolve().parents[1] / "data"
CAT = DATA / "chelsea.png"  # 451 x 300


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of 320x240 test pattern with a sine tone."""
    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=15:duration=2",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(out),
        ],
        check=True,
    )
    return out


def _saveas(key: str, bucket: str | None = None) -> str:
    return f"|sys/saveas,o_{b64encode(key)}" + (f",b_{b64encode(bucket)}" if bucket else "")


def _bind(emulator: Emulator, bucket: str, project: str = "proj") -> Any:
    client = emulator.imm_client()
    client.create_project(imm.CreateProjectRequest(project_name=project))
    client.attach_ossbucket(imm.AttachOSSBucketRequest(project_name=project, ossbucket=bucket))
    return client


def _wait(client: Any, project: str, task_type: str, task_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get_task(imm.GetTaskRequest(project_name=project, task_type=task_type, task_id=task_id)).body
        if body.status != "Running":
            return body
        assert time.monotonic() < deadline, f"task {task_id} still running"
        time.sleep(0.2)


def test_sync_image_chain_and_metadata(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("pics")
    bucket.put_object_from_file("cat.png", str(CAT))
    resized = bucket.get_object("cat.png", process="image/resize,w_200")
    assert resized.content_type == "image/png"
    img = Image.open(io.BytesIO(resized.read()))
    assert (img.format, img.size) == ("PNG", (200, 133))
    webp = bucket.get_object("cat.png", process="image/crop,w_100,h_80,g_center/format,webp")
    img = Image.open(io.BytesIO(webp.read()))
    assert (img.format, img.size) == ("WEBP", (100, 80))
    info = json.loads(bucket.get_object("cat.png", process="image/info").read())
    assert info["ImageWidth"] == {"value": "451"} and info["ImageHeight"] == {"value": "300"}
    assert info["Format"] == {"value": "png"} and info["FileSize"] == {"value": str(CAT.stat().st_size)}
    assert info["FrameCount"] == {"value": "1"}  # OSS always returns it (query-the-exif-data-of-an-image-4)
    hue = json.loads(bucket.get_object("cat.png", process="image/average-hue").read())
    assert hue["RGB"].startswith("0x") and len(hue["RGB"]) == 8
    # a watermark image key may carry its own processing
    bucket.put_object_from_file("logo.png", str(DATA / "astronaut.png"))
    marked = bucket.get_object(
        "cat.png", process=f"image/watermark,image_{b64encode('logo.png?x-oss-process=image/resize,P_20')},g_se"
    )
    assert Image.open(io.BytesIO(marked.read())).size == (451, 300)


def test_process_object_saves_and_answers_like_oss(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("pics")
    emulator.oss_bucket("thumbs")
    bucket.put_object_from_file("cat.png", str(CAT))
    result = bucket.process_object("cat.png", "image/resize,w_100/format,jpg" + _saveas("out/small.jpg"))
    assert (result.bucket, result.object, result.process_status) == ("pics", "out/small.jpg", "OK")
    saved = bucket.get_object("out/small.jpg").read()
    assert result.fileSize == len(saved)
    img = Image.open(io.BytesIO(saved))
    assert (img.format, img.size) == ("JPEG", (100, 67))
    across = bucket.process_object("cat.png", "image/resize,l_50" + _saveas("t.png", "thumbs"))
    assert across.bucket == "thumbs"
    assert Image.open(io.BytesIO(emulator.oss_bucket("thumbs", create=False).get_object("t.png").read())).size == (
        50,
        33,
    )
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.process_object("cat.png", "image/resize,w_100")  # no sys/saveas
    assert (err.value.status, err.value.code) == (400, "InvalidArgument")


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_signed_url_with_processing(emulator: Emulator, v4: bool) -> None:
    bucket = emulator.oss_bucket("pics", v4=v4)
    bucket.put_object_from_file("cat.png", str(CAT))
    url = bucket.sign_url("GET", "cat.png", 60, params={"x-oss-process": "image/resize,w_50/format,jpg"})
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.headers["Content-Type"] == "image/jpeg"
        img = Image.open(io.BytesIO(resp.read()))
    assert (img.format, img.size) == ("JPEG", (50, 33))


def test_invalid_process_strings_are_400(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("pics")
    bucket.put_object_from_file("cat.png", str(CAT))
    for process, fragment in [
        ("image/resize,w_0", "w=0"),
        ("image/bogus,x_1", "bogus"),
        ("video/convert,f_mp4", "x-oss-async-process"),
    ]:
        with pytest.raises(oss2.exceptions.ServerError) as err:
            bucket.get_object("cat.png", process=process)
        assert (err.value.status, err.value.code) == (400, "InvalidArgument")
        assert fragment in err.value.message
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("absent.png", process="image/resize,w_10")


def test_image_sources_over_20_mb_are_image_too_large(emulator: Emulator) -> None:
    """The documented 20 MB source limit of image processing: 400 ImageTooLarge, before decoding. The
    sources are real JPEGs padded after their end marker, which decoders ignore."""
    from mediaproc.limits import OSS

    MAX_FILE_BYTES = OSS["image_source_bytes"].value
    bucket = emulator.oss_bucket("pics")
    buf = io.BytesIO()
    Image.open(CAT).convert("RGB").save(buf, "JPEG", quality=85)
    jpeg = buf.getvalue()
    bucket.put_object("edge.jpg", jpeg + b"\0" * (MAX_FILE_BYTES - len(jpeg)))
    bucket.put_object("over.jpg", jpeg + b"\0" * (MAX_FILE_BYTES + 1 - len(jpeg)))
    assert Image.open(io.BytesIO(bucket.get_object("edge.jpg", process="image/resize,w_40").read())).size == (40, 27)
    for call in (
        lambda: bucket.get_object("over.jpg", process="image/resize,w_40"),
        lambda: bucket.get_object("over.jpg", process="image/info"),
        lambda: bucket.process_object("over.jpg", "image/resize,w_40" + _saveas("never.jpg")),
    ):
        with pytest.raises(oss2.exceptions.ServerError) as err:
            call()
        assert (err.value.status, err.value.code) == (400, "ImageTooLarge")
        assert f"{MAX_FILE_BYTES + 1:,} bytes" in err.value.message and "image_source_bytes" in err.value.message
    assert not bucket.object_exists("never.jpg")
    assert len(bucket.get_object("over.jpg").read()) == MAX_FILE_BYTES + 1  # a plain download is not capped


def test_media_needs_an_imm_binding(emulator: Emulator, clip: Path) -> None:
    bucket = emulator.oss_bucket("videos")
    bucket.put_object_from_file("clip.mp4", str(clip))
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.get_object("clip.mp4", process="video/info")
    assert err.value.code == "InvalidArgument" and "IMM" in err.value.message
    with pytest.raises(oss2.exceptions.ServerError):
        bucket.async_process_object("clip.mp4", "video/convert,f_mp4" + _saveas("o.mp4"))
    assert emulator.stats()["async_jobs_created"] == 0
    _bind(emulator, "videos")
    info = json.loads(bucket.get_object("clip.mp4", process="video/info").read())
    video = info["Streams"]["VideoStream"][0]
    assert (video["CodecName"], video["Width"], video["Height"]) == ("h264", "320", "240")
    snap = bucket.get_object("clip.mp4", process="video/snapshot,t_1000,f_jpg,w_160,h_0")
    assert snap.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(snap.read())).size == (160, 120)
    # without f: OSS's default format, jpg, answered as one (it was application/octet-stream)
    plain = bucket.get_object("clip.mp4", process="video/snapshot,t_1000")
    assert plain.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(plain.read())).format == "JPEG"


def test_detection_runs_the_vision_engine(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("people")
    bucket.put_object_from_file("astronaut.png", str(DATA / "astronaut.png"))
    _bind(emulator, "people")
    faces = json.loads(bucket.get_object("astronaut.png", process="image/faces").read())["Faces"]
    assert len(faces) == 1
    box = faces[0]["Boundary"]
    assert 0 <= box["Left"] < 512 and 0 < box["Width"] <= 512
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.get_object("astronaut.png", process="image/cars")
    assert (err.value.status, err.value.code) == (501, "NotImplemented")


def test_async_convert_runs_once_and_is_read_back_with_get_task(emulator: Emulator, clip: Path) -> None:
    bucket = emulator.oss_bucket("videos")
    bucket.put_object_from_file("clip.mp4", str(clip))
    client = _bind(emulator, "videos")
    submitted = bucket.async_process_object(
        "clip.mp4", "video/convert,f_mp4,vcodec_h264,s_160x120,acodec_aac" + _saveas("out/small.mp4")
    )
    assert submitted.task_id.startswith("MediaConvert-")
    assert submitted.event_id and submitted.async_request_id
    done = _wait(client, "proj", "MediaConvert", submitted.task_id)
    assert (done.status, done.progress, done.code) == ("Succeeded", 100, "")
    assert done.start_time.endswith("Z") and done.end_time.endswith("Z")
    out = emulator.root / "videos" / "out" / "small.mp4"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 160, 120)
        assert container.streams.audio[0].codec_context.name == "aac"
    stats = emulator.stats()
    assert stats["async_jobs_created"] == 1 and stats["requests"]["AsyncProcessObject"] == 1
    assert stats["async_jobs_by_type"] == {"MediaConvert": 1}


def test_async_failures(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("videos")
    client = _bind(emulator, "videos")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.async_process_object("absent.mp4", "video/convert,f_mp4" + _saveas("o.mp4"))
    assert emulator.stats()["async_jobs_created"] == 0
    bucket.put_object("not-media.mp4", b"this is not a video at all")
    submitted = bucket.async_process_object("not-media.mp4", "video/convert,f_mp4" + _saveas("o.mp4"))
    done = _wait(client, "proj", "MediaConvert", submitted.task_id)
    assert done.status == "Failed"
    assert done.code and done.message and done.end_time
    assert not bucket.object_exists("o.mp4")
    with pytest.raises(Exception) as wrong_type:
        client.get_task(imm.GetTaskRequest(project_name="proj", task_type="Other", task_id=submitted.task_id))
    assert getattr(wrong_type.value, "code", "") == "ResourceNotFound"


def test_blind_watermark_decode_task(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("marks")
    client = _bind(emulator, "marks")
    bucket.put_object_from_file("photo.png", str(DATA / "coffee.png"))
    bucket.process_object("photo.png", f"image/blindwatermark,content_{b64encode('mediaproc')}" + _saveas("wm.png"))
    created = client.create_decode_blind_watermark_task(
        imm.CreateDecodeBlindWatermarkTaskRequest(project_name="proj", source_uri="oss://marks/wm.png")
    ).body
    assert created.task_id.startswith("DecodeBlindWatermark-")
    _wait(client, "proj", "DecodeBlindWatermark", created.task_id)
    result = client.get_decode_blind_watermark_result(
        imm.GetDecodeBlindWatermarkResultRequest(
            project_name="proj", task_type="DecodeBlindWatermark", task_id=created.task_id
        )
    ).body
    assert (result.status, result.content) == ("Succeeded", "mediaproc")
