"""Hostile inputs and hostile load through ``mediaproc serve`` (issue 19), with the real SDKs.

The server runs as ``mediaproc serve`` in a child process (``support.rss``): its peak memory is its own,
its log is what an operator reads, and a hostile request that got through would take the child down,
not the suite. Every refusal is checked as the client sees it: the status, the service's error code
(and OSS's detail code where OSS documents one), a one-line message naming the limit, nothing stored.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from support.hostile import HOSTILE_IMAGES, LONG_TEXT, b64, flv_claiming, gif_frames, honest_jpeg
from support.rss import GB, Served, serve

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KEY_ID, SECRET = "test-key-id", "test-key-secret"  # mediaproc serve's defaults
OSS_BUCKET = "hostile"
COS_BUCKET = "hostile-1250000000"
PEAK = 1 * GB

# OSS's documented detail codes (EC) for the source limits it documents one for (mediaproc.limits.OSS).
OSS_EC = {"source_side": "0040-00000019", "source_pixels": "0040-00000012"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One ``mediaproc serve`` with default settings for the module; at the end, its peak (ru_maxrss)
    stays under 1 GB and its log holds no traceback."""
    monkeypatch = pytest.MonkeyPatch()
    from support.cli import isolate_environment

    isolate_environment(monkeypatch, tmp_path_factory.mktemp("serve-env"))
    try:
        with serve(tmp_path_factory.mktemp("hostile-serve") / "root") as served:
            yield served
    finally:
        monkeypatch.undo()
    assert served.code == 0, served.log[-2000:]
    assert served.peak < PEAK, f"mediaproc serve peaked at {served.peak >> 20} MiB"
    assert "Traceback" not in served.log, served.log[-4000:]


def _oss(served: Served, name: str = OSS_BUCKET) -> Any:
    import oss2

    return oss2.Bucket(oss2.AuthV4(KEY_ID, SECRET), served.url, name, region="cn-hangzhou")


def _cos(served: Served, retry: int = 0) -> Any:
    from qcloud_cos import CosConfig, CosS3Client

    conf = CosConfig(Region="ap-guangzhou", SecretId=KEY_ID, SecretKey=SECRET, IP=served.host, Port=served.port,
                     Scheme="http")  # fmt: skip
    return CosS3Client(conf, retry=retry)


@pytest.fixture(scope="module")
def oss(server: Served) -> Any:
    bucket = _oss(server)
    bucket.create_bucket()
    for f in HOSTILE_IMAGES:
        bucket.put_object(f.name, f.make())
    bucket.put_object("a.jpg", honest_jpeg(400, 300))
    bucket.put_object("small.jpg", honest_jpeg())
    return bucket


@pytest.fixture(scope="module")
def cos(server: Served) -> Any:
    client = _cos(server)
    client.create_bucket(Bucket=COS_BUCKET)
    for f in HOSTILE_IMAGES:
        client.put_object(Bucket=COS_BUCKET, Key=f.name, Body=f.make())
    client.put_object(Bucket=COS_BUCKET, Key="a.jpg", Body=honest_jpeg(400, 300))
    return client


def _oss_refusal(call: Callable[[], Any]) -> Any:
    import oss2

    with pytest.raises(oss2.exceptions.ServerError) as err:
        call()
    assert "\n" not in err.value.message.strip(), err.value.message
    return err.value


def _cos_refusal(call: Callable[[], Any]) -> Any:
    from qcloud_cos.cos_exception import CosServiceError

    with pytest.raises(CosServiceError) as err:
        call()
    return err.value


def _cos_get(cos: Any, key: str, dest: Path, rule: str) -> Callable[[], Any]:
    return lambda: cos.ci_get_object(Bucket=COS_BUCKET, Key=key, DestImagePath=str(dest), Rule=rule)


def _cos_message(err: Any) -> str:
    found = re.search(r"<Message>(.*?)</Message>", err.get_origin_msg() or "", re.S)
    return found.group(1) if found else ""


def _peak_ok(server: Served) -> None:
    assert server.peak_so_far() < PEAK, f"mediaproc serve is at {server.peak_so_far() >> 20} MiB"


# -- hostile sources, oss2 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("hostile", HOSTILE_IMAGES, ids=[f.name for f in HOSTILE_IMAGES])
def test_oss_refuses_bombs_before_decoding(server: Served, oss: Any, hostile: Any) -> None:
    for call in (
        lambda: oss.get_object(hostile.name, process="image/resize,w_100"),
        lambda: oss.get_object(hostile.name, process="image/info"),
        lambda: oss.process_object(hostile.name, f"image/resize,w_100|sys/saveas,o_{b64('out/' + hostile.name)}"),
    ):
        err = _oss_refusal(call)
        assert (err.status, err.code) == (400, "ImageTooLarge")
        assert f"over the limit {hostile.limit} = " in err.message
        assert err.ec == OSS_EC.get(hostile.limit, "")
    assert not oss.object_exists("out/" + hostile.name)
    _peak_ok(server)


def test_oss_refuses_the_issue_watermark(server: Served, oss: Any) -> None:
    """The request that took a server to 22 GB: 4,000 "W", size 1000 (OSS: 0040-00000259)."""
    err = _oss_refusal(lambda: oss.get_object("a.jpg", process=f"image/watermark,text_{b64(LONG_TEXT)},size_1000"))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0040-00000259")
    assert "64" in err.message
    err = _oss_refusal(lambda: oss.get_object("a.jpg", process=f"image/watermark,text_{b64('Hi')},size_2000"))
    assert (err.status, err.ec) == (400, "0040-00000256")
    err = _oss_refusal(lambda: oss.get_object("a.jpg", process=f"image/watermark,text_{b64('W' * 60)},size_1000"))
    assert (err.status, err.code) == (400, "InvalidArgument") and "text_pixels" in err.message
    _peak_ok(server)


@pytest.mark.parametrize(
    ("process", "limit"),
    [
        ("image/resize,m_pad,w_16384,h_16384,limit_0", "output_pixels"),
        ("image/resize,p_1000/resize,p_1000/resize,p_1000", "output_pixels"),
        ("image/resize,m_pad,w_16384,h_16384,limit_0/circle,r_4096", "output_pixels"),
        ("image/resize,m_pad,w_16384,h_16384,limit_0/rounded-corners,r_100", "output_pixels"),
        (f"image/watermark,image_{b64('a.jpg?x-oss-process=image/resize,p_1000/resize,p_1000')},fill_1",
         "output_pixels"),
        ("image/" + "bright,1/" * 40, "chain_ops"),
    ],
    ids=["pad", "enlarge", "circle", "rounded", "watermark-image", "chain"],
)
def test_oss_refuses_huge_results(server: Served, oss: Any, process: str, limit: str) -> None:
    for call in (
        lambda: oss.get_object("a.jpg", process=process),
        lambda: oss.process_object("a.jpg", f"{process}|sys/saveas,o_{b64('out/huge.jpg')}"),
    ):
        err = _oss_refusal(call)
        assert err.status == 400 and f"over the limit {limit} = " in err.message
    assert not oss.object_exists("out/huge.jpg")
    _peak_ok(server)


def test_oss_refuses_a_long_process_string(server: Served, oss: Any) -> None:
    err = _oss_refusal(lambda: oss.process_object("a.jpg", "image/" + "bright,1/" * 2000 + "|sys/saveas,o_eA"))
    assert (err.status, err.code) == (400, "InvalidArgument") and "process_chars" in err.message


# -- hostile sources, qcloud_cos ---------------------------------------------------------------------------
@pytest.mark.parametrize("hostile", HOSTILE_IMAGES, ids=[f.name for f in HOSTILE_IMAGES])
def test_cos_refuses_bombs_before_decoding(server: Served, cos: Any, hostile: Any, tmp_path: Path) -> None:
    dest = tmp_path / "out.jpg"
    err = _cos_refusal(
        _cos_get(cos, hostile.name, dest, "imageMogr2/thumbnail/100x")
    )
    assert err.get_status_code() == 400
    limit = "source_frames" if hostile.limit == "source_frames" else hostile.limit
    assert f"over the limit {limit} = " in _cos_message(err)
    assert not dest.exists()
    rule = {"fileid": f"out/{hostile.name}", "rule": "imageMogr2/thumbnail/100x"}
    pic = json.dumps({"is_pic_info": 0, "rules": [rule]})
    err = _cos_refusal(lambda: cos.ci_image_process(Bucket=COS_BUCKET, Key=hostile.name, PicOperations=pic))
    assert err.get_status_code() == 400
    assert not cos.object_exists(Bucket=COS_BUCKET, Key="out/" + hostile.name)
    _peak_ok(server)


def test_cos_applies_its_own_documented_limits(server: Served, cos: Any, tmp_path: Path) -> None:
    """CI's limits, tighter than the local ceilings: 300 frames, results of at most 9,999 px a side, 32 MB
    sources; the same GIF of 301 frames is fine locally (ceiling: 1,000)."""
    cos.put_object(Bucket=COS_BUCKET, Key="301.gif", Body=gif_frames(301))
    err = _cos_refusal(
        _cos_get(cos, "301.gif", tmp_path / "a.gif", "imageMogr2/thumbnail/1x1")
    )
    assert err.get_status_code() == 400 and "source_frames = 300 frames" in _cos_message(err)
    err = _cos_refusal(
        _cos_get(cos, "a.jpg", tmp_path / "b.jpg", "imageMogr2/thumbnail/12000x")
    )
    assert err.get_status_code() == 400 and "output_side = 9,999 px" in _cos_message(err)
    padded = honest_jpeg() + b"\0" * 32_000_001
    cos.put_object(Bucket=COS_BUCKET, Key="big.jpg", Body=padded)
    err = _cos_refusal(
        _cos_get(cos, "big.jpg", tmp_path / "c.jpg", "imageMogr2/thumbnail/100x")
    )
    assert err.get_status_code() == 400 and "image_source_bytes = 32 MB" in _cos_message(err)
    assert not any(tmp_path.iterdir())


def test_cos_refuses_the_issue_watermark(server: Served, cos: Any, tmp_path: Path) -> None:
    rule = f"watermark/2/text/{b64(LONG_TEXT)}/fontsize/1000"
    err = _cos_refusal(
        _cos_get(cos, "a.jpg", tmp_path / "w.jpg", rule)
    )
    assert err.get_status_code() == 400 and "64" in _cos_message(err)
    _peak_ok(server)


# -- hostile media ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def media(server: Served, oss: Any) -> Any:
    """Media objects claiming 149 hours (``days.flv``), an hour (``hour.flv``) and a second, and the
    bucket attached to an IMM project (OSS runs media through IMM)."""
    from alibabacloud_imm20200930 import models as imm
    from alibabacloud_imm20200930.client import Client
    from alibabacloud_tea_openapi.models import Config

    for name, seconds in (("days.flv", 149 * 3600), ("hour.flv", 3600), ("clip.flv", 1)):
        oss.put_object(name, flv_claiming(seconds))
    client = Client(Config(access_key_id=KEY_ID, access_key_secret=SECRET, endpoint=f"{server.host}:{server.port}",
                           protocol="http", region_id="cn-hangzhou"))  # fmt: skip
    client.create_project(imm.CreateProjectRequest(project_name="hostile"))
    client.attach_ossbucket(imm.AttachOSSBucketRequest(project_name="hostile", ossbucket=OSS_BUCKET))
    return client


@pytest.mark.parametrize(
    ("key", "process", "limit"),
    [
        ("days.flv", "video/convert,f_mp4,vcodec_h264", "media_seconds"),
        ("hour.flv", "video/snapshots,f_jpg,inter_100", "output_frames"),
        ("hour.flv", "video/animation,f_gif", "output_frames"),
        ("hour.flv", "video/animation,f_gif,w_4096,h_4096,t_10000", "output_pixels"),
        ("clip.flv", "video/sprite,f_jpg,sw_4096,sh_4096,tw_100,th_100,num_4", "sprite_side"),
    ],
    ids=["duration", "snapshots", "animation-frames", "animation-pixels", "sprite"],
)
def test_oss_media_tasks_fail_before_ffmpeg_runs(
    server: Served, oss: Any, media: Any, key: str, process: str, limit: str
) -> None:
    """Async media on OSS is an IMM task: the task fails at once, naming the limit, and saves nothing."""
    from alibabacloud_imm20200930 import models as imm

    target = f"out/{limit}-{key}"
    task = oss.async_process_object(key, f"{process}|sys/saveas,o_{b64(target)}")
    deadline = time.monotonic() + 60
    while True:
        request = imm.GetTaskRequest(project_name="hostile", task_type="MediaConvert", task_id=task.task_id)
        body = media.get_task(request).body
        if body.status != "Running" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert body.status == "Failed" and f"over the limit {limit} = " in body.message, body
    assert not list(oss.list_objects(prefix=target).object_list)
    _peak_ok(server)


def test_sync_snapshots_of_hostile_media_are_refused(server: Served, oss: Any, cos: Any, media: Any) -> None:
    err = _oss_refusal(lambda: oss.get_object("days.flv", process="video/snapshot,t_1000"))
    assert err.status == 400 and "over the limit media_seconds = " in err.message
    cos.put_object(Bucket=COS_BUCKET, Key="days.flv", Body=flv_claiming(149 * 3600))
    cerr = _cos_refusal(lambda: cos.get_snapshot(Bucket=COS_BUCKET, Key="days.flv", Time="1"))
    assert cerr.get_status_code() == 400 and "media_seconds" in _cos_message(cerr)


# -- hostile load ------------------------------------------------------------------------------------------
def test_200_concurrent_requests_20_of_them_hostile(server: Served, oss: Any) -> None:
    """Default settings (16 at once, 256 waiting): every honest request succeeds, every hostile one is
    refused, the server's memory stays bounded and plain downloads keep being answered meanwhile."""
    import oss2

    bombs = [f.name for f in HOSTILE_IMAGES]
    jobs: list[tuple[str, str]] = []
    for i in range(200):
        if i % 10 == 0:
            jobs.append((bombs[(i // 10) % len(bombs)], "image/resize,w_80"))
        else:
            jobs.append(("small.jpg", f"image/resize,w_{40 + i % 50}"))

    def one(job: tuple[str, str]) -> tuple[int, bytes | str]:
        bucket = _oss(server)  # a client per thread, as a batch would have
        try:
            return 200, bucket.get_object(job[0], process=job[1]).read()
        except oss2.exceptions.ServerError as exc:
            return exc.status, exc.code

    plain: list[float] = []
    done = threading.Event()

    def downloads() -> None:
        while not done.is_set():
            t = time.monotonic()
            assert oss.get_object("small.jpg").read()
            plain.append(time.monotonic() - t)

    watcher = threading.Thread(target=downloads)
    watcher.start()
    try:
        with ThreadPoolExecutor(200) as pool:
            answers = list(pool.map(one, jobs))
    finally:
        done.set()
        watcher.join()
    for (key, process), (status, body) in zip(jobs, answers, strict=True):
        if key == "small.jpg":
            assert status == 200, body
            assert isinstance(body, bytes)
            assert Image.open(io.BytesIO(body)).width == int(process.rsplit("_", 1)[1])
        else:
            assert (status, body) == (400, "ImageTooLarge")
    assert plain and max(plain) < 5.0, f"a plain download waited {max(plain):.1f} s"
    _peak_ok(server)


def test_a_client_that_leaves_mid_download_is_one_access_log_line(server: Served, oss: Any) -> None:
    oss.put_object("big.bin", b"\0" * (8 * 1024 * 1024))
    url = oss.sign_url("GET", "big.bin", 60)
    path = url.split(str(server.port), 1)[1]
    with socket.create_connection((server.host, server.port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 10
    lines: list[str] = []
    while time.monotonic() < deadline and not lines:
        lines = [line for line in server.log_so_far().splitlines() if '"GET /hostile/big.bin?' in line]
        time.sleep(0.05)
    assert len(lines) == 1, server.log_so_far()[-2000:]
    assert "Signature" not in lines[0] and "<redacted>" in lines[0]  # the signed query is a credential
    assert oss.get_object("small.jpg").read()  # and the server answers on
    assert "Traceback" not in server.log_so_far()


def test_a_full_queue_answers_slow_down_with_retry_after(tmp_path: Path) -> None:
    """--max-queue 4 (and the default 16 running): of 40 slow requests at once, 20 are taken and the rest
    get 503 SlowDown with Retry-After at once, while plain requests are served throughout."""
    import oss2
    import requests

    with serve(tmp_path / "root", "--max-queue", "4") as served:
        bucket = _oss(served)
        bucket.create_bucket()
        bucket.put_object("photo.jpg", honest_jpeg(1000, 750))
        process = "image/blur,r_10,s_10/resize,w_100"  # about 0.15 s of CPU: 20 of them outlast the burst
        url = bucket.sign_url("GET", "photo.jpg", 60, params={"x-oss-process": process})
        start = threading.Barrier(40)

        def one(_: int) -> requests.Response:
            start.wait()
            return requests.get(url, timeout=120)

        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(one, range(40)))
            assert bucket.get_object("photo.jpg").read()  # plain GETs do not queue behind processing
        ok = [a for a in answers if a.status_code == 200]
        busy = [a for a in answers if a.status_code == 503]
        assert len(ok) + len(busy) == 40 and len(ok) >= 20 and busy, [a.status_code for a in answers]
        for answer in busy:
            assert answer.headers["Retry-After"] == "1"
            assert "<Code>SlowDown</Code>" in answer.text
        for answer in ok:
            assert Image.open(io.BytesIO(answer.content)).width == 100
        barrier = threading.Barrier(40)

        def through_sdk(_: int) -> int:
            barrier.wait()
            try:
                bucket.get_object("photo.jpg", process=process).read()
                return 200
            except oss2.exceptions.ServerError as exc:
                assert exc.code == "SlowDown" and exc.headers.get("Retry-After") == "1"
                return exc.status

        with ThreadPoolExecutor(40) as pool:
            assert 503 in set(pool.map(through_sdk, range(40)))  # oss2 sees the same answer
    assert served.code == 0 and "Traceback" not in served.log
