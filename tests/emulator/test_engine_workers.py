"""serve with worker processes: the same answers as in-process, errors intact, one view of the state.

The pixel work runs in ``--workers`` processes while the state stays in the server's process, so the
checks are: a processed GET and a saved result decode to the right image, an engine error raised in a
worker arrives with its code (here an oversized request, refused with OSS's own error), the work really
ran in another process, and an object written through one request is at once visible to the next.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import oss2
import pytest
from PIL import Image

from mediaproc import limits
from mediaproc.emulator.engine_pool import SMALL_SOURCE_BYTES, EnginePool
from mediaproc.errors import MediaError
from support.emulator import running_emulator


def jpeg(width: int, height: int) -> bytes:
    """A noisy photo-like JPEG: large enough on disk (over SMALL_SOURCE_BYTES at 640x480) to go to a worker."""
    buf = io.BytesIO()
    noise = Image.effect_noise((width, height), 64).convert("RGB")
    noise.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_errors_cross_a_process_boundary_whole() -> None:
    limit = limits.OSS["image_source_bytes"]
    err = limits.LimitExceeded(limit, "too big", "shrink it")
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), back.message, back.hint, back.code, back.details) == (
        type(err), err.message, err.hint, err.code, err.details,
    )
    plain = pickle.loads(pickle.dumps(MediaError("bad", hint="h", request_id="r1")))
    assert (plain.message, plain.hint, plain.request_id) == ("bad", "h", "r1")


def _pid() -> int:
    return os.getpid()


def _call(fn: object) -> object:
    assert callable(fn)
    return fn()


def test_the_pool_runs_work_in_other_processes_and_callables_at_home() -> None:
    pool = EnginePool(2)
    try:
        assert pool(_pid) != os.getpid()
        assert pool(_call, lambda: os.getpid()) == os.getpid()  # a callable argument needs this process
    finally:
        pool.close()
    assert EnginePool(1)(_pid) == os.getpid()


def test_a_small_source_runs_in_the_calling_thread(tmp_path: Path) -> None:
    """The hop to a worker costs as much as processing a thumbnail: a small JPEG or PNG stays here; any
    other small file (what a fuzzer crafts to crash a codec) keeps a worker's isolation."""
    small, large = tmp_path / "small.jpg", tmp_path / "large.jpg"
    Image.new("RGB", (160, 120), (200, 30, 30)).save(small, "JPEG", quality=88)
    large.write_bytes(jpeg(640, 480))
    assert small.stat().st_size < SMALL_SOURCE_BYTES <= large.stat().st_size
    pool = EnginePool(2)
    try:
        assert pool.for_source(small)(_pid) == os.getpid()
        assert pool.for_source(large)(_pid) != os.getpid()
        assert pool.for_source(tmp_path / "missing.jpg")(_pid) == os.getpid()  # the engine's own error, here
        for name, data in (("small.gif", b"GIF89a" + bytes(200)), ("junk.jpg", b"\xff\xd8\xff" + bytes(500))):
            (tmp_path / name).write_bytes(data)  # small, but not a JPEG or PNG that reads: a worker's isolation
            assert pool.for_source(tmp_path / name)(_pid) != os.getpid(), name
    finally:
        pool.close()
    assert EnginePool(1).for_source(large)(_pid) == os.getpid()


@pytest.mark.parametrize("workers", [2])
def test_processing_through_worker_processes(tmp_path: Path, workers: int) -> None:
    with running_emulator(tmp_path / "root", subprocess=True, workers=workers) as emu:
        bucket = emu.oss_bucket("pool")
        bucket.put_object("a.jpg", jpeg(640, 480))
        for _ in range(4):  # more requests than workers
            body = bucket.get_object("a.jpg", process="image/resize,w_200").read()
            assert Image.open(io.BytesIO(body)).size == (200, 150)
        info = bucket.get_object("a.jpg", process="image/info").read()
        assert b'"ImageWidth"' in info and b'"640"' in info
        # a saved result is an object at once: the state lives in one process
        saved = oss2.utils.b64encode_as_string(b"out/b.png")
        bucket.process_object("a.jpg", f"image/resize,w_100/format,png|sys/saveas,o_{saved}")
        assert Image.open(io.BytesIO(bucket.get_object("out/b.png").read())).size == (100, 75)
        # an engine error raised in a worker keeps the service's code
        with pytest.raises(oss2.exceptions.OssError) as err:
            bucket.get_object("a.jpg", process="image/resize,w_100000")
        assert err.value.status == 400
