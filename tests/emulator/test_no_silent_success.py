"""No silent success (issue 21): a processing rule, a style or a parameter serve cannot process is
refused with a 4xx on both fronts, never answered with the unprocessed original and a 200 (a
pipeline tested against serve would otherwise pass while nothing was processed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import oss2
import pytest

from support.emulator import Emulator

JPEG = Path(__file__).resolve().parents[1] / "data" / "rocket.jpg"

OSS_RULES = [
    "nosuchprocessor/1",
    "image/nosuch,x_1",
    "image/resize,w_abc",
    "image/resize,zz_10",
    "image/resize,w_100/bogus",
    "image/resize",
    "image/resize,w_100,w_200",
    "image/crop,w_0",
    "image/rotate,999",
    "image/format,xyz",
    "image/quality,q_500",
    "image/watermark,text_",
    "image/info,x_1",
    "image",
    "image/",
    "video/nosuch",
]
COS_RULES = [
    "nosuchprocessor/1",
    "imageMogr2/nosuch/1",
    "imageMogr2/thumbnail/abc",
    "imageMogr2/thumbnail",
    "imageMogr2/thumbnail/100x/bogus/1",
    "imageMogr2/rotate/9999",
    "imageMogr2/format/xyz",
    "imageMogr2/crop/0x0",
    "imageMogr2/quality/500",
    "imageMogr2",
    "imageMogr2/",
    "watermark/9/text/abc",
    "watermark/2/text",
    "style/nosuch",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from support.emulator import running_emulator

    with running_emulator(tmp_path_factory.mktemp("silent")) as emu:
        bucket = emu.oss_bucket("rules")
        bucket.put_object("a.jpg", JPEG.read_bytes())
        yield emu


@pytest.mark.parametrize("rule", OSS_RULES)
def test_oss_refuses_what_it_cannot_process(served: Emulator, rule: str) -> None:
    bucket = served.oss_bucket("rules", create=False)
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.get_object("a.jpg", process=rule)
    assert 400 <= err.value.status < 500 and err.value.code == "InvalidArgument", (err.value.status, err.value.code)


def test_oss_style_that_does_not_exist(served: Emulator) -> None:
    bucket = served.oss_bucket("rules", create=False)
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.get_object("a.jpg", process="style/nosuchstyle")
    assert (err.value.status, err.value.code) == (404, "NoSuchStyle")
    with pytest.raises(oss2.exceptions.OssError) as saved:
        bucket.process_object("a.jpg", "style/nosuchstyle|sys/saveas,o_b3V0LmpwZw")
    assert (saved.value.status, saved.value.code) == (404, "NoSuchStyle")
    assert not bucket.object_exists("out.jpg")


@pytest.mark.parametrize("rule", COS_RULES)
def test_cos_refuses_what_it_cannot_process(served: Emulator, rule: str, tmp_path: Path) -> None:
    from qcloud_cos import CosConfig, CosS3Client
    from qcloud_cos.cos_exception import CosServiceError

    client = CosS3Client(
        CosConfig(
            Region="ap-guangzhou",
            SecretId=served.access_key_id,
            SecretKey=served.access_key_secret,
            IP="127.0.0.1",
            Port=served.port,
            Scheme="http",
        ),
        retry=1,
    )
    if not client.bucket_exists(Bucket="rules-1250000000"):
        client.create_bucket(Bucket="rules-1250000000")
        client.put_object(Bucket="rules-1250000000", Key="a.jpg", Body=JPEG.read_bytes())
    out = tmp_path / "out.jpg"
    with pytest.raises(CosServiceError) as err:
        client.ci_get_object(Bucket="rules-1250000000", Key="a.jpg", DestImagePath=str(out), Rule=rule)
    assert 400 <= err.value.get_status_code() < 500
    assert not out.exists()
