"""What serve answers beyond plain objects, driven through the real oss2 client (issue 21): appends,
symlinks, tagging, ACLs and anonymous access, storage classes and restores, UploadPartCopy,
callbacks, live-channel listing, gzip, keys oss2's own suite uses, and refusals of the APIs serve
does not implement. Each answer is the OSS API reference's (see emulator/oss/attributes.py)."""

from __future__ import annotations

import base64
import gzip
import http.server
import json
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import oss2
import pytest
import requests
from oss2.models import Tagging, TaggingRule

from support.emulator import Emulator, running_emulator


def test_append_chains_position_and_crc(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("appends")
    first = bucket.append_object("log.txt", 0, b"one\n", init_crc=0)
    assert first.next_position == 4
    second = bucket.append_object("log.txt", 4, b"two\n", init_crc=first.crc)  # oss2 checks the chained CRC
    assert second.next_position == 8
    assert bucket.get_object("log.txt").read() == b"one\ntwo\n"
    head = bucket.head_object("log.txt")
    assert head.object_type == "Appendable"
    assert head.headers["x-oss-next-append-position"] == "8"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as wrong:
        bucket.append_object("log.txt", 0, b"again")
    assert wrong.value.next_position == 8
    bucket.put_object("plain.txt", b"x")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object("plain.txt", 1, b"y")
    assert bucket.get_object("plain.txt").read() == b"x"


def test_symlink_reads_its_target(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("links")
    bucket.put_object("target.txt", b"hello")
    bucket.put_symlink("target.txt", "link", headers={"x-oss-meta-owner": "me"})
    assert bucket.get_symlink("link").target_key == "target.txt"
    assert bucket.get_object("link").read() == b"hello"
    head = bucket.head_object("link")
    assert head.content_length == 5 and head.etag == "5D41402ABC4B2A76B9719D911017C592"
    assert head.object_type == "Symlink" and head.headers["x-oss-meta-owner"] == "me"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_symlink("nothing")
    with pytest.raises(oss2.exceptions.ServerError) as plain:
        bucket.get_symlink("target.txt")
    assert (plain.value.status, plain.value.code) == (400, "NotSymlink")
    bucket.delete_object("target.txt")
    with pytest.raises(oss2.exceptions.ServerError) as dangling:
        bucket.get_object("link")
    assert (dangling.value.status, dangling.value.code) == (404, "SymlinkTargetNotExist")


def test_tagging_on_put_get_put_delete_and_copy(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("tags")
    bucket.put_object("a.txt", b"a", headers={"x-oss-tagging": "k1=v1&k%202=v%2B2"})
    assert bucket.get_object_tagging("a.txt").tag_set.tagging_rule == {"k1": "v1", "k 2": "v+2"}
    assert bucket.head_object("a.txt").headers["x-oss-tagging-count"] == "2"
    rule = TaggingRule()
    rule.add("中文", "值")
    bucket.put_object_tagging("a.txt", Tagging(rule))
    assert bucket.get_object_tagging("a.txt").tag_set.tagging_rule == {"中文": "值"}
    bucket.copy_object("tags", "a.txt", "copied.txt")  # the default directive copies the tags
    assert bucket.get_object_tagging("copied.txt").tag_set.tagging_rule == {"中文": "值"}
    bucket.copy_object(
        "tags", "a.txt", "replaced.txt", headers={"x-oss-tagging-directive": "Replace", "x-oss-tagging": "r=1"}
    )
    assert bucket.get_object_tagging("replaced.txt").tag_set.tagging_rule == {"r": "1"}
    assert bucket.delete_object_tagging("a.txt").status == 204
    assert bucket.get_object_tagging("a.txt").tag_set.tagging_rule == {}


@pytest.mark.parametrize(
    "header",
    ["a=b&a=c", "%40bad=1", "=v", "k=" + "v" * 257, "k" * 129 + "=v", "&".join(f"k{i}=v" for i in range(11)), "a=b=c"],
)
def test_invalid_tags_are_refused_and_nothing_is_written(emulator: Emulator, header: str) -> None:
    bucket = emulator.oss_bucket("badtags")
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.put_object("k.txt", b"x", headers={"x-oss-tagging": header})
    assert (err.value.status, err.value.code) == (400, "InvalidTag")
    assert not bucket.object_exists("k.txt")


def test_object_and_bucket_acl_gate_anonymous_access(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("acls")
    bucket.put_object("k.txt", b"secret")
    assert bucket.get_object_acl("k.txt").acl == "default"
    assert bucket.get_bucket_acl().acl == "private"
    anonymous = oss2.Bucket(oss2.AnonymousAuth(), emulator.endpoint, "acls")
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous.get_object("k.txt")
    bucket.put_object_acl("k.txt", "public-read")
    assert bucket.get_object_acl("k.txt").acl == "public-read"
    assert anonymous.get_object("k.txt").read() == b"secret"
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous.put_object("k.txt", b"overwritten")
    bucket.put_object_acl("k.txt", "default")
    bucket.put_bucket_acl("public-read-write")
    anonymous.put_object("new.txt", b"by anyone")
    assert bucket.get_object("new.txt").read() == b"by anyone"
    bucket.put_bucket_acl("private")
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous.get_object("new.txt")
    with pytest.raises(oss2.exceptions.ServerError) as bad:
        bucket.put_object_acl("k.txt", "everyone")
    assert (bad.value.status, bad.value.code) == (400, "InvalidArgument")


def test_archive_object_is_read_only_after_a_restore(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproc.emulator.oss import attributes

    monkeypatch.setattr(attributes, "RESTORE_SECONDS", 0.5)
    bucket = emulator.oss_bucket("archive")
    bucket.put_object("cold.txt", b"frozen", headers={"x-oss-storage-class": "Archive"})
    assert bucket.head_object("cold.txt").headers["x-oss-storage-class"] == "Archive"
    with pytest.raises(oss2.exceptions.ServerError) as frozen:
        bucket.get_object("cold.txt")
    assert (frozen.value.status, frozen.value.code) == (403, "InvalidObjectState")
    assert bucket.restore_object("cold.txt").status == 202
    with pytest.raises(oss2.exceptions.ServerError) as again:
        bucket.restore_object("cold.txt")
    assert (again.value.status, again.value.code) == (409, "RestoreAlreadyInProgress")
    assert bucket.head_object("cold.txt").headers["x-oss-restore"] == 'ongoing-request="true"'
    assert 'ongoing-request="true"' in bucket.list_objects().object_list[0].restore_info
    time.sleep(0.6)
    assert 'ongoing-request="false", expiry-date=' in bucket.head_object("cold.txt").headers["x-oss-restore"]
    assert bucket.get_object("cold.txt").read() == b"frozen"
    assert bucket.restore_object("cold.txt").status == 200  # restored: the copy's days are extended
    bucket.put_object("warm.txt", b"x")
    with pytest.raises(oss2.exceptions.ServerError) as standard:
        bucket.restore_object("warm.txt")
    assert (standard.value.status, standard.value.code) == (400, "OperationNotSupported")


def test_bucket_storage_class_is_the_default_of_its_objects(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("cold-bucket", create=False)
    bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE, oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA))
    assert bucket.get_bucket_info().storage_class == "IA"
    bucket.put_object("a.txt", b"a")
    assert bucket.head_object("a.txt").headers["x-oss-storage-class"] == "IA"


def test_upload_part_copy_joins_ranges_of_another_object(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("partcopy")
    content = bytes(range(256)) * 800  # 200 KB
    bucket.put_object("src.bin", content)
    upload_id = bucket.init_multipart_upload("dst.bin").upload_id
    p1 = bucket.upload_part_copy("partcopy", "src.bin", (0, 102399), "dst.bin", upload_id, 1)
    p2 = bucket.upload_part_copy("partcopy", "src.bin", (102400, None), "dst.bin", upload_id, 2)
    bucket.complete_multipart_upload(
        "dst.bin", upload_id, [oss2.models.PartInfo(1, p1.etag), oss2.models.PartInfo(2, p2.etag)]
    )
    assert bucket.get_object("dst.bin").read() == content


class _CallbackServer(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers.get("Content-Type", ""), body))
        answer = json.dumps({"Status": "OK"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def callback_url() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _CallbackServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _CallbackServer.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}/cb"
    server.shutdown()
    server.server_close()


def _callback_headers(url: str) -> dict[str, str]:
    cfg = {"callbackUrl": url, "callbackBody": "bucket=${bucket}&object=${object}&size=${size}&v=${x:v}"}
    return {
        "x-oss-callback": base64.b64encode(json.dumps(cfg).encode()).decode(),
        "x-oss-callback-var": base64.b64encode(json.dumps({"x:v": "a b"}).encode()).decode(),
    }


def test_callback_is_posted_to_loopback_only_when_allowed(tmp_path: Path, callback_url: str) -> None:
    with running_emulator(tmp_path / "root", allow_callbacks=True) as emu:
        bucket = emu.oss_bucket("hooks")
        result = bucket.put_object("k.txt", b"12345", headers=_callback_headers(callback_url))
        assert result.status == 200 and json.loads(result.resp.read()) == {"Status": "OK"}
        ctype, body = _CallbackServer.received[0]
        assert ctype == "application/x-www-form-urlencoded"
        assert body == b"bucket=hooks&object=k.txt&size=5&v=a%20b"
        refused = bucket.put_object("far.txt", b"1", headers=_callback_headers("http://callback.example.com/cb"))
        assert refused.status == 203  # the service's answer to an unreachable callback server
        assert bucket.get_object("far.txt").read() == b"1"  # the upload itself stands
    assert len(_CallbackServer.received) == 1


def test_callback_without_allow_callbacks_fails_as_unreachable(emulator: Emulator, callback_url: str) -> None:
    bucket = emulator.oss_bucket("nohooks")
    result = bucket.put_object("k.txt", b"1", headers=_callback_headers(callback_url))
    assert result.status == 203
    assert b"<Code>CallbackFailed</Code>" in result.resp.read()
    assert _CallbackServer.received == []


def test_live_channels_list_empty_and_other_live_calls_are_refused(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("live")
    assert bucket.list_live_channel().channels == []
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.create_live_channel("ch", oss2.models.LiveChannelInfo(target=oss2.models.LiveChannelInfoTarget()))
    assert (err.value.status, err.value.code) == (501, "NotImplemented")


@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.get_bucket_website(),
        lambda b: b.get_bucket_cors(),
        lambda b: b.list_object_versions(),
        lambda b: b.get_bucket_lifecycle(),
        lambda b: b.get_bucket_referer(),
    ],
)
def test_unimplemented_apis_are_refused_with_a_parsable_answer(emulator: Emulator, call: Any) -> None:
    bucket = emulator.oss_bucket("refusals")
    with pytest.raises(oss2.exceptions.ServerError) as err:
        call(bucket)
    # oss2 parsed the body: the service's code and a request id, not an unreadable answer
    assert (err.value.status, err.value.code) == (501, "NotImplemented") and err.value.request_id


def test_object_get_with_an_unimplemented_subresource_is_refused(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("subres")
    bucket.put_object("k.txt", b"data")
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.get_object("k.txt", params={"objectInfo": ""})
    assert (err.value.status, err.value.code) == (501, "NotImplemented")


def test_keys_oss2s_suite_uses(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("keys")
    odd = "阿里云/加油/:?;@&=+$, /<>{}[]|/"  # ends in "/" and holds data
    bucket.put_object(odd, b"content")
    bucket.copy_object("keys", odd, "copy.txt")
    assert bucket.get_object("copy.txt").read() == b"content"
    assert bucket.get_object(odd).read() == b"content"
    control = "中文\x0c-2.txt"  # a C0 control character, written unescaped in the Delete body
    bucket.put_object(control, b"x")
    assert bucket.batch_delete_objects([control]).deleted_keys == [control]
    assert not bucket.object_exists(control)


def test_gzip_get_of_text(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("gzip")
    content = b"line of text\n" * 200
    bucket.put_object("a.txt", content)
    raw = requests.get(
        bucket.sign_url("GET", "a.txt", 60), headers={"Accept-Encoding": "gzip"}, stream=True
    ).raw
    assert raw.headers["Content-Encoding"] == "gzip" and raw.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in raw.headers and "ETag" not in raw.headers
    assert gzip.decompress(raw.read(decode_content=False)) == content
    got = bucket.get_object("a.txt", headers={"Accept-Encoding": "gzip"})
    assert got.read() == content
    bucket.put_object("img.bin", content)  # not a compressible type: sent as is
    plain = requests.get(bucket.sign_url("GET", "img.bin", 60), headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and plain.content == content
    assert zlib.crc32(plain.content) == zlib.crc32(content)


def test_multipart_uploads_list_in_initiation_order(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("uploads")
    ids = [bucket.init_multipart_upload("same-key").upload_id for _ in range(5)]
    listed = [u.upload_id for u in oss2.MultipartUploadIterator(bucket, max_uploads=2)]
    assert listed == ids == sorted(ids)


def test_virtual_host_client_reaches_serve_through_http_proxy(emulator: Emulator) -> None:
    """A client that addresses ``<bucket>.oss-<region>.aliyuncs.com`` (oss2 with the service's own
    endpoint) reaches serve as its HTTP proxy; serve takes the bucket from the Host header."""
    emulator.oss_bucket("vhost")
    bucket = oss2.Bucket(
        emulator.oss_auth(),
        "http://oss-cn-hangzhou.aliyuncs.com",
        "vhost",
        region=emulator.region,
        proxies={"http": emulator.url},
    )
    bucket.put_object("dir/a b.txt", b"through the proxy")
    assert bucket.get_object("dir/a b.txt").read() == b"through the proxy"
    assert [o.key for o in bucket.list_objects().object_list] == ["dir/a b.txt"]
    path_style = emulator.oss_bucket("vhost", create=False)
    assert path_style.get_object("dir/a b.txt").read() == b"through the proxy"
