"""Detection: the sync ``ci-process`` calls, their answers normalised to the IMM shapes the oss and
local providers return (:func:`ai_to_oss`), and the inverse the emulator answers with
(:func:`oss_to_ai`).

=====================  ===========================================================================
OSS operation          Cloud Infinite call
=====================  ===========================================================================
faces bodies codes     ``ci-process=DetectFace`` / ``AIBodyRecognition`` / ``QRcode&cover=0`` /
score cars labels      ``AssessQuality`` / ``DetectCar`` / ``detect-label`` (answers normalised to IMM JSON)
=====================  ===========================================================================

Sources: cos-go-sdk-v5 ``ci.go`` (the calls and their parameters; DetectFaceResult,
ImageQualityResult, DetectCarResult, PicTagResult); the QRcode and AIBodyRecognition answer shapes
are *unverified* (see :func:`ai_to_oss`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Op

__all__ = ["AI_PROCESS", "ai_params", "ai_to_oss", "check_qrcode_cover", "max_faces", "oss_to_ai"]

AI_PROCESS: Mapping[str, str] = {
    "faces": "DetectFace",
    "bodies": "AIBodyRecognition",
    "cars": "DetectCar",
    "codes": "QRcode",
    "labels": "detect-label",
    "score": "AssessQuality",
}


# DetectFace ``max-face-num`` (cloud.tencent.com/document/api/460/63223): "默认值为1（仅检测图片中
# 面积最大的那张人脸），最大值为120". OSS's image/faces answers every face, so mediaproc asks CI for
# its maximum; without it CI answers the largest face only.
MAX_FACES = (1, 120)
DEFAULT_FACES = 1


def max_faces(query: Mapping[str, str]) -> int:
    """The ``max-face-num`` of a DetectFace request (the emulator): CI's default, or a whole number in
    CI's range; anything else is refused."""
    text = query.get("max-face-num")
    if text is None or text == "":
        return DEFAULT_FACES
    lo, hi = MAX_FACES
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise InvalidOperation(
            _("max-face-num={v} is not a whole number {lo}-{hi}").format(v=text[:20], lo=lo, hi=hi),
            hint=_("DetectFace takes max-face-num 1-120 (default 1: the largest face)"),
        )
    return int(text)


def check_qrcode_cover(query: Mapping[str, str]) -> None:
    """QRcode ``cover`` (cloud.tencent.com/document/product/460/37512): "可为0或1 ... 1表示开启二维码覆盖",
    answered with ``ResultImage``, the image with mosaics over the codes. serve reads codes but draws no
    mosaic, so cover=1 is refused rather than answered without its image (it was taken and ignored);
    another value is refused as CI documents none."""
    cover = query.get("cover", "0")
    if cover == "1":
        raise UnsupportedOperation(
            _("QRcode cover=1 (the image with its codes covered) is not emulated"),
            hint=_("use cover=0; the code positions are in QRcodeInfo"),
        )
    if cover != "0":
        raise InvalidOperation(_("QRcode cover={v} is not 0 or 1").format(v=cover[:20]), hint=_("use cover=0"))


def ai_params(op: Op) -> dict[str, str]:
    """``GET /<key>?ci-process=<name>`` (cos-go-sdk-v5 ``ci.go``: DetectFace ``max-face-num``,
    QRcode ``cover=0`` = do not cover the codes, AssessQuality, DetectCar, detect-label,
    AIBodyRecognition)."""
    params = {"ci-process": AI_PROCESS[op.name]}
    if op.name == "codes":
        params["cover"] = "0"
    if op.name == "faces":
        params["max-face-num"] = str(MAX_FACES[1])  # every face, as OSS's image/faces
    return params


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not value:
        return []
    seq = value if isinstance(value, list) else [value]
    return [v for v in seq if isinstance(v, Mapping)]


def _box_of_points(points: Any) -> dict[str, int]:
    xs, ys = [], []
    for p in points if isinstance(points, list) else [points]:
        try:
            x, y = (round(float(v)) for v in str(p).split(","))
        except ValueError:
            continue
        xs.append(x)
        ys.append(y)
    if not xs:
        return {"Left": 0, "Top": 0, "Width": 0, "Height": 0}
    return {"Left": min(xs), "Top": min(ys), "Width": max(xs) - min(xs), "Height": max(ys) - min(ys)}


def _points_of_box(box: Mapping[str, Any]) -> list[str]:
    left, top = int(box.get("Left", 0)), int(box.get("Top", 0))
    right, bottom = left + int(box.get("Width", 0)), top + int(box.get("Height", 0))
    return [f"{left},{top}", f"{right},{top}", f"{right},{bottom}", f"{left},{bottom}"]


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def ai_to_oss(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A CI detection answer (the XML root's children) -> the IMM-shaped JSON of the OSS provider.

    faces: ``FaceInfos{X,Y,Width,Height}`` -> ``Faces[{FigureType, Boundary}]`` (CI gives no
    confidence); bodies: ``PedestrianInfo{Name, Score 0-100, Location/Point "x,y"}`` ->
    ``Bodies[{Confidence 0-1, Boundary}]``; codes: ``QRcodeInfo{CodeUrl, CodeLocation/Point}`` ->
    ``Codes[{Type, Content, Boundary}]``; score: ``AestheticScore``/``ClarityScore`` (0-100) ->
    ``ImageScore{OverallQualityScore 0-1}``; labels: ``Labels{Name, Confidence}`` ->
    ``Labels[{LabelName, LabelConfidence}]``; cars: ``CarTags`` -> ``Cars[{CarType, CarColor,
    Confidence, Boundary, LicensePlates[{Content, Boundary}]}]``.

    Checked against cos-go-sdk-v5 ``ci.go`` (DetectFaceResult, ImageQualityResult, DetectCarResult,
    PicTagResult); the QRcode and AIBodyRecognition shapes follow the CI API pages from memory of
    their field names and are *unverified*.
    """
    if name == "faces":
        faces: list[dict[str, Any]] = []
        for f in _items(data.get("FaceInfos")):
            box = {
                k: int(_num(f.get(s)))
                for k, s in (("Left", "X"), ("Top", "Y"), ("Width", "Width"), ("Height", "Height"))
            }
            faces.append({"FigureType": "face", "Boundary": box})
        faces.sort(key=lambda f: -f["Boundary"]["Width"] * f["Boundary"]["Height"])
        return {"Faces": faces}
    if name == "bodies":
        return {
            "Bodies": [
                {
                    "Confidence": round(_num(b.get("Score")) / 100, 4),
                    "Boundary": _box_of_points((b.get("Location") or {}).get("Point")),
                }
                for b in _items(data.get("PedestrianInfo"))
            ]
        }
    if name == "codes":
        codes: list[dict[str, Any]] = [
            {
                "Type": "qrcode",
                "Content": str(c.get("CodeUrl", "")),
                "Boundary": _box_of_points((c.get("CodeLocation") or {}).get("Point")),
            }
            for c in _items(data.get("QRcodeInfo"))
        ]
        codes.sort(key=lambda c: (c["Boundary"]["Top"], c["Boundary"]["Left"]))
        return {"Codes": codes}
    if name == "score":
        aesthetic = _num(data.get("AestheticScore"))
        out: dict[str, Any] = {"ImageScore": {"OverallQualityScore": round(aesthetic / 100, 3)}}
        if data.get("ClarityScore") not in (None, ""):
            out["ClarityScore"] = round(_num(data.get("ClarityScore")) / 100, 3)
        return out
    if name == "labels":
        return {
            "Labels": [
                {"LabelName": str(lb.get("Name", "")), "LabelConfidence": round(_num(lb.get("Confidence")) / 100, 4)}
                for lb in _items(data.get("Labels"))
            ]
        }
    cars = []
    for c in _items(data.get("CarTags")):
        plates = [
            {"Content": str(p.get("Plate", "")), "Boundary": _box_of_points(p.get("PlateLocation"))}
            for p in _items(c.get("PlateContent"))
        ]
        cars.append(
            {
                "CarType": str(c.get("Type", "")),
                "CarColor": str(c.get("Color", "")),
                "Confidence": round(_num(c.get("Confidence")) / 100, 4),
                "Boundary": _box_of_points([f"{p.get('X')},{p.get('Y')}" for p in _items(c.get("CarLocation"))]),
                "LicensePlates": plates,
            }
        )
    return {"Cars": cars}


def oss_to_ai(
    name: str, imm: Mapping[str, Any], *, width: int = 0, height: int = 0, faces: int = MAX_FACES[1]
) -> tuple[str, dict[str, Any]]:
    """The inverse, for the emulator: (XML root name, body) from the local engine's IMM shape.
    ``faces``: DetectFace's ``max-face-num``, the largest faces kept."""
    if name == "faces":
        boxes = [f.get("Boundary", {}) for f in imm.get("Faces", [])]
        boxes.sort(key=lambda b: -int(b.get("Width", 0)) * int(b.get("Height", 0)))
        infos = [
            {"X": b["Left"], "Y": b["Top"], "Width": b["Width"], "Height": b["Height"]}
            for b in boxes[:faces]
        ]
        return "Response", {"ImageWidth": width, "ImageHeight": height, "FaceModelVersion": "3.0", "FaceInfos": infos}
    if name == "bodies":
        people = [
            {
                "Name": "person",
                "Score": round(_num(b.get("Confidence")) * 100),
                "Location": {"Point": _points_of_box(b.get("Boundary", {}))},
            }
            for b in imm.get("Bodies", [])
        ]
        return "RecognitionResult", {"Status": 1 if people else 0, "PedestrianInfo": people}
    if name == "codes":
        codes = [
            {"CodeUrl": c.get("Content", ""), "CodeLocation": {"Point": _points_of_box(c.get("Boundary", {}))}}
            for c in imm.get("Codes", [])
        ]
        return "Response", {"CodeStatus": 1 if codes else 0, "QRcodeInfo": codes}
    if name == "score":
        overall = _num((imm.get("ImageScore") or {}).get("OverallQualityScore"))
        return "Response", {
            "LongImage": "false",
            "BlackAndWhite": "false",
            "SmallImage": "false",
            "BigImage": "false",
            "PureImage": "false",
            "ClarityScore": round(overall * 100),
            "AestheticScore": round(overall * 100),
        }
    raise UnsupportedOperation(
        _("{name} has no local model").format(name=name), hint=_("use a real Cloud Infinite bucket")
    )
