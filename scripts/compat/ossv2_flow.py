"""The alibabacloud-oss-v2 flow of issue 21: fifteen calls of the current OSS Python SDK, unchanged,
against ``mediaproc serve``. Run by ``scripts/compat/run.py`` with the compat environment's python::

    python ossv2_flow.py --endpoint http://127.0.0.1:PORT --key-id ID --secret SECRET --workdir DIR

Each step prints ``PASS name`` or ``FAIL name: why``; the last line is ``FLOW <passed> <total>``.
A step checks what it got (bytes, sizes, the decoded image's width, the saved object), not only
that the call returned.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import struct
import urllib.request
from collections.abc import Callable
from pathlib import Path

import alibabacloud_oss_v2 as oss
from flow import run_steps

JPEG = Path(__file__).resolve().parent.parent.parent / "tests" / "data" / "rocket.jpg"
BUCKET = "compat-ossv2"


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF marker: enough to prove a resize happened."""
    i = 2
    while i < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    raise ValueError("no SOF marker")


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--region", default="cn-hangzhou")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(args.key_id, args.secret)
    cfg.region = args.region
    cfg.endpoint = args.endpoint
    cfg.use_path_style = True
    client = oss.Client(cfg)

    body = b"hello from alibabacloud-oss-v2\n" * 100
    big = os.urandom(12 * 1024 * 1024)
    jpeg = JPEG.read_bytes()

    def put_bucket() -> None:
        r = client.put_bucket(oss.PutBucketRequest(bucket=BUCKET))
        assert r.status_code == 200

    def put_object() -> None:
        r = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key="docs/a.txt", body=body))
        assert r.status_code == 200 and r.etag

    def get_object() -> None:
        r = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="docs/a.txt"))
        assert r.body.read() == body

    def head_object() -> None:
        r = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key="docs/a.txt"))
        assert r.content_length == len(body), r.content_length

    def list_objects_v2() -> None:
        for i in range(3):
            client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=f"list/{i}.txt", body=b"x"))
        r = client.list_objects_v2(oss.ListObjectsV2Request(bucket=BUCKET, prefix="list/"))
        assert [o.key for o in r.contents or []] == ["list/0.txt", "list/1.txt", "list/2.txt"]

    def paginator() -> None:
        keys = []
        for page in client.list_objects_v2_paginator().iter_page(
            oss.ListObjectsV2Request(bucket=BUCKET, prefix="list/"), limit=1
        ):
            keys += [o.key for o in page.contents or []]
        assert keys == ["list/0.txt", "list/1.txt", "list/2.txt"], keys

    def put_jpeg() -> None:
        r = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key="img/rocket.jpg", body=jpeg))
        assert r.status_code == 200

    def get_processed() -> None:
        r = client.get_object(
            oss.GetObjectRequest(bucket=BUCKET, key="img/rocket.jpg", process="image/resize,w_100")
        )
        assert jpeg_size(r.body.read())[0] == 100

    def uploader() -> None:
        src = args.workdir / "big.bin"
        src.write_bytes(big)
        up = client.uploader(part_size=5 * 1024 * 1024, enable_checkpoint=False)
        r = up.upload_file(oss.PutObjectRequest(bucket=BUCKET, key="big/big.bin"), filepath=str(src))
        assert r.status_code == 200
        h = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key="big/big.bin"))
        assert h.content_length == len(big) and h.object_type == "Multipart", (h.content_length, h.object_type)

    def downloader() -> None:
        dst = args.workdir / "big.down"
        down = client.downloader(part_size=2 * 1024 * 1024)
        down.download_file(oss.GetObjectRequest(bucket=BUCKET, key="big/big.bin"), filepath=str(dst))
        assert hashlib.md5(dst.read_bytes()).digest() == hashlib.md5(big).digest()

    def copy_object() -> None:
        client.copy_object(
            oss.CopyObjectRequest(bucket=BUCKET, key="docs/b.txt", source_bucket=BUCKET, source_key="docs/a.txt")
        )
        r = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="docs/b.txt"))
        assert r.body.read() == body

    def presign_get() -> None:
        pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key="docs/a.txt"))
        with urllib.request.urlopen(pre.url, timeout=30) as resp:
            assert resp.read() == body

    def delete_multiple() -> None:
        r = client.delete_multiple_objects(
            oss.DeleteMultipleObjectsRequest(
                bucket=BUCKET, objects=[oss.DeleteObject(key=f"list/{i}.txt") for i in range(3)]
            )
        )
        assert sorted(d.key for d in r.deleted_objects or []) == ["list/0.txt", "list/1.txt", "list/2.txt"]
        left = client.list_objects_v2(oss.ListObjectsV2Request(bucket=BUCKET, prefix="list/"))
        assert not left.contents

    def append_object() -> None:
        r1 = client.append_object(oss.AppendObjectRequest(bucket=BUCKET, key="log.txt", position=0, body=b"one\n"))
        r2 = client.append_object(
            oss.AppendObjectRequest(
                bucket=BUCKET, key="log.txt", position=r1.next_position, body=b"two\n", init_hash_crc64=r1.hash_crc64
            )
        )
        assert r2.next_position == 8
        got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="log.txt")).body.read()
        assert got == b"one\ntwo\n"

    def process_saveas() -> None:
        process = f"image/resize,w_50|sys/saveas,o_{b64('img/thumb.jpg')},b_{b64(BUCKET)}"
        client.process_object(oss.ProcessObjectRequest(bucket=BUCKET, key="img/rocket.jpg", process=process))
        r = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key="img/thumb.jpg"))
        assert jpeg_size(r.body.read())[0] == 50

    steps: list[tuple[str, Callable[[], None]]] = [
        ("put_bucket", put_bucket),
        ("put_object", put_object),
        ("get_object", get_object),
        ("head_object", head_object),
        ("list_objects_v2", list_objects_v2),
        ("list_objects_v2_paginator", paginator),
        ("put_object (JPEG)", put_jpeg),
        ("get_object process=image/resize,w_100", get_processed),
        ("uploader (12 MB multipart, CRC checked)", uploader),
        ("downloader (ranged)", downloader),
        ("copy_object", copy_object),
        ("presign GET", presign_get),
        ("delete_multiple_objects", delete_multiple),
        ("append_object", append_object),
        ("process_object sys/saveas", process_saveas),
    ]
    run_steps(steps, detail_chars=400)


if __name__ == "__main__":
    main()
