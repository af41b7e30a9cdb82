"""IMM batches and triggers on ``mediaproc serve`` through ``alibabacloud_imm20200930`` and ``oss2``."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from .conftest import decode, poll, tiny_jpeg

PROJECT = "batches"
BUCKET = "batch-bucket"


@pytest.fixture(scope="module")
def imm(emu: Any) -> Any:
    from alibabacloud_imm20200930 import models as m

    client = emu.imm_client()
    emu.oss_bucket(BUCKET)
    client.create_project(m.CreateProjectRequest(project_name=PROJECT))
    client.attach_ossbucket(m.AttachOSSBucketRequest(project_name=PROJECT, ossbucket=BUCKET))
    return client


@pytest.fixture(scope="module")
def bucket(emu: Any, imm: Any) -> Any:
    return emu.oss_bucket(BUCKET, create=False)


def actions(target: str, *steps: tuple[str, list[str]]) -> list[Any]:
    from alibabacloud_imm20200930 import models as m

    out = [m.CreateBatchRequestActions(name=name, parameters=list(params)) for name, params in steps]
    out[0].parameters.append(f"TargetURI={target}")
    return out


def create_batch(imm: Any, prefix: str, target: str, *steps: tuple[str, list[str]], **input_oss: Any) -> str:
    from alibabacloud_imm20200930 import models as m

    req = m.CreateBatchRequest(
        project_name=PROJECT,
        input=m.Input(oss=m.InputOSS(bucket=BUCKET, prefix=prefix, **input_oss)),
        actions=actions(target, *steps),
        service_role="AliyunIMMBatchTriggerRole",
        tags={"suite": "cloud-batches"},
    )
    return str(imm.create_batch(req).body.id)


def get_batch(imm: Any, batch_id: str) -> Any:
    from alibabacloud_imm20200930 import models as m

    return imm.get_batch(m.GetBatchRequest(project_name=PROJECT, id=batch_id)).body.batch


def counters(b: Any) -> tuple[int, int, int]:
    s = b.statistic
    return (s.submit_success or 0, s.submit_failure or 0, s.skip_files or 0)


def test_batch_of_500_objects_counts_up_suspends_resumes_and_writes_every_output(
    imm: Any, bucket: Any, prefix: str
) -> None:
    from alibabacloud_imm20200930 import models as m

    data = tiny_jpeg()
    for i in range(500):
        bucket.put_object(f"{prefix}in/d{i % 5}/p{i:03d}.jpg", data)
    bucket.put_object(f"{prefix}in/notes.txt", b"not an image")  # left out by the match expression
    batch_id = create_batch(
        imm, f"{prefix}in/", f"oss://{BUCKET}/{prefix}out/{{dirname}}/{{barename}}.{{autoext}}",
        ("image/resize", ["w_8"]), ("image/format", ["png"]),
        match_expressions=["key suffix (.jpg)"],
    )
    assert batch_id.startswith("batch-")

    readings = poll(lambda: get_batch(imm, batch_id), lambda b: b.statistic.submit_success >= 1)
    imm.suspend_batch(m.SuspendBatchRequest(project_name=PROJECT, id=batch_id))
    assert get_batch(imm, batch_id).state == "Suspended"
    # objects already handed to the engine finish (documented); then nothing moves until resumed
    stable = _settle(imm, batch_id)
    for _ in range(10):
        time.sleep(0.05)
        again = get_batch(imm, batch_id)
        assert again.state == "Suspended"
        assert counters(again) == stable
    assert stable[0] < 500

    imm.resume_batch(m.ResumeBatchRequest(project_name=PROJECT, id=batch_id))
    readings += poll(lambda: get_batch(imm, batch_id), lambda b: b.state in ("Succeeded", "Failed"))
    final = readings[-1]
    assert final.state == "Succeeded", final.error
    assert counters(final) == (500, 0, 1)
    seen = [counters(b) for b in readings]
    assert seen == sorted(seen), "the counters went backwards"
    assert len({s[0] for s in seen}) > 2, "the counters should move while the batch runs"

    import oss2

    outputs = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=f"{prefix}out/")]
    assert len(outputs) == 500
    assert f"{prefix}out/{prefix}in/d3/p003.png" in outputs
    for key in outputs[::97]:
        fmt, size = decode(bucket.get_object(key).read())
        assert (fmt, size) == ("PNG", (8, 6))


def _settle(imm: Any, batch_id: str) -> tuple[int, int, int]:
    """The counters once the objects in flight at the suspension have finished."""
    last = counters(get_batch(imm, batch_id))
    for _ in range(100):  # at most the objects in flight finish: a few readings
        time.sleep(0.2)
        now = counters(get_batch(imm, batch_id))
        if now == last:
            return now
        last = now
    raise AssertionError(f"the counters kept moving while suspended: {last}")


def test_batch_reports_a_corrupt_object_and_lists_and_deletes(imm: Any, bucket: Any, prefix: str) -> None:
    from alibabacloud_imm20200930 import models as m

    bucket.put_object(f"{prefix}a.jpg", tiny_jpeg())
    bucket.put_object(f"{prefix}broken.jpg", b"\xff\xd8\xff not really a jpeg")
    target = f"oss://{BUCKET}/out-{prefix}{{barename}}.{{autoext}}"
    batch_id = create_batch(imm, prefix, target, ("image/resize", ["w_4"]))
    final = poll(lambda: get_batch(imm, batch_id), lambda b: b.state in ("Succeeded", "Failed"))[-1]
    assert final.state == "Succeeded"
    assert counters(final) == (1, 1, 0)
    assert final.error.startswith(f"{prefix}broken.jpg: ")
    assert decode(bucket.get_object(f"out-{prefix}a.jpg").read()) == ("JPEG", (4, 3))

    listed = imm.list_batches(m.ListBatchesRequest(project_name=PROJECT, state="Succeeded", max_results=100)).body
    assert batch_id in [b.id for b in listed.batches]
    with pytest.raises(Exception) as raised:
        imm.suspend_batch(m.SuspendBatchRequest(project_name=PROJECT, id=batch_id))
    assert getattr(raised.value, "code", "") == "InvalidArgument"
    imm.delete_batch(m.DeleteBatchRequest(project_name=PROJECT, id=batch_id))
    with pytest.raises(Exception) as gone:
        get_batch(imm, batch_id)
    assert getattr(gone.value, "code", "") == "ResourceNotFound"


@pytest.mark.parametrize(
    ("steps", "code", "words"),
    [
        ([("doc/convert", ["pages=3"])], "InvalidArgument", "doc/convert is not supported"),
        ([("image/resize", ["w_0x"])], "InvalidArgument", "image/resize"),
    ],
)
def test_bad_actions_are_refused_with_json_errors(imm: Any, prefix: str, steps: Any, code: str, words: str) -> None:
    with pytest.raises(Exception) as raised:
        create_batch(imm, prefix, f"oss://{BUCKET}/o/{{barename}}.{{autoext}}", *steps)
    assert raised.value.code == code
    assert words in raised.value.message


def test_batch_without_target_or_project_is_refused(imm: Any, prefix: str) -> None:
    from alibabacloud_imm20200930 import models as m

    req = m.CreateBatchRequest(
        project_name=PROJECT,
        input=m.Input(oss=m.InputOSS(bucket=BUCKET, prefix=prefix)),
        actions=[m.CreateBatchRequestActions(name="image/resize", parameters=["w_10"])],
    )
    with pytest.raises(Exception) as raised:
        imm.create_batch(req)
    assert raised.value.code == "InvalidArgument" and "TargetURI" in raised.value.message
    req.project_name = "no-such-project"
    with pytest.raises(Exception) as missing:
        imm.create_batch(req)
    assert missing.value.code == "ResourceNotFound"


def test_trigger_processes_new_objects_only_and_not_while_suspended(imm: Any, bucket: Any, prefix: str) -> None:
    from alibabacloud_imm20200930 import models as m

    bucket.put_object(f"{prefix}in/before.jpg", tiny_jpeg())
    req = m.CreateTriggerRequest(
        project_name=PROJECT,
        input=m.Input(oss=m.InputOSS(bucket=BUCKET, prefix=f"{prefix}in/")),
        actions=[m.CreateTriggerRequestActions(
            name="image/resize", parameters=["w_8", f"TargetURI=oss://{BUCKET}/{prefix}in/thumbs/{{barename}}.{{autoext}}"]
        )],
    )
    trigger_id = str(imm.create_trigger(req).body.id)
    assert trigger_id.startswith("trigger-")

    def trigger() -> Any:
        return imm.get_trigger(m.GetTriggerRequest(project_name=PROJECT, id=trigger_id)).body.trigger

    poll(trigger, lambda t: t.state == "Running")
    bucket.put_object(f"{prefix}in/after.jpg", tiny_jpeg(32, 24))
    import oss2

    bucket.copy_object(BUCKET, f"{prefix}in/after.jpg", f"{prefix}in/copied.jpg")
    up = bucket.init_multipart_upload(f"{prefix}in/multi.jpg").upload_id
    part = bucket.upload_part(f"{prefix}in/multi.jpg", up, 1, tiny_jpeg(16, 12))
    bucket.complete_multipart_upload(f"{prefix}in/multi.jpg", up, [oss2.models.PartInfo(1, part.etag)])
    bucket.append_object(f"{prefix}in/appended.jpg", 0, tiny_jpeg())
    final = poll(trigger, lambda t: t.statistic.submit_success >= 4)[-1]
    assert final.state == "Running"
    assert decode(bucket.get_object(f"{prefix}in/thumbs/after.jpg").read()) == ("JPEG", (8, 6))
    assert bucket.object_exists(f"{prefix}in/thumbs/copied.jpg")
    assert bucket.object_exists(f"{prefix}in/thumbs/multi.jpg")
    assert bucket.object_exists(f"{prefix}in/thumbs/appended.jpg")
    assert not bucket.object_exists(f"{prefix}in/thumbs/before.jpg")
    # its own outputs lie under its prefix: serve never fires for them, so the count stays at 4
    time.sleep(0.3)
    assert counters(trigger()) == (4, 0, 0)

    imm.suspend_trigger(m.SuspendTriggerRequest(project_name=PROJECT, id=trigger_id))
    bucket.put_object(f"{prefix}in/while-suspended.jpg", tiny_jpeg())
    imm.resume_trigger(m.ResumeTriggerRequest(project_name=PROJECT, id=trigger_id))
    bucket.put_object(f"{prefix}in/resumed.jpg", tiny_jpeg())
    poll(trigger, lambda t: t.statistic.submit_success >= 5)
    assert bucket.object_exists(f"{prefix}in/thumbs/resumed.jpg")
    assert not bucket.object_exists(f"{prefix}in/thumbs/while-suspended.jpg")

    listed = imm.list_triggers(m.ListTriggersRequest(project_name=PROJECT)).body.triggers
    assert trigger_id in [t.id for t in listed]
    with pytest.raises(Exception) as running:
        imm.delete_trigger(m.DeleteTriggerRequest(project_name=PROJECT, id=trigger_id))
    assert running.value.code == "InvalidArgument"
    imm.suspend_trigger(m.SuspendTriggerRequest(project_name=PROJECT, id=trigger_id))
    imm.update_trigger(m.UpdateTriggerRequest(
        project_name=PROJECT, id=trigger_id, tags={"k": "v"},
        actions=[m.UpdateTriggerRequestActions(
            name="image/resize", parameters=["w_4", f"TargetURI=oss://{BUCKET}/{prefix}small/{{barename}}.{{autoext}}"]
        )],
    ))
    view = trigger()
    assert view.tags == {"k": "v"} and view.actions[0].parameters[0] == "w_4"
    imm.delete_trigger(m.DeleteTriggerRequest(project_name=PROJECT, id=trigger_id))
    assert json.dumps(view.to_map())  # the SDK's model reads our answer back whole


def test_media_actions_transcode_and_snapshot_each_object(imm: Any, bucket: Any, clip: Any, prefix: str) -> None:
    import io

    import av

    bucket.put_object(f"{prefix}v/one.mp4", clip.read_bytes())
    convert = create_batch(
        imm, f"{prefix}v/", f"oss://{BUCKET}/{prefix}small/{{barename}}.{{autoext}}",
        ("video/convert", ["f_mp4", "vcodec_h264", "s_96x72"]),
    )
    frames = create_batch(
        imm, f"{prefix}v/", f"oss://{BUCKET}/{prefix}frames/{{barename}}", ("video/snapshots", ["f_jpg", "num_1"]),
    )
    for batch_id in (convert, frames):
        final = poll(lambda b=batch_id: get_batch(imm, b), lambda b: b.state in ("Succeeded", "Failed"))[-1]
        assert (final.state, counters(final)) == ("Succeeded", (1, 0, 0)), final.error
    with av.open(io.BytesIO(bucket.get_object(f"{prefix}small/one.mp4").read())) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (96, 72)
    assert decode(bucket.get_object(f"{prefix}frames/one_0_1.jpg").read()) == ("JPEG", (128, 96))
