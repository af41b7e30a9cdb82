"""Hostile XML sent over raw HTTP to every endpoint of ``mediaproc serve`` that reads an XML body.

Each request is signed with the SDK's own signer (so it reaches the body parser) but sent with
``requests``, byte for byte as written here: a billion-laughs DTD, an external entity, 10,000 levels
of nesting, a body past the size limit. Each must get the service's 400 answer quickly, change
nothing, and leave the server answering the next client.
"""

from __future__ import annotations

import base64
import hashlib
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from mediaproc import xmlbody

BUCKET = "hostile"
COS_BUCKET = "hostile-1250000000"
COS_REGION = "ap-guangzhou"
VICTIM = "victim.txt"


def billion_laughs(root: str) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(entities)}]>\n<{root}>&lol9;</{root}>'.encode()


def external_entity(root: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f"<{root}><Object><Key>&xxe;</Key></Object><Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag></Part></{root}>"
    ).encode()


def deep(root: str) -> bytes:
    return f"<{root}>{'<a>' * 10_000}{'</a>' * 10_000}</{root}>".encode()


def oversize(root: str) -> bytes:
    item = f"<Object><Key>{VICTIM}</Key></Object>"
    count = xmlbody.MAX_BYTES // len(item) + 1
    return f"<{root}>{item * count}</{root}>".encode()


BODIES: dict[str, Callable[[str], bytes]] = {
    "billion-laughs": billion_laughs,
    "external-entity": external_entity,
    "deep": deep,
    "oversize": oversize,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from support.emulator import running_emulator

    with running_emulator(tmp_path_factory.mktemp("hostile-xml")) as emu:
        yield emu


@pytest.fixture(scope="module")
def oss_bucket(server: Any) -> Any:
    bucket = server.oss_bucket(BUCKET)
    bucket.put_object(VICTIM, b"still here")
    return bucket


@pytest.fixture(scope="module")
def cos(server: Any) -> tuple[Any, Any]:
    from qcloud_cos import CosConfig, CosS3Client

    conf = CosConfig(
        Region=COS_REGION,
        SecretId=server.access_key_id,
        SecretKey=server.access_key_secret,
        IP="127.0.0.1",
        Port=server.port,
        Scheme="http",
    )
    client = CosS3Client(conf, retry=0)
    client.create_bucket(Bucket=COS_BUCKET)
    client.put_object(Bucket=COS_BUCKET, Key=VICTIM, Body=b"still here")
    return conf, client


def _oss_post(server: Any, key: str, params: dict[str, str], body: bytes, headers: dict[str, str]) -> requests.Response:
    import oss2
    from oss2.http import Request

    url = f"{server.url}/{BUCKET}/{key}"
    req = Request("POST", url, data=body, params=params, headers=headers)
    oss2.Auth(server.access_key_id, server.access_key_secret)._sign_request(req, BUCKET, key)
    signed = {k: v for k, v in req.headers.items() if v is not None}
    return requests.post(url, params=params, data=body, headers=signed, timeout=60)


def _cos_post(server: Any, conf: Any, path: str, params: dict[str, str], body: bytes) -> requests.Response:
    from qcloud_cos.cos_auth import CosS3Auth

    host = f"{COS_BUCKET}.cos.{COS_REGION}.myqcloud.com"
    req = requests.Request(
        "POST",
        f"http://127.0.0.1:{server.port}{path}",
        params=params,
        data=body,
        headers={"Host": host, "Content-Type": "application/xml"},
    ).prepare()
    with requests.Session() as session:
        return session.send(CosS3Auth(conf, path, params=params)(req), timeout=60)


def _error_code(resp: requests.Response) -> str:
    root = ET.fromstring(resp.content)
    assert root.tag == "Error"
    return root.findtext("Code") or ""


def _timed(send: Callable[[], requests.Response]) -> requests.Response:
    start = time.monotonic()
    resp = send()
    assert time.monotonic() - start < 10, "the server took too long to refuse the body"
    return resp


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_oss_delete_multiple_refuses_hostile_xml(server: Any, oss_bucket: Any, kind: str) -> None:
    body = BODIES[kind]("Delete")
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    resp = _timed(lambda: _oss_post(server, "", {"delete": ""}, body, {"Content-MD5": md5}))
    assert resp.status_code == 400
    assert _error_code(resp) == ("EntityTooLarge" if kind == "oversize" else "MalformedXML")
    assert resp.headers["x-oss-request-id"]
    assert oss_bucket.get_object(VICTIM).read() == b"still here"  # answering, and nothing was deleted


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_oss_complete_multipart_refuses_hostile_xml(server: Any, oss_bucket: Any, kind: str) -> None:
    key = f"mp-{kind}"
    upload_id = oss_bucket.init_multipart_upload(key).upload_id
    oss_bucket.upload_part(key, upload_id, 1, b"part one")
    resp = _timed(lambda: _oss_post(server, key, {"uploadId": upload_id}, BODIES[kind]("CompleteMultipartUpload"), {}))
    assert resp.status_code == 400
    assert _error_code(resp) == ("EntityTooLarge" if kind == "oversize" else "MalformedXML")
    assert not oss_bucket.object_exists(key)
    assert [p.part_number for p in oss_bucket.list_parts(key, upload_id).parts] == [1]  # the upload is intact


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_cos_complete_multipart_refuses_hostile_xml(server: Any, cos: tuple[Any, Any], kind: str) -> None:
    conf, client = cos
    key = f"mp-{kind}"
    upload_id = client.create_multipart_upload(Bucket=COS_BUCKET, Key=key)["UploadId"]
    client.upload_part(Bucket=COS_BUCKET, Key=key, Body=b"part one", PartNumber=1, UploadId=upload_id)
    body = BODIES[kind]("CompleteMultipartUpload")
    resp = _timed(lambda: _cos_post(server, conf, f"/{key}", {"uploadId": upload_id}, body))
    assert resp.status_code == 400
    assert _error_code(resp) == "MalformedXML"
    assert resp.headers["x-cos-request-id"]
    assert not client.object_exists(Bucket=COS_BUCKET, Key=key)
    assert client.get_object(Bucket=COS_BUCKET, Key=VICTIM)["Body"].get_raw_stream().read() == b"still here"


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_cos_media_jobs_refuse_hostile_xml(server: Any, cos: tuple[Any, Any], kind: str) -> None:
    conf, client = cos
    resp = _timed(lambda: _cos_post(server, conf, "/jobs", {}, BODIES[kind]("Request")))
    assert resp.status_code == 400
    assert _error_code(resp) == "MalformedXML"
    assert resp.headers["x-ci-request-id"]
    jobs = client.ci_list_media_jobs(Bucket=COS_BUCKET, Tag="Transcode", States="All")
    assert not jobs.get("JobsDetail")  # answering, and no job was created
