"""mediaproc.xmlbody: every document type survives a round trip, and hostile input is refused.

The round trip writes each document type with each of its repeated elements present once (where
xmltodict, left alone, would hand back a dict instead of a list) and reads it back equal. The guard
tests feed the parser the classic attacks directly; tests/emulator/test_hostile_xml.py sends them to
the fronts over HTTP.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from mediaproc import xmlbody
from mediaproc.xmlbody import Doc, MalformedXml


def _docs() -> dict[str, Doc]:
    """Every document type the module defines, by the name code reaches it with."""
    out: dict[str, Doc] = {}
    for name, value in vars(xmlbody).items():
        if isinstance(value, Doc):
            out[name] = value
        elif isinstance(value, xmlbody.StorageDocs):
            out.update({f"{name}.{f.name}": getattr(value, f.name) for f in dataclasses.fields(value)})
    return out


DOCS = _docs()

OWNER = {"ID": "1234", "DisplayName": "1234"}

# The documents both services speak (xmlbody.StorageDocs), once for each.
STORAGE: dict[str, dict[str, Any]] = {
    "complete": {"Part": [{"PartNumber": "1", "ETag": '"3858F62230AC3C915F300C664312C11F"'}]},
    "complete_result": {"Location": "http://h/b/k", "Bucket": "b", "Key": "k", "ETag": '"ABC-1"'},
    "initiate_result": {"Bucket": "b", "Key": "k", "UploadId": "0004B999EF5A239BB9138C6227D6"},
    "list_parts": {
        "Bucket": "b",
        "Key": "k",
        "UploadId": "u",
        "IsTruncated": "false",
        "Part": [{"PartNumber": "1", "ETag": '"E"', "HashCrc64ecma": "123", "Size": "5"}],
    },
    "list_uploads": {
        "Bucket": "b",
        "Prefix": "",
        "IsTruncated": "false",
        "Upload": [{"Key": "k", "UploadId": "u", "StorageClass": "Standard", "Initiated": "2024-01-01T00:00:00.000Z"}],
        "CommonPrefixes": [{"Prefix": "dir/"}],
    },
    "list_objects": {
        "Name": "b",
        "Prefix": "",
        "MaxKeys": "100",
        "IsTruncated": "false",
        "Contents": [{"Key": "k", "ETag": '"E"', "Size": "5", "Owner": OWNER}],
        "CommonPrefixes": [{"Prefix": "dir/"}],
    },
}

# One document of each type, as the code writes it (strings, since that is what a parse gives back).
SAMPLES: dict[str, dict[str, Any]] = {
    **{f"{service}.{name}": data for service in ("OSS_STORAGE", "COS_STORAGE") for name, data in STORAGE.items()},
    "OSS_ERROR": {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "RequestId": "5C3D9175B6FC201293AD4890",
        "HostId": "127.0.0.1",
        "EC": "0026-00000001",
    },
    "OSS_DELETE": {"Quiet": "false", "Object": [{"Key": " leading space.txt"}]},
    "OSS_DELETE_RESULT": {"EncodingType": "url", "Deleted": [{"Key": "a%20b.txt"}]},
    "OSS_LIST_BUCKETS": {"Owner": OWNER, "Buckets": {"Bucket": [{"Name": "b", "Location": "oss-cn-hangzhou"}]}},
    "OSS_COPY_RESULT": {"ETag": '"E"', "LastModified": "2024-01-01T00:00:00.000Z"},
    "OSS_COPY_PART_RESULT": {"LastModified": "2024-01-01T00:00:00.000Z", "ETag": '"E"'},
    "OSS_ACL": {"Owner": OWNER, "AccessControlList": {"Grant": "private"}},
    "OSS_BUCKET_INFO": {"Bucket": {"Name": "b", "Owner": OWNER, "BucketPolicy": {"LogBucket": "", "LogPrefix": ""}}},
    "OSS_BUCKET_STAT": {"Storage": "10", "ObjectCount": "2"},
    "OSS_LOCATION": {"#text": "oss-cn-hangzhou"},
    "OSS_CREATE_BUCKET": {"StorageClass": "Archive"},
    "OSS_TAGGING": {"TagSet": {"Tag": [{"Key": "k", "Value": "v"}, {"Key": "中文", "Value": ""}]}},
    "OSS_RESTORE": {"Days": "2", "JobParameters": {"Tier": "Bulk"}},
    "OSS_STYLE": {"Name": "thumb", "Content": "image/resize,w_100", "Category": "image",
                  "CreateTime": "Wed, 20 May 2020 12:07:15 GMT", "LastModifyTime": "Wed, 21 May 2020 12:07:15 GMT"},
    "OSS_STYLE_LIST": {"Style": [{"Name": "a", "Content": "image/resize,p_50"},
                                 {"Name": "b", "Content": "image/rotate,90"}]},
    "CI_ADD_STYLE": {"StyleName": "small", "StyleBody": "imageMogr2/thumbnail/!50p"},
    "CI_GET_STYLE": {"StyleName": ["small", "big"]},
    "CI_DELETE_STYLE": {"StyleName": "small"},
    "CI_STYLE_LIST": {"StyleRule": [{"StyleName": "a", "StyleBody": "imageMogr2/rotate/90"},
                                    {"StyleName": "b", "StyleBody": "imageMogr2/thumbnail/80x"}]},
    "OSS_LIVE_CHANNELS": {
        "Prefix": "",
        "Marker": "",
        "MaxKeys": "100",
        "IsTruncated": "false",
        "LiveChannel": [{"Name": "ch", "Status": "disabled"}],
    },
    "COS_COPY_RESULT": {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"', "CRC64": "0", "LastModified": "t"},
    "COS_COPY_PART_RESULT": {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"', "LastModified": "t"},
    "COS_TAGGING": {"TagSet": {"Tag": [{"Key": "k@1", "Value": "v"}]}},
    "COS_DELETE": {"Quiet": "false", "Object": [{"Key": "a/1.jpg"}]},
    "COS_DELETE_RESULT": {
        "Deleted": [{"Key": "a/1.jpg"}],
        "Error": [{"Key": "a/2.jpg", "Code": "AccessDenied", "Message": "m"}],
    },
    "COS_ACL": {
        "Owner": {"ID": "qcs::cam::uin/1:uin/1", "DisplayName": "qcs::cam::uin/1:uin/1"},
        "AccessControlList": {"Grant": [{"Grantee": {"ID": "qcs::cam::anyone:anyone"}, "Permission": "READ"}]},
    },
    "COS_ERROR": {"Code": "NoSuchKey", "Message": "m", "Resource": "b.cos.r.myqcloud.com/k", "RequestId": "r"},
    "CI_UPLOAD_RESULT": {
        "OriginalInfo": {"Key": "k", "ImageInfo": {"Format": "JPEG", "Width": "64"}},
        "ProcessResults": {"Object": [{"Key": "out.webp", "Format": "webp", "Size": "100"}]},
    },
    "CI_MEDIA_INFO": {
        "MediaInfo": {
            "Stream": {
                "Video": [{"Index": "0", "CodecName": "h264"}],
                "Audio": [{"Index": "1", "CodecName": "aac"}],
                "Subtitle": [{"Index": "2"}],
            },
            "Format": {"NumStream": "3"},
        }
    },
    "CI_JOB_REQUEST": {
        "Tag": "Concat",
        "Input": {"Object": "in/a.mp4"},
        "Operation": {
            "ConcatTemplate": {
                "ConcatFragment": [{"Url": "http://b.cos.r.myqcloud.com/pre.mp4", "Mode": "Start"}],
                "Container": {"Format": "mp4"},
            },
            "Output": {"Region": "r", "Bucket": "b", "Object": "out/b.mp4"},
        },
    },
    "CI_REQUEST": {
        "MediaWorkflow": {
            "Name": "flow",
            "State": "Paused",
            "Topology": {
                "Dependencies": {"Start": "PicProcess_1", "PicProcess_1": "End"},
                "Nodes": {"Start": {"Type": "Start"}},
            },
        }
    },
    "CI_BATCH_ANSWER": {
        "RequestId": "r",
        "MediaWorkflowList": [{"WorkflowId": "w0", "State": "Active"}],
        "WorkflowExecutionList": [{"RunId": "i0", "State": "Failed"}],
        "WorkflowExecution": {"RunId": "i0", "Tasks": [{"Type": "PicProcess", "State": "Failed"}]},
        "JobsDetail": [{"JobId": "b0", "State": "Success"}],
        "TemplateList": [{"TemplateId": "t0", "Tag": "PicProcess"}],
    },
    "CI_JOBS": {
        "JobsDetail": [
            {
                "JobId": "j0123",
                "State": "Success",
                "StartTime": "",
                "Input": {"Object": "in/a.mp4"},
                "Operation": {
                    "ConcatTemplate": {"ConcatFragment": [{"Url": "u", "Mode": "End"}]},
                    "MediaResult": {"OutputFile": {"Bucket": "b", "ObjectName": ["out/b.mp4"]}},
                },
            }
        ],
        "NonExistJobIds": ["jmissing"],
    },
    "CI_DETECTION": {
        "ImageWidth": "64",
        "FaceInfos": [{"X": "1", "Y": "2", "Width": "3", "Height": "4"}],
        "PedestrianInfo": [{"Name": "person", "Location": {"Point": ["0,0"]}}],
        "QRcodeInfo": [{"CodeUrl": "x", "CodeLocation": {"Point": ["1,1"]}}],
        "Labels": [{"Name": "cat", "Confidence": "90"}],
        "CarTags": [{"Type": "SUV", "PlateContent": [{"Plate": "A1"}], "CarLocation": [{"X": "1", "Y": "2"}]}],
    },
}


def _sample_doc(name: str) -> Doc:
    doc = DOCS[name]
    return doc if doc.root is not None else doc.with_root("Response")


def _names(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {n for v in data.values() for n in _names(v)}
    if isinstance(data, list):
        return {n for v in data for n in _names(v)}
    return set()


def test_every_document_type_has_a_sample_with_each_repeated_element() -> None:
    assert set(SAMPLES) == set(DOCS)
    for name, doc in DOCS.items():
        assert doc.repeated <= _names(SAMPLES[name]), name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip(name: str) -> None:
    doc = _sample_doc(name)
    text = xmlbody.unparse(doc, SAMPLES[name])
    assert text.startswith(doc.dialect.declaration + f"<{doc.root}>")
    assert text.endswith(f"</{doc.root}>{doc.dialect.tail}")
    back = xmlbody.parse(doc, text)
    assert back == SAMPLES[name]
    assert xmlbody.unparse(doc, back) == text


def test_each_service_writes_its_own_way() -> None:
    oss = xmlbody.unparse(xmlbody.OSS_ERROR, {"Code": "AccessDenied", "Message": "a < b"})
    assert oss == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>AccessDenied</Code>\n'
        "  <Message>a &lt; b</Message>\n</Error>\n"
    )
    cos = xmlbody.unparse(xmlbody.COS_STORAGE.list_objects, {"Name": "b", "Prefix": "", "Marker": None})
    assert cos == (
        "<?xml version='1.0' encoding='utf-8' ?>"
        "<ListBucketResult><Name>b</Name><Prefix></Prefix><Marker></Marker></ListBucketResult>"
    )


def test_the_job_body_is_what_the_sdk_writes() -> None:
    from qcloud_cos.cos_comm import format_xml

    body = SAMPLES["CI_JOB_REQUEST"]
    assert xmlbody.unparse(xmlbody.CI_JOB_REQUEST, body) == format_xml(data=body, root="Request").decode("utf-8")


def test_leaves_keep_their_text_and_attributes_do_not_hide_elements() -> None:
    body = (
        b'<?xml version="1.0"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n'
        b"  <Quiet/>\n  <Object>\n    <Key>  two spaces</Key>\n  </Object>\n  <Object><Key>b</Key></Object>\n</Delete>"
    )
    assert xmlbody.parse(xmlbody.OSS_DELETE, body) == {
        "Quiet": "",
        "Object": [{"Key": "  two spaces"}, {"Key": "b"}],
    }


def test_a_detection_answer_may_have_any_root() -> None:
    body = "<RecognitionResult><Status>1</Status><PedestrianInfo><Name>p</Name></PedestrianInfo></RecognitionResult>"
    assert xmlbody.parse(xmlbody.CI_DETECTION, body) == {"Status": "1", "PedestrianInfo": [{"Name": "p"}]}
    with pytest.raises(ValueError):
        xmlbody.unparse(xmlbody.CI_DETECTION, {"Status": "1"})


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE Delete [\n <!ENTITY lol0 "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n<Delete><Object><Key>&lol9;</Key></Object></Delete>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE Delete [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<Delete><Object><Key>&xxe;</Key></Object></Delete>"
)
EXTERNAL_DTD = '<?xml version="1.0"?>\n<!DOCTYPE Delete SYSTEM "http://127.0.0.1:9/evil.dtd">\n<Delete/>'
UNDECLARED_ENTITY = "<Delete><Object><Key>&xxe;</Key></Object></Delete>"
DEEP = "<Delete>" + "<a>" * 10_000 + "</a>" * 10_000 + "</Delete>"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL_ENTITY, "DTD"),
        (EXTERNAL_DTD, "DTD"),
        (UNDECLARED_ENTITY, "not well-formed"),
        (DEEP, f"deeper than {xmlbody.MAX_DEPTH}"),
        ("<Delete>" + " " * xmlbody.MAX_BYTES + "</Delete>", f"larger than {xmlbody.MAX_BYTES}"),
        ("<Delete><Object>", "not well-formed"),
        ("<Other/>", "root is <Other>"),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "undeclared-entity", "deep", "oversize", "cut", "root"],
)
def test_hostile_or_wrong_bodies_are_refused(body: str, words: str) -> None:
    start = time.monotonic()
    with pytest.raises(MalformedXml) as err:
        xmlbody.parse(xmlbody.OSS_DELETE, body)
    assert time.monotonic() - start < 5
    assert err.value.code == "MalformedXML"
    assert words in err.value.message


def test_the_limits_are_inclusive() -> None:
    nested = "<Delete>" + "<a>" * (xmlbody.MAX_DEPTH - 1) + "x" + "</a>" * (xmlbody.MAX_DEPTH - 1) + "</Delete>"
    assert xmlbody.parse(xmlbody.OSS_DELETE, nested)
    filler = xmlbody.MAX_BYTES - len("<Delete><Quiet></Quiet></Delete>")
    exact = "<Delete><Quiet>" + "x" * filler + "</Quiet></Delete>"
    assert len(exact) == xmlbody.MAX_BYTES
    assert xmlbody.parse(xmlbody.OSS_DELETE, exact)["Quiet"] == "x" * filler
