"""What OSS image processing and IMM refuse, serve refuses the same way: status, Code and the OSS
detail code (EC) or IMM's JSON error, through the real oss2 and alibabacloud_imm20200930 clients.

Each test names the pages its rule comes from; docs/serve.md lists them.
"""

from __future__ import annotations

import io
from typing import Any

import oss2
import pytest
from alibabacloud_imm20200930 import models as imm
from alibabacloud_tea_openapi.exceptions import ClientException
from PIL import Image

from support.emulator import Emulator


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 50, 50)).save(buf, "JPEG")
    return buf.getvalue()


def _oss_error(call: Any, *args: Any, **kwargs: Any) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as err:
        call(*args, **kwargs)
    return err.value


def _imm_error(call: Any, *args: Any) -> ClientException:
    with pytest.raises(ClientException) as err:
        call(*args)
    return err.value


# (process string, the EC of the OSS error page help.aliyun.com/zh/oss/support/<EC> that uses it
# or its like as its example)
REFUSED = [
    ("image/resize,w_100,m_abc", "0040-00000311"),
    ("image/resize,w_0", "0040-00000312"),
    ("image/resize,w_abc", "0040-00000312"),
    ("image/resize,l_0", "0040-00000314"),
    ("image/resize,s_0", "0040-00000315"),
    ("image/resize,p_0", "0040-00000317"),
    ("image/resize,w_100,limit_3", "0040-00000319"),
    ("image/resize,w_100,m_pad,color_AABBCCDD", "0040-00000318"),  # "规范格式为6位", as the watermark's
    ("image/resize,w_100,m_pad,color_FFF", "0040-00000318"),
    ("image/crop,x_100,y_50,w_-1,h_100", "0040-00000225"),
    ("image/rotate,400", "0040-00000217"),
    ("image/rotate,abc", "0040-00000217"),
    ("image/rotate,90,200,300", "0040-00000203"),
    ("image/bright,10,20", "0040-00000203"),
    ("image/resize,w_100/auto-orient,10", "0040-00000215"),
    ("image/bright,200", "0040-00000246"),
    ("image/sharpen,10", "0040-00000280"),
    ("image/interlace,2", "0040-00000282"),
    ("image/blur,r_200,s_25", "0040-00000241"),
    ("image/blur,r_3,s_abc", "0040-00000242"),
    ("image/circle,r_5000", "0040-00000233"),
    ("image/rounded-corners,r_5000", "0040-00000237"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,type_bm90c3VwcG9ydAo", "0040-00000251"),  # font "notsupport"
    ("image/watermark,text_SGVsbG8gV29ybGQ,type_notbase64", "0040-00000250"),
    ("image/watermark,image_notbase64", "0040-00000265"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,color_AABBCCDD", "0040-00000254"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,color_FFF", "0040-00000254"),  # "规范格式为6位"
    ("image/format,dng", "0040-00000206"),
    ("image/quality,q_200", "0040-00000309"),
    ("image/quality,Q_200", "0040-00000308"),
    ("image/format", "0040-00000207"),  # no value
    ("image/rotate", "0040-00000216"),
    ("image/bright", "0040-00000245"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,x_8000", "0040-00000262"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,y_8000", "0040-00000264"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,g_xx", "0040-00000260"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,t_200", "0040-00000263"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,voffset_2000", "0040-00000268"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,fill_1,pady_5000", "0040-00000277"),
    ("image/watermark,text_SGVsbG8gV29ybGQ,image_ZXhhbXBsZS9leGFtcGxlLmpwZwo,order_2", "0040-00000269"),
    ("image/", "0040-00000212"),
]


def test_image_parameters_refused_with_their_documented_detail_code(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("ec-codes")
    bucket.put_object("a.jpg", _jpeg())
    for process, ec in REFUSED:
        err = _oss_error(bucket.get_object, "a.jpg", process=process)
        assert (err.status, err.code, err.ec) == (400, "InvalidArgument", ec), process
        assert err.request_id, process  # a whole OSS XML error body
    # the same requests with values OSS takes are served
    for process in ("image/rotate,90", "image/watermark,text_SGVsbG8gV29ybGQ,type_d3F5LW1pY3JvaGVp,color_FF0000"):
        assert bucket.get_object("a.jpg", process=process).read()[:2] == b"\xff\xd8", process


def test_imm_project_names_follow_create_project(emulator: Emulator) -> None:
    """IMM CreateProject (2020-09-30), as ROS's ALIYUN::IMM::Project2 documents its ProjectName
    (help.aliyun.com/zh/ros/developer-reference/aliyun-imm-project2): 1-128 letters, digits, '-'
    and '_', starting with a letter or '_'."""
    client = emulator.imm_client()
    created = client.create_project(imm.CreateProjectRequest(project_name="_staging-1"))
    assert created.body.project.project_name == "_staging-1"
    for bad in ("1project", "-project", "a" * 129, "has space"):
        err = _imm_error(client.create_project, imm.CreateProjectRequest(project_name=bad))
        assert (err.status_code, err.code) == (400, "InvalidArgument"), bad


def test_decode_blind_watermark_parameters_are_checked(emulator: Emulator) -> None:
    """IMM CreateDecodeBlindWatermarkTask (help.aliyun.com/zh/imm/developer-reference/
    api-imm-2020-09-30-createdecodeblindwatermarktask): StrengthLevel low|medium|high, WatermarkType
    text only; the legacy DecodeBlindWatermark parameters it takes (help.aliyun.com/document_detail/
    138801.htm): Model FFT|FFT_FULL|DWT|DWT_IBG, ImageQuality 70-100. A value outside them was taken
    and the task ran with the default instead."""
    client = emulator.imm_client()
    bucket = emulator.oss_bucket("wm-src")
    bucket.put_object("a.jpg", _jpeg())
    client.create_project(imm.CreateProjectRequest(project_name="wm"))
    source = "oss://wm-src/a.jpg"
    for extra in (
        {"strength_level": "strongest"},
        {"watermark_type": "image"},
        {"model": "RSA"},
        {"image_quality": 69},
        {"image_quality": 101},
        {"target_uri": "wm-src/out.jpg"},  # "OSS 地址规则为oss://<bucket>/<object>", as SourceURI's
        {"original_image_uri": "oss://wm-src"},
    ):
        request = imm.CreateDecodeBlindWatermarkTaskRequest(project_name="wm", source_uri=source, **extra)
        err = _imm_error(client.create_decode_blind_watermark_task, request)
        assert (err.status_code, err.code) == (400, "InvalidArgument"), extra
    good = imm.CreateDecodeBlindWatermarkTaskRequest(
        project_name="wm", source_uri=source, strength_level="high", watermark_type="text", model="DWT_IBG",
        image_quality=90,
    )
    task = client.create_decode_blind_watermark_task(good).body
    assert task.task_id.startswith("DecodeBlindWatermark-")


def test_list_tasks_pages_and_filters(emulator: Emulator) -> None:
    """IMM ListTasks (help.aliyun.com/document_detail/478242.html), which the task APIs name as
    the way to find a task again ("调用 GetTask 或 ListTasks"): serve answered it with
    ``InvalidAction.NotFound``."""
    import time

    client = emulator.imm_client()
    bucket = emulator.oss_bucket("tasks-src")
    bucket.put_object("a.jpg", _jpeg())
    client.create_project(imm.CreateProjectRequest(project_name="tasks"))
    made = []
    for _ in range(3):
        request = imm.CreateDecodeBlindWatermarkTaskRequest(project_name="tasks", source_uri="oss://tasks-src/a.jpg")
        made.append(client.create_decode_blind_watermark_task(request).body.task_id)
        time.sleep(0.01)
    seen: list[str] = []
    token = None
    for _ in range(3):
        body = client.list_tasks(
            imm.ListTasksRequest(project_name="tasks", max_results=2, sort="StartTime", order="asc", next_token=token)
        ).body
        assert body.project_name == "tasks" and len(body.tasks) <= 2
        assert body.max_results == str(len(body.tasks))  # "实际结果数量"
        seen += [t.task_id for t in body.tasks]
        token = body.next_token
        if not token:
            break
    assert seen == made  # each task once, in the order they started
    newest = client.list_tasks(imm.ListTasksRequest(project_name="tasks", sort="StartTime", order="desc")).body
    assert [t.task_id for t in newest.tasks] == made[::-1] and not newest.next_token
    assert newest.tasks[0].task_type == "DecodeBlindWatermark" and newest.tasks[0].start_time.endswith("Z")
    other = client.list_tasks(imm.ListTasksRequest(project_name="tasks", task_types=["MediaConvert"])).body
    assert other.tasks == []
    with_def = client.list_tasks(
        imm.ListTasksRequest(project_name="tasks", task_types=["DecodeBlindWatermark"], request_definition=True)
    ).body
    assert len(with_def.tasks) == 3 and "oss://tasks-src/a.jpg" in with_def.tasks[0].task_request_definition
    for bad in (imm.ListTasksRequest(project_name="tasks", sort="Size"),
                imm.ListTasksRequest(project_name="tasks", max_results=101),
                imm.ListTasksRequest(project_name="tasks", next_token="no-such-task")):
        err = _imm_error(client.list_tasks, bad)
        assert (err.status_code, err.code) == (400, "InvalidArgument")
    err = _imm_error(client.list_tasks, imm.ListTasksRequest(project_name="absent"))
    assert (err.status_code, err.code) == (404, "ResourceNotFound")
    err = _imm_error(client.list_tasks, imm.ListTasksRequest())
    assert (err.status_code, err.code) == (400, "MissingParameter")


def test_sys_saveas_and_notify_take_their_documented_parameters(emulator: Emulator) -> None:
    """sys/saveas takes ``o`` and ``b`` (help.aliyun.com/zh/oss/sys-or-saveas); notify takes a
    required ``topic`` and "is supported only for asynchronous processing"
    (help.aliyun.com/en/oss/user-guide/message-notification). serve took ``zz_MQ`` and ignored it,
    named ``zz_1`` as bad base64, and took a notify on a sync save (sending nothing)."""
    from mediaproc.ops.b64 import b64encode

    bucket = emulator.oss_bucket("saveas-src")
    bucket.put_object("a.jpg", _jpeg())
    out = "|sys/saveas,o_" + b64encode("out.jpg")
    for body in (
        "image/resize,w_10" + out + ",zz_MQ",
        "image/resize,w_10" + out + ",zz_1",
        "image/resize,w_10" + out + "/notify,topic_" + b64encode("t"),
        "image/resize,w_10|sys/notify,topic_" + b64encode("t") + out,
    ):
        err = _oss_error(bucket.process_object, "a.jpg", body)
        assert (err.status, err.code) == (400, "InvalidArgument"), body
    err = _oss_error(bucket.process_object, "a.jpg", "image/resize,w_10" + out + ",zz_1")
    assert "unknown parameter 'zz'" in err.message
    assert not bucket.object_exists("out.jpg")
    assert bucket.process_object("a.jpg", "image/resize,w_10" + out).status == 200
    assert bucket.object_exists("out.jpg")


def test_image_source_missing_or_not_an_image(emulator: Emulator) -> None:
    """Image processing of a missing source is EC 0040-00000024 ("图片处理原图不存在", its example a
    GET ?x-oss-process=image/format,jpg), of a source that is no image 0040-00000005 ("图片处理原图为
    不支持的格式"). serve answered the object API's 0026-00000001 and no EC."""
    from mediaproc.ops.b64 import b64encode

    bucket = emulator.oss_bucket("sources")
    bucket.put_object("notes.txt", b"not an image\n" * 20)
    err = _oss_error(bucket.get_object, "example_image_not_exist", process="image/format,jpg")
    assert (err.status, err.code, err.ec) == (404, "NoSuchKey", "0040-00000024")
    err = _oss_error(bucket.get_object, "notes.txt", process="image/resize,w_10")
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0040-00000005")
    bucket.put_object("a.jpg", _jpeg())  # a watermark image that is no image has its own page, 0040-00000027
    err = _oss_error(bucket.get_object, "a.jpg", process="image/watermark,image_" + b64encode("notes.txt"))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0040-00000027")
    err = _oss_error(bucket.process_object, "gone.jpg", "image/resize,w_10|sys/saveas,o_" + b64encode("o.jpg"))
    assert (err.status, err.code, err.ec) == (404, "NoSuchKey", "0040-00000024")
    err = _oss_error(bucket.get_object, "gone.jpg")  # a plain GET keeps the object API's code
    assert (err.status, err.code, err.ec) == (404, "NoSuchKey", "0026-00000001")
    nowhere = oss2.Bucket(emulator.oss_auth(), emulator.url, "no-such-bucket-here", region=emulator.region)
    err = _oss_error(nowhere.get_object, "a.jpg", process="image/resize,w_10")  # the bucket's code, not the image's
    assert (err.status, err.code, err.ec) == (404, "NoSuchBucket", "0015-00000101")


def test_at_most_three_image_watermarks(emulator: Emulator) -> None:
    """OSS takes three image watermarks in one request (help.aliyun.com/en/oss/user-guide/0040-00000026:
    "allows a maximum of 3 watermark images per request"); serve drew a fourth."""
    from mediaproc.ops.b64 import b64encode

    bucket = emulator.oss_bucket("logos")
    bucket.put_object("a.jpg", _jpeg())
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 255)).save(buf, "PNG")
    bucket.put_object("p.png", buf.getvalue())

    def marks(n: int) -> str:
        return "image/" + "/".join(f"watermark,image_{b64encode('p.png')},g_nw,x_{10 * i},y_{10 * i}" for i in range(n))

    assert bucket.get_object("a.jpg", process=marks(3)).read()[:2] == b"\xff\xd8"
    err = _oss_error(bucket.get_object, "a.jpg", process=marks(4))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0040-00000026")
    text = "/watermark,text_" + b64encode("hi")  # text watermarks do not count
    assert bucket.get_object("a.jpg", process=marks(3) + text + text).read()[:2] == b"\xff\xd8"


def test_list_projects_max_results_is_0_to_200(emulator: Emulator) -> None:
    """ListProjects (help.aliyun.com/document_detail/478156.html): MaxResults "取值范围为 0~200", 0 or
    absent meaning 100; serve clamped -1 and 500 and answered."""
    client = emulator.imm_client()
    for name in ("pa", "pb"):
        client.create_project(imm.CreateProjectRequest(project_name=name))
    assert [p.project_name for p in client.list_projects(imm.ListProjectsRequest(max_results=0)).body.projects] == [
        "pa", "pb"]
    assert len(client.list_projects(imm.ListProjectsRequest(max_results=200)).body.projects) == 2
    for bad in (-1, 201, 500):
        err = _imm_error(client.list_projects, imm.ListProjectsRequest(max_results=bad))
        assert (err.status_code, err.code) == (400, "InvalidArgument"), bad
