"""Detection on COS (sync ``ci-process`` calls: DetectFace, AIBodyRecognition, QRcode, AssessQuality,
DetectCar, detect-label), normalised to the IMM JSON the oss and local providers return."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cos.conftest import DATA, CliResult, put
from mediaproc.ops import cos as enc


def _boxes(items: list[dict[str, Any]]) -> list[tuple[int, int, int, int]]:
    return [(b["Left"], b["Top"], b["Width"], b["Height"]) for b in (i["Boundary"] for i in items)]


def test_faces_match_local(cli: Callable[..., CliResult], sdk: Any, prefix: str) -> None:
    uri = put(sdk, f"{prefix}astronaut.png", DATA / "astronaut.png")
    r = cli("--json", "image", "detect", uri, "--kind", "faces")
    assert r.code == 0, r.stderr
    cos_faces = r.json()["data"]["Faces"]
    r = cli("--json", "--provider", "local", "image", "detect", str(DATA / "astronaut.png"), "--kind", "faces")
    local_faces = r.json()["data"]["Faces"]
    assert len(cos_faces) == len(local_faces) == 1
    assert _boxes(cos_faces) == _boxes(local_faces)
    assert cos_faces[0]["FigureType"] == "face"


def test_codes_and_score(cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path) -> None:
    import qrcode

    img = qrcode.make("https://example.com/mediaproc")
    img.save(tmp_path / "qr.png")
    uri = put(sdk, f"{prefix}qr.png", tmp_path / "qr.png")
    r = cli("--json", "image", "detect", uri, "--kind", "codes")
    assert r.code == 0, r.stderr
    codes = r.json()["data"]["Codes"]
    assert [c["Content"] for c in codes] == ["https://example.com/mediaproc"]
    r = cli("--json", "--provider", "local", "image", "detect", str(tmp_path / "qr.png"), "--kind", "codes")
    assert _boxes(codes) == _boxes(r.json()["data"]["Codes"])

    uri = put(sdk, f"{prefix}coffee.png", DATA / "coffee.png")
    r = cli("--json", "image", "detect", uri, "--kind", "score")
    assert r.code == 0, r.stderr
    score = r.json()["data"]["ImageScore"]["OverallQualityScore"]
    r = cli("--json", "--provider", "local", "image", "detect", str(DATA / "coffee.png"), "--kind", "score")
    local = r.json()["data"]["ImageScore"]["OverallQualityScore"]
    assert 0.0 <= score <= 1.0
    assert abs(score - local) <= 0.005  # CI reports whole percent


def test_bodies_and_dry_run(cli: Callable[..., CliResult], sdk: Any, prefix: str) -> None:
    uri = put(sdk, f"{prefix}astronaut.png", DATA / "astronaut.png")
    r = cli("--json", "image", "detect", uri, "--kind", "bodies")
    assert r.code == 0, r.stderr
    r2 = cli("--json", "--provider", "local", "image", "detect", str(DATA / "astronaut.png"), "--kind", "bodies")
    assert _boxes(r.json()["data"]["Bodies"]) == _boxes(r2.json()["data"]["Bodies"])
    r = cli("image", "detect", uri, "--kind", "codes", "--dry-run")
    assert r.code == 0
    assert r.stdout.startswith(f"GET /{prefix}astronaut.png?ci-process=QRcode&cover=0")


@pytest.mark.parametrize("kind", ["cars", "labels"])
def test_cloud_only_detection_reaches_the_service(
    cli: Callable[..., CliResult], sdk: Any, front: Any, prefix: str, kind: str
) -> None:
    """cars/labels are sent (COS has them); mediaproc serve has no model and says so."""
    uri = put(sdk, f"{prefix}a.png", DATA / "coffee.png")
    before = front.requests.get(enc.AI_PROCESS[kind], 0)
    r = cli("image", "detect", uri, "--kind", kind)
    assert r.code == 2, r.stderr  # refused for this request, as the local provider refuses it (exit 2)
    assert r.first_stderr_line == (f"Error: COS refused to run {kind} ({uri}): InvalidArgument: {kind} needs a cloud "
                                  "model; mediaproc serve has none")
    assert front.requests.get(enc.AI_PROCESS[kind], 0) == before + 1


def test_ci_shapes_normalise() -> None:
    cars = {
        "CarTags": {
            "Type": "SUV", "Color": "white", "Confidence": "88",
            "CarLocation": [{"X": "10", "Y": "20"}, {"X": "110", "Y": "20"}, {"X": "110", "Y": "80"},
                            {"X": "10", "Y": "80"}],
            "PlateContent": {"Plate": "A12345", "PlateLocation": ["12,60", "40,60", "40,70", "12,70"]},
        }
    }  # fmt: skip
    assert enc.ai_to_oss("cars", cars) == {
        "Cars": [
            {
                "CarType": "SUV", "CarColor": "white", "Confidence": 0.88,
                "Boundary": {"Left": 10, "Top": 20, "Width": 100, "Height": 60},
                "LicensePlates": [
                    {"Content": "A12345", "Boundary": {"Left": 12, "Top": 60, "Width": 28, "Height": 10}}
                ],
            }
        ]
    }  # fmt: skip
    labels = {"Labels": [{"Name": "cat", "Confidence": "91"}, {"Name": "animal", "Confidence": "80"}]}
    assert enc.ai_to_oss("labels", labels)["Labels"][0] == {"LabelName": "cat", "LabelConfidence": 0.91}
    assert enc.ai_to_oss("faces", {})["Faces"] == []


def test_detect_face_keeps_max_face_num_largest(
    cli: Callable[..., CliResult], sdk: Any, emu: Any, prefix: str, tmp_path: Path
) -> None:
    """CI DetectFace (cloud.tencent.com/document/api/460/63223): ``max-face-num`` "默认值为1（仅检测
    图片中面积最大的那张人脸），最大值为120". serve answered every face whatever it was, and
    mediaproc sent none, so on CI it would have got one face where OSS and local give all."""
    import xml.etree.ElementTree as ET

    import requests
    from PIL import Image

    from cos.conftest import BUCKET, REGION

    with Image.open(DATA / "astronaut.png") as one:
        face = one.convert("RGB")
    two = Image.new("RGB", (face.width * 2, face.height), "white")
    two.paste(face, (0, 0))
    two.paste(face.resize((face.width * 3 // 4, face.height * 3 // 4)), (face.width, 0))  # a smaller one
    path = tmp_path / "two.jpg"
    two.save(path, quality=92)
    uri = put(sdk, f"{prefix}two.jpg", path)
    key = uri.split("/", 3)[3]

    def detect(**extra: str) -> requests.Response:
        params = {"ci-process": "DetectFace", **extra}
        auth = sdk.get_auth(Method="GET", Bucket=BUCKET, Key=key, Params=params, SignHost=False)
        host = f"{BUCKET}.cos.{REGION}.myqcloud.com"
        return requests.get(f"{emu.url}/{key}", params=params, headers={"Host": host, "Authorization": auth},
                            timeout=60)

    def widths(r: requests.Response) -> list[int]:
        assert r.status_code == 200, r.text
        return [int(f.findtext("Width") or 0) for f in ET.fromstring(r.content).iter("FaceInfos")]

    assert len(widths(detect(**{"max-face-num": "120"}))) == 2
    only = widths(detect())  # CI's default: the largest face
    assert len(only) == 1 and only[0] == max(widths(detect(**{"max-face-num": "2"})))
    for bad in ("0", "121", "two"):
        r = detect(**{"max-face-num": bad})
        assert r.status_code == 400 and b"<Code>InvalidArgument</Code>" in r.content, bad
    r = cli("--json", "image", "detect", uri, "--kind", "faces")  # mediaproc asks CI for every face
    assert r.code == 0, r.stderr
    assert len(r.json()["data"]["Faces"]) == 2


def test_qrcode_cover_is_0_or_1_and_1_is_not_emulated(sdk: Any, emu: Any, prefix: str) -> None:
    """QRcode ``cover`` "可为0或1" (cloud.tencent.com/document/product/460/37512); 1 answers a
    ResultImage with the codes covered, which serve does not draw: it took cover=1 and answered
    without it."""
    import requests

    from cos.conftest import BUCKET, REGION

    uri = put(sdk, f"{prefix}astronaut.png", DATA / "astronaut.png")
    key = uri.split("/", 3)[3]

    def qrcode(cover: str) -> requests.Response:
        params = {"ci-process": "QRcode", "cover": cover}
        auth = sdk.get_auth(Method="GET", Bucket=BUCKET, Key=key, Params=params, SignHost=False)
        host = f"{BUCKET}.cos.{REGION}.myqcloud.com"
        return requests.get(f"{emu.url}/{key}", params=params, headers={"Host": host, "Authorization": auth},
                            timeout=60)

    assert qrcode("0").status_code == 200
    for cover in ("1", "2"):
        r = qrcode(cover)
        assert r.status_code == 400 and b"<Code>InvalidArgument</Code>" in r.content, cover
