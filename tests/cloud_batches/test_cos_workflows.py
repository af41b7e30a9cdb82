"""Cloud Infinite workflows, executions, templates and inventory jobs on ``mediaproc serve``,
through the real ``qcloud_cos`` client."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import decode, poll, tiny_jpeg

BUCKET = "flows-1250000000"
REGION = "ap-guangzhou"


@pytest.fixture(scope="module")
def cos(emu: Any) -> Any:
    from qcloud_cos import CosConfig, CosS3Client

    conf = CosConfig(
        Region=REGION, SecretId=emu.access_key_id, SecretKey=emu.access_key_secret,
        IP="127.0.0.1", Port=emu.port, Scheme="http",
    )
    client = CosS3Client(conf, retry=1)
    client.create_bucket(Bucket=BUCKET)
    return client


def put(cos: Any, key: str, data: bytes) -> None:
    cos.put_object(Bucket=BUCKET, Key=key, Body=data)


def read(cos: Any, key: str) -> bytes:
    return bytes(cos.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())


def exists(cos: Any, key: str) -> bool:
    return bool(cos.object_exists(Bucket=BUCKET, Key=key))


def job_node(chain: str) -> dict[str, Any]:
    """The operation node mediaproc's own encoder writes for a chain (``Operation/<Tag>``)."""
    from mediaproc.ops.cos.jobs import media_job_request
    from mediaproc.ops.parse import parse_chain

    req = media_job_request(parse_chain([chain])[0], input_key="x", bucket=BUCKET, region=REGION, output_key="o")
    return {"tag": req["Tag"], "node": req["Operation"][req["Tag"]]}


def workflow_body(name: str, prefix: str, nodes: dict[str, Any], deps: dict[str, str], **start: Any) -> dict[str, Any]:
    start_input = {"ObjectPrefix": prefix, **start}
    return {
        "MediaWorkflow": {
            "Name": name,
            "State": "Active",
            "Topology": {
                "Dependencies": deps,
                "Nodes": {"Start": {"Type": "Start", "Input": start_input}, **nodes},
            },
        }
    }


def executions(cos: Any, workflow_id: str, **kw: Any) -> list[dict[str, Any]]:
    found = cos.ci_list_workflowexecution(Bucket=BUCKET, WorkflowId=workflow_id, Size=100, **kw)
    listed = found.get("WorkflowExecutionList") or []
    return [listed] if isinstance(listed, dict) else list(listed)  # the SDK leaves one result a dict


def all_done(items: list[dict[str, Any]]) -> bool:
    return all(e["State"] in ("Success", "Failed") for e in items)


@pytest.fixture
def flows(cos: Any) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for wf in made:
        cos.ci_delete_workflow(Bucket=BUCKET, WorkflowId=wf)


def test_workflow_runs_on_new_uploads_only_and_reports_failures_by_key(
    cos: Any, prefix: str, flows: list[str]
) -> None:
    put(cos, f"{prefix}in/before.jpg", tiny_jpeg())
    template = cos.ci_create_template(
        Bucket=BUCKET,
        Template={"Tag": "PicProcess", "Name": "to-png", "PicProcess": {"ProcessRule": "imageMogr2/format/png"}},
    )["Template"]["TemplateId"]
    out = {"Region": REGION, "Bucket": BUCKET}
    body = workflow_body(
        "thumbs", f"{prefix}in/",
        {
            "PicProcess_1": {"Type": "PicProcess", "Operation": {
                "PicProcess": {"ProcessRule": "imageMogr2/thumbnail/8x"},
                "Output": {**out, "Object": f"{prefix}out/${{InputName}}.${{Ext}}"},
            }},
            "PicProcess_2": {"Type": "PicProcess", "Operation": {
                "TemplateId": template, "Output": {**out, "Object": f"{prefix}png/${{InputName}}_${{RunId}}.${{Ext}}"},
            }},
        },
        {"Start": "PicProcess_1,PicProcess_2", "PicProcess_1": "End", "PicProcess_2": "End"},
        ExtFilter={"State": "On", "Custom": "true", "CustomExts": "jpg/jpeg"},
    )
    created = cos.ci_create_workflow(Bucket=BUCKET, Body=body, ContentType="application/xml")["MediaWorkflow"]
    wf = created["WorkflowId"]
    flows.append(wf)
    assert wf.startswith("w") and len(wf) == 33 and created["State"] == "Active"

    put(cos, f"{prefix}in/good.jpg", tiny_jpeg(32, 24))
    put(cos, f"{prefix}in/bad.jpg", b"\xff\xd8\xff this is not a jpeg")
    put(cos, f"{prefix}in/skipped.png", tiny_jpeg())  # the ExtFilter lets only .jpg/.jpeg through
    put(cos, f"{prefix}elsewhere.jpg", tiny_jpeg())  # outside the prefix
    runs = poll(lambda: executions(cos, wf), lambda e: len(e) == 2 and all_done(e))[-1]
    by_key = {e["Object"]: e for e in runs}
    assert set(by_key) == {f"{prefix}in/good.jpg", f"{prefix}in/bad.jpg"}
    assert by_key[f"{prefix}in/good.jpg"]["State"] == "Success"
    assert by_key[f"{prefix}in/bad.jpg"]["State"] == "Failed"

    detail = cos.ci_get_workflowexecution(Bucket=BUCKET, RunId=by_key[f"{prefix}in/bad.jpg"]["RunId"])
    tasks = detail["WorkflowExecution"][0]["Tasks"]
    tasks = [tasks] if isinstance(tasks, dict) else tasks
    assert {t["State"] for t in tasks} == {"Failed"}
    assert all(t["Message"].startswith(f"{prefix}in/bad.jpg: ") for t in tasks)
    failed = executions(cos, wf, States="Failed")
    assert [e["Object"] for e in failed] == [f"{prefix}in/bad.jpg"]

    assert decode(read(cos, f"{prefix}out/good.jpg")) == ("JPEG", (8, 6))
    good_run = by_key[f"{prefix}in/good.jpg"]["RunId"]
    assert decode(read(cos, f"{prefix}png/good_{good_run}.png"))[0] == "PNG"
    assert not exists(cos, f"{prefix}out/before.jpg")
    assert not exists(cos, f"{prefix}out/skipped.png") and not exists(cos, f"{prefix}out/elsewhere.jpg")

    # an object that existed before: only by TriggerWorkflow
    instance = cos.ci_trigger_workflow(Bucket=BUCKET, WorkflowId=wf, Key=f"{prefix}in/before.jpg")["InstanceId"]
    poll(lambda: cos.ci_get_workflowexecution(Bucket=BUCKET, RunId=instance)["WorkflowExecution"][0],
         lambda e: e["State"] == "Success")
    assert decode(read(cos, f"{prefix}out/before.jpg")) == ("JPEG", (8, 6))

    # a copy and a multipart upload are new objects too
    cos.copy_object(
        Bucket=BUCKET, Key=f"{prefix}in/copied.jpg",
        CopySource={"Bucket": BUCKET, "Key": f"{prefix}in/good.jpg", "Region": REGION},
    )
    upload = cos.create_multipart_upload(Bucket=BUCKET, Key=f"{prefix}in/parts.jpg")["UploadId"]
    part = cos.upload_part(Bucket=BUCKET, Key=f"{prefix}in/parts.jpg", Body=tiny_jpeg(), PartNumber=1, UploadId=upload)
    cos.complete_multipart_upload(
        Bucket=BUCKET, Key=f"{prefix}in/parts.jpg", UploadId=upload,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    poll(lambda: executions(cos, wf), lambda e: len(e) == 5 and all_done(e))
    assert exists(cos, f"{prefix}out/copied.jpg") and exists(cos, f"{prefix}out/parts.jpg")

    # paused: uploads do not run it; updates are allowed only now
    from qcloud_cos.cos_exception import CosServiceError

    with pytest.raises(CosServiceError) as active:
        cos.ci_update_workflow(Bucket=BUCKET, WorkflowId=wf, Body=body, ContentType="application/xml")
    assert active.value.get_error_code() == "InvalidArgument"
    paused = cos.ci_update_workflow_state(Bucket=BUCKET, WorkflowId=wf, UpdateState="paused")
    assert paused["MediaWorkflow"]["State"] == "Paused"
    put(cos, f"{prefix}in/while-paused.jpg", tiny_jpeg())
    body["MediaWorkflow"]["Name"] = "thumbs-2"
    cos.ci_update_workflow(Bucket=BUCKET, WorkflowId=wf, Body=body, ContentType="application/xml")
    listed = cos.ci_get_workflow(Bucket=BUCKET, Ids=wf)["MediaWorkflowList"]
    assert [(w["WorkflowId"], w["Name"], w["State"]) for w in listed] == [(wf, "thumbs-2", "Paused")]
    assert len(executions(cos, wf)) == 5
    assert not exists(cos, f"{prefix}out/while-paused.jpg")


def test_errors_carry_the_four_fields_qcloud_cos_reads(cos: Any) -> None:
    from qcloud_cos.cos_exception import CosServiceError

    with pytest.raises(CosServiceError) as missing:
        cos.ci_get_workflowexecution(Bucket=BUCKET, RunId="i" + "0" * 32)
    assert missing.value.get_status_code() == 404
    assert missing.value.get_error_code() == "NoSuchResource"
    assert missing.value.get_request_id() != "Unknown"
    with pytest.raises(CosServiceError) as bad:
        cos.ci_create_workflow(
            Bucket=BUCKET, Body={"MediaWorkflow": {"Name": "x", "Topology": {"Dependencies": {"Start": "Nope_1"}}}},
            ContentType="application/xml",
        )
    assert bad.value.get_error_code() == "InvalidArgument"
    assert "Nodes" in bad.value.get_error_msg()


def test_inventory_job_runs_a_video_workflow_over_existing_objects(
    cos: Any, clip: Path, prefix: str, flows: list[str]
) -> None:
    import av

    data = clip.read_bytes()
    for name in ("a.mp4", "b.mp4"):
        put(cos, f"{prefix}videos/{name}", data)
    transcode = job_node("video/convert,f_mp4,vcodec_h264,s_96x72")
    snapshot = job_node("video/snapshots,f_jpg,num_2")
    out = {"Region": REGION, "Bucket": BUCKET}
    body = workflow_body(
        "video", f"{prefix}videos/",
        {
            "Transcode_1": {"Type": "Transcode", "Operation": {
                transcode["tag"]: transcode["node"],
                "Output": {**out, "Object": f"{prefix}small/${{InputName}}.${{Ext}}"},
            }},
            "Snapshot_2": {"Type": "Snapshot", "Operation": {
                snapshot["tag"]: snapshot["node"],
                "Output": {**out, "Object": f"{prefix}frames/${{InputName}}-${{Number}}.jpg"},
            }},
        },
        {"Start": "Transcode_1", "Transcode_1": "Snapshot_2", "Snapshot_2": "End"},
    )
    body["MediaWorkflow"]["State"] = "Paused"  # an inventory job does not need an Active workflow
    wf = cos.ci_create_workflow(Bucket=BUCKET, Body=body, ContentType="application/xml")["MediaWorkflow"]["WorkflowId"]
    flows.append(wf)
    job = cos.ci_create_inventory_trigger_jobs(Bucket=BUCKET, JobBody={
        "Name": "backfill", "Type": "Workflow", "Input": {"Prefix": f"{prefix}videos/"},
        "Operation": {"WorkflowIds": wf, "TimeInterval": {"Start": "2020-01-01T00:00:00+0800"}},
    }, ContentType="application/xml")["JobsDetail"][0]
    assert job["JobId"].startswith("b") and job["State"] in ("Submitted", "Running")

    def get() -> dict[str, Any]:
        return dict(cos.ci_get_inventory_trigger_jobs(Bucket=BUCKET, JobID=job["JobId"])["JobsDetail"][0])

    done = poll(get, lambda j: j["State"] in ("Success", "Failed", "Cancel"))[-1]
    assert done["State"] == "Success", done
    runs = executions(cos, wf, BatchJobId=job["JobId"])
    assert sorted(e["Object"] for e in runs) == [f"{prefix}videos/a.mp4", f"{prefix}videos/b.mp4"]
    assert {e["State"] for e in runs} == {"Success"}
    listed = cos.ci_list_inventory_trigger_jobs(Bucket=BUCKET, WorkflowId=wf)["JobsDetail"]
    assert [j["JobId"] for j in listed] == [job["JobId"]]

    with av.open(io.BytesIO(read(cos, f"{prefix}small/a.mp4"))) as c:
        stream = c.streams.video[0]
        assert (stream.width, stream.height) == (96, 72)
    frames = [o["Key"] for o in cos.list_objects(Bucket=BUCKET, Prefix=f"{prefix}frames/")["Contents"]]
    assert f"{prefix}frames/a-0.jpg" in frames and f"{prefix}frames/b-0.jpg" in frames  # ${Number} from 0
    assert decode(read(cos, f"{prefix}frames/a-0.jpg")) == ("JPEG", (96, 72))  # a frame of the transcoded file

    # a window that ends before the objects were uploaded selects none of them
    empty = cos.ci_create_inventory_trigger_jobs(Bucket=BUCKET, JobBody={
        "Name": "none", "Type": "Workflow", "Input": {"Prefix": f"{prefix}videos/"},
        "Operation": {
            "WorkflowIds": wf,
            "TimeInterval": {"Start": "2020-01-01T00:00:00+0800", "End": "2020-02-01T00:00:00+0800"},
        },
    }, ContentType="application/xml")["JobsDetail"][0]["JobId"]
    poll(lambda: cos.ci_get_inventory_trigger_jobs(Bucket=BUCKET, JobID=empty)["JobsDetail"][0],
         lambda j: j["State"] == "Success")
    assert executions(cos, wf, BatchJobId=empty) == []
    response = cos.ci_delete_inventory_trigger_jobs(Bucket=BUCKET, JobId=empty)  # cancel: a finished job stays
    assert response.status_code == 200


def test_workflow_output_under_its_own_prefix_runs_once(cos: Any, prefix: str, flows: list[str]) -> None:
    body = workflow_body(
        "self-feeding", f"{prefix}loop/",
        {"PicProcess_1": {"Type": "PicProcess", "Operation": {
            "PicProcess": {"ProcessRule": "imageMogr2/thumbnail/4x"},
            "Output": {"Region": REGION, "Bucket": BUCKET, "Object": f"{prefix}loop/t-${{InputName}}.${{Ext}}"},
        }}},
        {"Start": "PicProcess_1", "PicProcess_1": "End"},
    )
    wf = cos.ci_create_workflow(Bucket=BUCKET, Body=body, ContentType="application/xml")["MediaWorkflow"]["WorkflowId"]
    flows.append(wf)
    put(cos, f"{prefix}loop/a.jpg", tiny_jpeg())
    poll(lambda: executions(cos, wf), lambda e: len(e) == 1 and all_done(e))
    assert decode(read(cos, f"{prefix}loop/t-a.jpg")) == ("JPEG", (4, 3))
    time.sleep(0.3)  # serve never announces its own outputs: no second execution appears
    assert len(executions(cos, wf)) == 1


def test_job_type_inventory_over_a_url_file_counts_failures(cos: Any, prefix: str) -> None:
    put(cos, f"{prefix}a.jpg", tiny_jpeg())
    put(cos, f"{prefix}b.jpg", tiny_jpeg(20, 10))
    put(cos, f"{prefix}c.jpg", b"corrupt")
    urls = "\n".join(f"https://{BUCKET}.cos.{REGION}.myqcloud.com/{prefix}{n}.jpg" for n in "abc")
    put(cos, f"{prefix}list.txt", urls.encode())
    job = cos.ci_create_inventory_trigger_jobs(Bucket=BUCKET, JobBody={
        "Name": "thumbs", "Type": "Job", "Input": {"UrlFile": f"{prefix}list.txt"},
        "Operation": {
            "Tag": "PicProcess",
            "JobParam": {"PicProcess": {"ProcessRule": "imageMogr2/thumbnail/10x"}},
            "Output": {"Region": REGION, "Bucket": BUCKET, "Object": f"{prefix}out/${{InputName}}.${{Ext}}"},
        },
    }, ContentType="application/xml")["JobsDetail"][0]["JobId"]
    done = poll(
        lambda: cos.ci_get_inventory_trigger_jobs(Bucket=BUCKET, JobID=job)["JobsDetail"][0],
        lambda j: j["State"] in ("Success", "Failed", "Cancel"),
    )[-1]
    assert done["State"] == "Success" and done["Type"] == "Job"
    assert done["Message"].startswith(f"1 of 3 objects failed; first: {prefix}c.jpg: ")
    assert decode(read(cos, f"{prefix}out/a.jpg")) == ("JPEG", (10, 8))
    assert decode(read(cos, f"{prefix}out/b.jpg")) == ("JPEG", (10, 5))
    listed = cos.ci_list_inventory_trigger_jobs(Bucket=BUCKET, Type="Job", States="Success", Size=100)["JobsDetail"]
    assert job in [j["JobId"] for j in listed]

    from qcloud_cos.cos_exception import CosServiceError

    with pytest.raises(CosServiceError) as missing:
        cos.ci_create_inventory_trigger_jobs(Bucket=BUCKET, JobBody={
            "Name": "x", "Type": "Workflow", "Input": {"Prefix": prefix}, "Operation": {"WorkflowIds": "w" + "0" * 32},
        }, ContentType="application/xml")
    assert missing.value.get_error_code() == "NoSuchResource"
    gone = cos.ci_get_inventory_trigger_jobs(Bucket=BUCKET, JobID="b" + "0" * 32)
    assert gone["NonExistJobIds"] == "b" + "0" * 32


def test_inventory_job_over_a_cos_inventory_manifest(cos: Any, prefix: str, flows: list[str]) -> None:
    import gzip
    import json
    from urllib.parse import quote

    for name in ("x 1.jpg", "y.jpg", "z.jpg"):
        put(cos, f"{prefix}src/{name}", tiny_jpeg())
    rows = "".join(
        f'"{BUCKET}","{quote(f"{prefix}src/{n}")}","1","2024-01-01T00:00:00.000Z"\n' for n in ("x 1.jpg", "z.jpg")
    )
    put(cos, f"{prefix}inv/data/part-0.csv.gz", gzip.compress(rows.encode()))
    manifest = {"fileFormat": "CSV", "files": [{"key": f"{prefix}inv/data/part-0.csv.gz", "size": 1}]}
    put(cos, f"{prefix}inv/manifest.json", json.dumps(manifest).encode())
    body = workflow_body(
        "from-manifest", f"{prefix}src/",
        {"PicProcess_1": {"Type": "PicProcess", "Operation": {
            "PicProcess": {"ProcessRule": "imageMogr2/format/webp"},
            "Output": {"Region": REGION, "Bucket": BUCKET, "Object": f"{prefix}webp/${{InputName}}.${{Ext}}"},
        }}},
        {"Start": "PicProcess_1", "PicProcess_1": "End"},
    )
    wf = cos.ci_create_workflow(Bucket=BUCKET, Body=body, ContentType="application/xml")["MediaWorkflow"]["WorkflowId"]
    flows.append(wf)
    job = cos.ci_create_inventory_trigger_jobs(Bucket=BUCKET, JobBody={
        "Name": "manifest", "Type": "Workflow", "Input": {"Manifest": f"{prefix}inv/manifest.json"},
        "Operation": {"WorkflowIds": wf},
    }, ContentType="application/xml")["JobsDetail"][0]["JobId"]
    poll(lambda: cos.ci_get_inventory_trigger_jobs(Bucket=BUCKET, JobID=job)["JobsDetail"][0],
         lambda j: j["State"] == "Success")
    runs = executions(cos, wf, BatchJobId=job)
    assert sorted(e["Object"] for e in runs) == [f"{prefix}src/x 1.jpg", f"{prefix}src/z.jpg"]
    assert decode(read(cos, f"{prefix}webp/x 1.webp"))[0] == "WEBP"
    assert not exists(cos, f"{prefix}webp/y.webp")
