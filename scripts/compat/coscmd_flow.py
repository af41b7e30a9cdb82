"""The coscmd flow of issue 21: seventeen steps of Tencent's COS CLI, unchanged, against
``mediaproc serve``. Run by ``scripts/compat/run.py`` with the compat environment's python (whose
``bin/`` holds ``coscmd``)::

    python coscmd_flow.py --endpoint http://127.0.0.1:PORT --key-id ID --secret SECRET --workdir DIR

coscmd addresses buckets virtual-host style (``<bucket>.cos.<region>.myqcloud.com``), so it reaches
serve as an HTTP proxy: ``HTTP_PROXY=http://127.0.0.1:PORT`` and ``--do-not-use-ssl`` (serve routes
on the Host header; no DNS entry is needed). Each step runs coscmd as a user would and checks the
outcome (bytes downloaded, what a listing or ``info`` prints, what is left in the bucket), then
prints ``PASS name`` or ``FAIL name: why``; the last line is ``FLOW <passed> <total>``. The
in-progress upload that ``listparts`` and ``abort`` act on is started with qcloud_cos, the SDK
coscmd itself is built on.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flow import run_steps

BUCKET = "compat-1250000000"
REGION = "ap-guangzhou"
HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    args = ap.parse_args()
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "cos.conf"
    coscmd = str(Path(sys.executable).parent / "coscmd")
    env = {**os.environ, "HTTP_PROXY": args.endpoint, "http_proxy": args.endpoint, "NO_PROXY": "", "no_proxy": ""}

    def run(*argv: str, check: bool = True) -> str:
        proc = subprocess.run(
            [coscmd, "-c", str(conf), *argv], env=env, capture_output=True, text=True, timeout=600, cwd=work
        )
        out = proc.stdout + proc.stderr
        if check and proc.returncode != 0:
            raise AssertionError(f"coscmd {' '.join(argv)} exited {proc.returncode}: {out[-1500:]}")
        return out

    run("config", "-a", args.key_id, "-s", args.secret, "-b", BUCKET, "-r", REGION, "--do-not-use-ssl")
    with conf.open("a") as f:  # coscmd's lowest thresholds (20 MB): the 30 MB file goes in and out in parts
        f.write("multiupload_threshold = 20\nmultidownload_threshold = 20\n")

    small = work / "small.txt"
    small.write_bytes(b"hello from coscmd\n" * 64)
    big = work / "big.bin"
    big.write_bytes(os.urandom(30 * 1024 * 1024))
    tree = work / "tree"
    for rel in ("a.txt", "sub/b.txt", "sub/deeper/c.txt"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(f"file {rel}\n")

    def md5(path: Path) -> str:
        return hashlib.md5(path.read_bytes()).hexdigest()

    def cos_client() -> Any:  # qcloud_cos ships no types
        from qcloud_cos import CosConfig, CosS3Client

        parts = urlsplit(args.endpoint)
        cfg = CosConfig(Region=REGION, SecretId=args.key_id, SecretKey=args.secret, Scheme="http",
                        IP=parts.hostname, Port=parts.port)
        return CosS3Client(cfg)

    def createbucket() -> None:
        run("createbucket")

    def upload() -> None:
        run("upload", str(small), "docs/small.txt")
        assert "docs/small.txt" in run("list", "docs/")

    def upload_multipart() -> None:
        run("upload", str(big), "big/big.bin")
        info = run("info", "big/big.bin")
        assert str(big.stat().st_size) in info, info
        head = cos_client().head_object(Bucket=BUCKET, Key="big/big.bin")
        assert "-" in head["ETag"], head["ETag"]  # a multipart object's ETag: <md5 of part md5s>-<parts>

    def download_multipart() -> None:
        dst = work / "big.down"
        run("download", "-f", "big/big.bin", str(dst))
        assert md5(dst) == md5(big)

    def upload_recursive() -> None:
        run("upload", "-r", f"{tree}/", "tree/")  # a trailing / uploads the folder's content

    def list_recursive() -> None:
        out = run("list", "-r", "tree/")
        for rel in ("tree/a.txt", "tree/sub/b.txt", "tree/sub/deeper/c.txt"):
            assert rel in out, out

    def info() -> None:
        out = run("info", "docs/small.txt")
        assert str(small.stat().st_size) in out and md5(small) in out.lower(), out

    def copy() -> None:
        run("copy", f"{HOST}/docs/small.txt", "docs/copy.txt")
        dst = work / "copy.down"
        run("download", "-f", "docs/copy.txt", str(dst))
        assert md5(dst) == md5(small)

    def move() -> None:
        run("move", f"{HOST}/docs/copy.txt", "docs/moved.txt")
        listed = run("list", "docs/")
        assert "docs/moved.txt" in listed and "docs/copy.txt" not in listed, listed

    def signurl() -> None:
        found = re.search(r"https?://[^\s'\"]+", run("signurl", "docs/small.txt"))  # coscmd prints b'...'
        assert found, "no URL printed"
        url = found.group(0)
        proxy = urllib.request.ProxyHandler({"http": args.endpoint})
        with urllib.request.build_opener(proxy).open(url, timeout=30) as resp:
            assert resp.read() == small.read_bytes()

    def putobjectacl() -> None:
        run("putobjectacl", "--grant-read", "anyone", "docs/small.txt")

    def getobjectacl() -> None:
        out = run("getobjectacl", "docs/small.txt")
        assert "anyone" in out.lower() and "read" in out.lower(), out

    def delete() -> None:
        run("delete", "-f", "docs/moved.txt")
        assert "docs/moved.txt" not in run("list", "docs/")

    def delete_recursive() -> None:
        run("upload", "-r", f"{tree}/", "gone/")
        run("delete", "-r", "-f", "gone/")
        assert "gone/" not in run("list", "-r", "gone/")

    def download_sync() -> None:
        dst = work / "synced"
        run("download", "-r", "-s", "tree/", str(dst))
        for rel in ("a.txt", "sub/b.txt", "sub/deeper/c.txt"):
            assert (dst / rel).read_text() == (tree / rel).read_text(), rel
        before = {rel: (dst / rel).stat().st_mtime_ns for rel in ("a.txt", "sub/b.txt", "sub/deeper/c.txt")}
        again = run("download", "-r", "-s", "tree/", str(dst))
        # unchanged files (same size and x-cos-meta-md5) are not fetched again; coscmd counts a skip
        # as "downloaded", so the evidence is that no "Download" line is printed and no file changed
        assert "Download cos://" not in again, again
        assert before == {rel: (dst / rel).stat().st_mtime_ns for rel in before}

    def listparts() -> None:
        client = cos_client()
        up = client.create_multipart_upload(Bucket=BUCKET, Key="pending/part.bin")
        client.upload_part(Bucket=BUCKET, Key="pending/part.bin", Body=b"x" * 1024, PartNumber=1,
                           UploadId=up["UploadId"])
        out = run("listparts", "pending/")
        assert "pending/part.bin" in out, out

    def abort() -> None:
        run("abort", "pending/")
        left = cos_client().list_multipart_uploads(Bucket=BUCKET, Prefix="pending/")
        assert not left.get("Upload"), left

    steps: list[tuple[str, Callable[[], None]]] = [
        ("createbucket", createbucket),
        ("upload", upload),
        ("upload (30 MB, multipart)", upload_multipart),
        ("download (multipart, identical bytes)", download_multipart),
        ("upload -r", upload_recursive),
        ("list -r", list_recursive),
        ("info", info),
        ("copy", copy),
        ("move", move),
        ("signurl", signurl),
        ("putobjectacl", putobjectacl),
        ("getobjectacl", getobjectacl),
        ("delete", delete),
        ("delete -r", delete_recursive),
        ("download -r -s (sync)", download_sync),
        ("listparts", listparts),
        ("abort", abort),
    ]
    run_steps(steps)


if __name__ == "__main__":
    main()
