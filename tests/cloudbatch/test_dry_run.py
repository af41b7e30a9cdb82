"""``batch submit`` / ``trigger create --dry-run``: the exact IMM and COS request bodies, with no
credentials and no network, checked against the SDKs' own request models.

IMM: each body is built into ``alibabacloud_imm20200930.models.CreateBatchRequest`` (and
``CreateTriggerRequest``) with ``from_map`` and must come back unchanged from ``to_map``, its nested
parts typed as the SDK types them (a field name the model does not know would be dropped, a wrong
type would not survive). COS: the printed XML must be byte for byte what qcloud_cos's ``format_xml``
writes for the printed body (what ``ci_create_workflow`` / ``ci_create_inventory_trigger_jobs`` send).
"""

from __future__ import annotations

from typing import Any

import pytest

from support.cli import Cli

OSS_B = "oss://photos-bkt"
COS_BUCKET = "media-1250000000"
COS_B = f"cos://{COS_BUCKET}"

# (operations, the Actions IMM gets; the last one also carries TargetURI)
IMM_CASES: list[tuple[list[str], list[dict[str, Any]], str]] = [
    (["resize:w=200", "format:target=webp"],
     [{"Name": "image/resize", "Parameters": ["w_200"]}, {"Name": "image/format", "Parameters": ["webp"]}],
     "out/{barename}.webp"),
    (["video/convert:f=mp4,vcodec=h264,s=640x360"],
     [{"Name": "video/convert", "Parameters": ["f_mp4", "vcodec_h264", "s_640x360"]}], "out/{barename}.mp4"),
    (["video/snapshots:f=jpg,num=3,inter=1000"],
     [{"Name": "video/snapshots", "Parameters": ["f_jpg", "num_3", "inter_1000"]}], "out/{barename}"),
    (["audio/convert:f=mp3,ab=128000"],
     [{"Name": "audio/convert", "Parameters": ["f_mp3", "ab_128000"]}], "out/{barename}.mp3"),
    (["style/thumb"], [{"Name": "style/thumb", "Parameters": []}], "out/{basename}"),
    (["resize:w=800", "rotate:angle=90", "quality:Q=80", "format:target=jpg"],
     [{"Name": "image/resize", "Parameters": ["w_800"]}, {"Name": "image/rotate", "Parameters": ["90"]},
      {"Name": "image/quality", "Parameters": ["Q_80"]}, {"Name": "image/format", "Parameters": ["jpg"]}],
     "out/{barename}.jpg"),
]


def _imm_dry_run(cli: Cli, command: list[str], ops: list[str]) -> dict[str, Any]:
    res = cli("--json", "--imm-project", "proj", *command, f"{OSS_B}/in/", *ops, "--to", f"{OSS_B}/out/", "--dry-run")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["provider"] == "oss" and len(doc["requests"]) == 1
    request = doc["requests"][0]
    assert (request["method"], request["path"]) == ("POST", "/")
    body: dict[str, Any] = request["body"]
    return body


@pytest.mark.parametrize(("ops", "actions", "template"), IMM_CASES, ids=lambda v: str(v)[:30])
def test_imm_batch_body_is_the_sdk_model(cli: Cli, ops: list[str], actions: list[dict[str, Any]],
                                         template: str) -> None:
    from alibabacloud_imm20200930 import models

    body = _imm_dry_run(cli, ["batch", "submit"], ops)
    expected_actions = [dict(a, Parameters=list(a["Parameters"])) for a in actions]
    expected_actions[-1]["Parameters"].append(f"TargetURI=oss://photos-bkt/{template}")
    assert body == {
        "ProjectName": "proj",
        "Input": {"OSS": {"Bucket": "photos-bkt", "Prefix": "in/"}},
        "Actions": expected_actions,
        "ServiceRole": "AliyunIMMBatchTriggerRole",
        "Tags": {"mediaproc-planned": "<object count>"},  # the count of the listing made when submitting
    }
    request = models.CreateBatchRequest().from_map(body)
    assert request.to_map() == body  # every field name known to the model, every value of its type
    assert isinstance(request.input, models.Input) and isinstance(request.input.oss, models.InputOSS)
    assert all(isinstance(a, models.CreateBatchRequestActions) for a in request.actions)
    assert all(isinstance(p, str) for a in request.actions for p in a.parameters)
    assert request.project_name == "proj" and request.input.oss.prefix == "in/"


def test_imm_trigger_body_is_the_sdk_model(cli: Cli) -> None:
    from alibabacloud_imm20200930 import models

    body = _imm_dry_run(cli, ["trigger", "create", "--topic", "imm-events"], ["resize:w=200"])
    assert body["Notification"] == {"MNS": {"TopicName": "imm-events"}}
    request = models.CreateTriggerRequest().from_map(body)
    assert request.to_map() == body
    assert isinstance(request.notification, models.CreateTriggerRequestNotification)
    assert request.notification.mns.topic_name == "imm-events"


def test_imm_extension_filter_is_a_match_expression(cli: Cli) -> None:
    res = cli("--json", "--imm-project", "p", "batch", "submit", f"{OSS_B}/in/*.jpg", "resize:w=10",
              "--to", f"{OSS_B}/out/", "--dry-run")
    assert res.code == 0, res.stderr
    assert res.json()["requests"][0]["body"]["Input"]["OSS"] == {
        "Bucket": "photos-bkt", "MatchExpressions": ["key suffix (.jpg)"], "Prefix": "in/"}


# (operations, the node after Start, its Operation without Output, the output object)
COS_CASES: list[tuple[list[str], str, dict[str, Any], str]] = [
    (["resize:w=200", "format:target=webp"], "PicProcess_1",
     {"PicProcess": {"IsPicInfo": "false", "ProcessRule": "imageMogr2/thumbnail/200x>/format/webp"}},
     "out/${InputName}.webp"),
    (["video/convert:f=mp4,vcodec=h264,s=640x360"], "Transcode_1",
     {"Transcode": {"Container": {"Format": "mp4"}, "Video": {"Codec": "H.264", "Width": "640", "Height": "360"}}},
     "out/${InputName}.mp4"),
    (["video/snapshots:f=jpg,num=3,inter=1000"], "Snapshot_1",
     {"Snapshot": {"Mode": "Interval", "TimeInterval": "1", "Count": "3", "Format": "jpg",
                   "SnapshotOutMode": "OnlySnapshot"}},
     "out/${InputName}-${Number}.jpg"),
    (["audio/convert:f=mp3,ab=128000"], "Transcode_1",
     {"Transcode": {"Container": {"Format": "mp3"}, "Audio": {"Bitrate": "128"}}}, "out/${InputName}.mp3"),
    (["style/thumb"], "PicProcess_1", {"PicProcess": {"IsPicInfo": "false", "ProcessRule": "style/thumb"}},
     "out/${InputName}.${ext}"),
    (["resize:w=800", "rotate:angle=90", "quality:Q=80", "format:target=jpg"], "PicProcess_1",
     {"PicProcess": {"IsPicInfo": "false",
                     "ProcessRule": "imageMogr2/thumbnail/800x>/rotate/90/quality/80/format/jpg"}},
     "out/${InputName}.jpg"),
]


@pytest.mark.parametrize(("ops", "node", "operation", "output"), COS_CASES, ids=lambda v: str(v)[:30])
def test_cos_batch_bodies_are_what_qcloud_cos_sends(cli: Cli, ops: list[str], node: str,
                                                    operation: dict[str, Any], output: str) -> None:
    from qcloud_cos.cos_comm import format_xml

    res = cli("--json", "--region", "ap-guangzhou", "batch", "submit", f"{COS_B}/in/", *ops,
              "--to", f"{COS_B}/out/", "--name", "nightly", "--queue-id", "p0123", "--dry-run")
    assert res.code == 0, res.stderr
    workflow, job = res.json()["requests"]
    assert (workflow["action"], workflow["method"], workflow["path"]) == ("CreateWorkflow", "POST", "/workflow")
    assert workflow["body"] == {"MediaWorkflow": {
        "Name": "nightly",
        "State": "Paused",
        "Topology": {
            "Dependencies": {"Start": node, node: "End"},
            "Nodes": {
                "Start": {"Type": "Start", "Input": {"QueueId": "p0123", "ObjectPrefix": "in/"}},
                node: {"Type": node.split("_")[0], "Operation": {
                    **operation, "Output": {"Region": "ap-guangzhou", "Bucket": COS_BUCKET, "Object": output}}},
            },
        },
    }}
    assert workflow["xml"] == format_xml(data=workflow["body"], root="Request").decode()
    assert (job["action"], job["path"]) == ("CreateInventoryTriggerJob", "/inventorytriggerjob")
    assert job["body"] == {"Name": "nightly", "Type": "Workflow", "Input": {"Prefix": "in/"},
                           "Operation": {"WorkflowIds": "<workflow-id>"}}
    assert job["xml"] == format_xml(data=job["body"], root="Request").decode()


def test_cos_trigger_filters_one_extension_a_batch_refuses_it(cli: Cli) -> None:
    from qcloud_cos.cos_comm import format_xml

    res = cli("--json", "--region", "ap-guangzhou", "trigger", "create", f"{COS_B}/in/*.MOV", "video/convert:f=mp4",
              "--to", f"{COS_B}/out/", "--name", "movies", "--dry-run")
    assert res.code == 0, res.stderr
    (workflow,) = res.json()["requests"]
    start = workflow["body"]["MediaWorkflow"]["Topology"]["Nodes"]["Start"]["Input"]
    assert start == {"ObjectPrefix": "in/", "ExtFilter": {"State": "On", "Custom": "true", "CustomExts": "mov"}}
    assert workflow["body"]["MediaWorkflow"]["State"] == "Active"
    assert workflow["xml"] == format_xml(data=workflow["body"], root="Request").decode()
    batch = cli("--region", "ap-guangzhou", "batch", "submit", f"{COS_B}/in/*.mov", "video/convert:f=mp4",
                "--to", f"{COS_B}/out/", "--dry-run")
    assert batch.code == 2 and "give the prefix alone" in batch.stderr


def test_cos_text_dry_run_prints_the_xml_and_no_secret(cli: Cli) -> None:
    res = cli("--region", "ap-guangzhou", "trigger", "create", f"{COS_B}/uploads/", "video/convert:f=mp4",
              "--to", f"{COS_B}/converted/", "--name", "on-upload", "--dry-run",
              env={"TENCENTCLOUD_SECRET_ID": "AKIDdryrun", "TENCENTCLOUD_SECRET_KEY": "s3cr3t-dry-run"})
    assert res.code == 0, res.stderr
    assert res.stdout.splitlines()[0] == "POST /workflow    (CreateWorkflow)"
    assert "<State>Active</State>" in res.stdout and "inventorytriggerjob" not in res.stdout
    assert "s3cr3t-dry-run" not in res.stdout + res.stderr and "AKIDdryrun" not in res.stdout + res.stderr


def test_cos_batch_with_a_time_window_and_an_existing_workflow(cli: Cli) -> None:
    wid = "w" + "0" * 32
    res = cli("--json", "--region", "ap-guangzhou", "batch", "submit", f"{COS_B}/in/", "video/convert:f=mp4",
              "--to", f"{COS_B}/out/", "--name", "backfill", "--workflow", wid,
              "--uploaded-after", "2024-01-01T00:00:00+0800", "--uploaded-before", "2024-06-01T00:00:00+0800",
              "--dry-run")
    assert res.code == 0, res.stderr
    (job,) = res.json()["requests"]
    assert job["body"]["Operation"] == {
        "TimeInterval": {"Start": "2024-01-01T00:00:00+0800", "End": "2024-06-01T00:00:00+0800"},
        "WorkflowIds": wid}
    since = cli("--json", "--region", "ap-guangzhou", "batch", "submit", f"{COS_B}/in/", "video/convert:f=mp4",
                "--to", f"{COS_B}/out/", "--workflow", wid, "--uploaded-after", "2024-01-01T00:00:00+0800",
                "--dry-run")
    assert since.json()["requests"][0]["body"]["Operation"] == {  # End left out: "default: now"
        "TimeInterval": {"Start": "2024-01-01T00:00:00+0800"}, "WorkflowIds": wid}


@pytest.mark.parametrize("command", [["batch", "submit"], ["trigger", "create"]])
@pytest.mark.parametrize(("source", "to"), [(f"{OSS_B}/in/", f"{OSS_B}/in/thumbs/"),
                                            (f"{COS_B}/in/", f"{COS_B}/in/"),
                                            (f"{OSS_B}/", f"{OSS_B}/out/")])
def test_an_output_under_the_input_prefix_is_refused(cli: Cli, command: list[str], source: str, to: str) -> None:
    res = cli("--imm-project", "p", "--region", "ap-guangzhou", *command, source, "resize:w=10", "--to", to,
              "--dry-run")
    assert res.code == 2, res.stderr
    assert "lies under its input prefix" in res.stderr and "--force" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    forced = cli("--imm-project", "p", "--region", "ap-guangzhou", *command, source, "resize:w=10", "--to", to,
                 "--dry-run", "--force")
    assert forced.code == 0, forced.stderr


@pytest.mark.parametrize(("ops", "named"), [
    (["info"], "info"),
    (["video/concat:f=mp4,vcodec=h264,acodec=aac"], "video/concat"),
    (["faces"], "faces"),
])
def test_what_a_cloud_batch_cannot_express_is_refused_naming_the_operation(cli: Cli, ops: list[str],
                                                                          named: str) -> None:
    for source, to in ((f"{OSS_B}/in/", f"{OSS_B}/out/"), (f"{COS_B}/in/", f"{COS_B}/out/")):
        res = cli("--imm-project", "p", "--region", "ap-guangzhou", "batch", "submit", source, *ops,
                  "--to", to, "--dry-run")
        assert res.code == 2, res.stderr
        assert res.first_stderr_line.startswith(f"Error: {named}") and "Hint:" in res.stderr


def test_cos_refuses_what_a_media_job_refuses(cli: Cli) -> None:
    res = cli("--region", "ap-guangzhou", "batch", "submit", f"{COS_B}/in/", "video/animation:f=gif,num=5",
              "--to", f"{COS_B}/out/", "--dry-run")
    assert res.code == 2 and "num=5 has no Cloud Infinite equivalent" in res.stderr


def test_a_prefix_with_a_pattern_other_than_one_extension_is_refused(cli: Cli) -> None:
    res = cli("--imm-project", "p", "batch", "submit", f"{OSS_B}/in/2024-*/a.jpg", "resize:w=1",
              "--to", f"{OSS_B}/out/", "--dry-run")
    assert res.code == 2 and "PREFIX/*.EXT" in res.stderr


def test_the_output_is_named_in_imm_variables(cli: Cli) -> None:
    body = _imm_dry_run(cli, ["batch", "submit"], ["resize:w=10"])
    target = body["Actions"][-1]["Parameters"][-1]
    assert target == "TargetURI=oss://photos-bkt/out/{basename}"


@pytest.mark.parametrize(("ops", "actions", "template"), IMM_CASES, ids=lambda v: str(v)[:30])
def test_serve_reads_the_actions_back_as_the_process_string(cli: Cli, ops: list[str],
                                                             actions: list[dict[str, Any]], template: str) -> None:
    from mediaproc.ops.oss.batch_actions import read_actions
    from mediaproc.ops.oss.encode import process_string
    from mediaproc.ops.parse import parse_chain

    body = _imm_dry_run(cli, ["batch", "submit"], ops)
    read = read_actions(body["Actions"])
    assert read.target == f"oss://photos-bkt/{template}"
    assert read.process == (ops[0] if ops[0].startswith("style/") else process_string(parse_chain(ops)))
