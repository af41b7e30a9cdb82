"""Signatures: OSS V1 and V4 (headers and signed URLs) and IMM's ACS3, checked against the keys."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import oss2
import pytest
import requests
from alibabacloud_imm20200930 import models as imm
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils as TeaUtils
from oss2.credentials import StaticCredentialsProvider

from support.emulator import Emulator


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_both_signature_versions_work(emulator: Emulator, v4: bool) -> None:
    bucket = emulator.oss_bucket("signed", v4=v4)
    bucket.put_object("k", b"v")
    assert bucket.get_object("k").read() == b"v"
    provider = oss2.ProviderAuthV4(StaticCredentialsProvider(emulator.access_key_id, emulator.access_key_secret))
    via_provider = oss2.Bucket(provider, emulator.url, "signed", region=emulator.region)
    assert via_provider.get_object("k").read() == b"v"


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_wrong_secret_and_unknown_key_get_403_with_the_real_codes(emulator: Emulator, v4: bool) -> None:
    emulator.oss_bucket("guarded").put_object("k", b"v")
    wrong = emulator.oss_bucket("guarded", v4=v4, create=False, secret="not-the-secret")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as err:
        wrong.get_object("k")
    assert err.value.status == 403
    assert "not-the-secret" not in str(err.value.details)  # the server never echoes a secret
    unknown = emulator.oss_bucket("guarded", v4=v4, create=False, key_id="LTAI-unknown")
    with pytest.raises(oss2.exceptions.ServerError) as err2:
        unknown.put_object("x", b"1")
    assert (err2.value.status, err2.value.code) == (403, "InvalidAccessKeyId")
    assert not emulator.oss_bucket("guarded", create=False).object_exists("x")


def test_unsigned_requests_are_refused(emulator: Emulator) -> None:
    emulator.oss_bucket("private").put_object("k", b"v")
    resp = requests.get(f"{emulator.url}/private/k")
    assert resp.status_code == 403
    assert "<Code>AccessDenied</Code>" in resp.text


def test_v4_with_another_region_is_refused(emulator: Emulator) -> None:
    emulator.oss_bucket("regional")
    other = oss2.Bucket(emulator.oss_auth(), emulator.url, "regional", region="cn-shanghai")
    with pytest.raises(oss2.exceptions.ServerError) as err:
        other.get_bucket_info()
    assert (err.value.status, err.value.code) == (400, "InvalidArgument")


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_signed_urls_work_with_plain_http(emulator: Emulator, v4: bool) -> None:
    bucket = emulator.oss_bucket("urls", v4=v4)
    bucket.put_object("dir/file name.txt", b"shared")
    url = bucket.sign_url("GET", "dir/file name.txt", 60)
    assert _fetch(url) == (200, b"shared")
    # tampering with any signed part breaks the signature
    parts = urlsplit(url)
    tampered = urlunsplit(parts._replace(path=parts.path.replace("file", "fila")))
    status, body = _fetch(tampered)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    # an expired URL is refused with AccessDenied
    expired = bucket.sign_url("GET", "dir/file name.txt", 1)
    if v4:
        query = dict(parse_qsl(urlsplit(expired).query))
        assert query["x-oss-expires"] == "1"
    time.sleep(2.1)
    status, body = _fetch(expired)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired." in body
    # a signed PUT URL uploads
    put_url = bucket.sign_url("PUT", "uploaded.txt", 60)
    assert requests.put(put_url, data=b"via url").status_code == 200
    assert bucket.get_object("uploaded.txt").read() == b"via url"


def test_imm_signature_checks(emulator: Emulator) -> None:
    emulator.imm_client().create_project(imm.CreateProjectRequest(project_name="signed"))
    with pytest.raises(ClientException) as err:
        emulator.imm_client(secret="wrong").get_project(imm.GetProjectRequest(project_name="signed"))
    assert (err.value.status_code, err.value.code) == (400, "IncompleteSignature")
    with pytest.raises(ClientException) as err2:
        emulator.imm_client(key_id="LTAI-unknown").get_project(imm.GetProjectRequest(project_name="signed"))
    assert (err2.value.status_code, err2.value.code) == (404, "InvalidAccessKeyId.NotFound")


def _acs3_request(emulator: Emulator, *, date: str | None = None, nonce: str = "nonce-1") -> requests.Request:
    """A GetProject call signed by tea-openapi's own signer, so it can be replayed or aged."""

    req = SimpleNamespace(
        method="POST",
        pathname="/",
        query={"ProjectName": "signed"},
        headers={
            "host": emulator.endpoint,
            "x-acs-action": "GetProject",
            "x-acs-version": "2020-09-30",
            "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "x-acs-signature-nonce": nonce,
            "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "accept": "application/json",
        },
    )
    payload = req.headers["x-acs-content-sha256"]
    auth = TeaUtils.get_authorization(
        req, "ACS3-HMAC-SHA256", payload, emulator.access_key_id, emulator.access_key_secret
    )
    return requests.Request(
        "POST",
        f"{emulator.url}/?{urlencode(req.query)}",
        headers={**req.headers, "Authorization": auth},
    )


def test_imm_replayed_and_stale_requests_are_refused(emulator: Emulator) -> None:
    emulator.imm_client().create_project(imm.CreateProjectRequest(project_name="signed"))
    session = requests.Session()
    first = session.send(_acs3_request(emulator).prepare())
    assert first.status_code == 200, first.text
    assert first.json()["Project"]["ProjectName"] == "signed"
    replay = session.send(_acs3_request(emulator).prepare())
    assert replay.status_code == 400 and replay.json()["Code"] == "SignatureNonceUsed"
    stale = session.send(_acs3_request(emulator, date="2020-01-01T00:00:00Z", nonce="n-2").prepare())
    assert stale.status_code == 400 and stale.json()["Code"] == "InvalidTimeStamp.Expired"
    body = stale.json()
    assert set(body) >= {"RequestId", "HostId", "Code", "Message"}
