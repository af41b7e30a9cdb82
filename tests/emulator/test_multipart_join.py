"""CompleteMultipartUpload joins parts without reading them back, and a failed completion loses nothing.

The joined object's bytes and its CRC-64 (combined from the parts' CRCs, not recomputed) are checked
through oss2, which verifies ``x-oss-hash-crc64ecma`` itself when CRC checking is on; and a completion
refused after the parts were chosen (``x-oss-forbid-overwrite`` on an existing key) leaves the upload
intact, so it still completes with the right bytes.
"""

from __future__ import annotations

import os

import oss2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediaproc.providers.local.writers import crc64_combine, new_crc64
from support.emulator import Emulator

PART = 100 * 1024  # OSS's minimum part size


def crc(data: bytes) -> int:
    c = new_crc64()
    c.update(data)
    return int(c.crcValue)


@settings(max_examples=60, deadline=None)
@given(a=st.binary(max_size=300), b=st.binary(max_size=300))
def test_crc64_combine_equals_the_crc_of_the_joined_bytes(a: bytes, b: bytes) -> None:
    assert crc64_combine(crc(a), crc(b), len(b)) == crc(a + b)


def upload_parts(bucket: oss2.Bucket, key: str, parts: list[bytes]) -> tuple[str, list[oss2.models.PartInfo]]:
    upload_id = bucket.init_multipart_upload(key).upload_id
    infos = []
    for n, data in enumerate(parts, start=1):
        result = bucket.upload_part(key, upload_id, n, data)
        infos.append(oss2.models.PartInfo(n, result.etag))
    return upload_id, infos


def test_joined_object_has_the_parts_bytes_and_their_crc(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("join")
    parts = [os.urandom(PART + 17), os.urandom(PART), os.urandom(999)]
    upload_id, infos = upload_parts(bucket, "big.bin", parts)
    bucket.complete_multipart_upload("big.bin", upload_id, infos)
    body = b"".join(parts)
    got = bucket.get_object("big.bin")
    assert got.read() == body
    assert int(got.headers["x-oss-hash-crc64ecma"]) == crc(body)
    assert bucket.head_object("big.bin").content_length == len(body)
    # nothing left in the server's temporary folder
    assert not [p for p in (emulator.root / ".mediaproc" / "tmp").glob("*") if p.is_file()]


def test_a_completion_refused_after_joining_gives_the_parts_back(emulator: Emulator) -> None:
    """The key became a folder while the upload ran: publishing fails after the parts were joined."""
    bucket = emulator.oss_bucket("join")
    parts = [os.urandom(PART), os.urandom(4321)]
    upload_id, infos = upload_parts(bucket, "dir", parts)
    bucket.put_object("dir/inside.txt", b"x")
    with pytest.raises(oss2.exceptions.OssError):
        bucket.complete_multipart_upload("dir", upload_id, infos)
    listed = bucket.list_parts("dir", upload_id)
    assert [p.size for p in listed.parts] == [PART, 4321]
    bucket.delete_object("dir/inside.txt")
    bucket.complete_multipart_upload("dir", upload_id, infos)
    assert bucket.get_object("dir").read() == b"".join(parts)
    assert not [p for p in (emulator.root / ".mediaproc" / "tmp").glob("*") if p.is_file()]


def test_a_refused_completion_leaves_the_upload_completable(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("join")
    bucket.put_object("taken.bin", b"first")
    parts = [os.urandom(PART), os.urandom(1234)]
    upload_id, infos = upload_parts(bucket, "taken.bin", parts)
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.complete_multipart_upload("taken.bin", upload_id, infos, headers={"x-oss-forbid-overwrite": "true"})
    assert err.value.status == 409
    assert bucket.get_object("taken.bin").read() == b"first"
    listed = bucket.list_parts("taken.bin", upload_id)
    assert [p.size for p in listed.parts] == [PART, 1234]
    bucket.complete_multipart_upload("taken.bin", upload_id, infos)
    assert bucket.get_object("taken.bin").read() == b"".join(parts)
