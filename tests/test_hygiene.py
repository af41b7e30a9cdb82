"""The one redactor, the one SDK-log silencer and the one size format (mediaproc.hygiene, mediaproc.sdklogs).

The signed URLs, headers and token bodies are made by the real SDKs (oss2 V1 and V4 presigning,
qcloud_cos presigning, both SDKs' request signers): the redactor is judged on what the clouds really
send, and each case lists the values that must not survive it.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from mediaproc.hygiene import PLACEHOLDER, human_size, redact, redact_url, remember_secret
from mediaproc.sdklogs import SDK_LOGGERS, silence_sdk_logs

AK_ID = "LTAI5tHygieneKeyId01"
SECRET = "hygiene-Secret/Key+0123456789abc"
TOKEN = "CAIS+hygiene/sts/Token==0123456789ABCDEFGH"
COS_ID = "AKIDhygieneKeyId0123"


@dataclass(frozen=True)
class Signed:
    name: str
    url: str
    secrets: tuple[str, ...]  # values that must not survive redaction (raw; encoded forms are checked too)


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _oss_v1() -> Signed:
    import oss2

    bucket = oss2.Bucket(oss2.StsAuth(AK_ID, SECRET, TOKEN), "https://oss-cn-hangzhou.aliyuncs.com", "bkt")
    url = bucket.sign_url("GET", "in/a b.jpg", 300, params={"x-oss-process": "image/resize,w_100"})
    q = _query(url)
    assert {"OSSAccessKeyId", "Expires", "Signature", "security-token"} <= set(q)
    return Signed("oss2 V1 + STS", url, (AK_ID, TOKEN, q["Signature"]))


def _oss_v4() -> Signed:
    import oss2
    from oss2.credentials import StaticCredentialsProvider

    auth = oss2.ProviderAuthV4(StaticCredentialsProvider(AK_ID, SECRET, TOKEN))
    bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", "bkt", region="cn-hangzhou")
    url = bucket.sign_url("GET", "in/a.jpg", 300)
    q = _query(url)
    assert {"x-oss-credential", "x-oss-signature", "x-oss-security-token", "x-oss-expires"} <= set(q)
    return Signed("oss2 V4 + STS", url, (AK_ID, TOKEN, q["x-oss-signature"]))


def _cos() -> Signed:
    from qcloud_cos import CosConfig, CosS3Client

    client = CosS3Client(CosConfig(Region="ap-guangzhou", SecretId=COS_ID, SecretKey=SECRET, Token=TOKEN))
    url = client.get_presigned_url(
        Bucket="media-1250000000", Key="in/a.jpg", Method="GET", Expired=300,
        Params={"x-cos-security-token": TOKEN, "imageMogr2/thumbnail/100x": ""},
    )
    q = _query(url)
    assert {"q-ak", "q-signature", "x-cos-security-token"} <= set(q)
    return Signed("qcloud_cos presigned + STS", url, (COS_ID, TOKEN, q["q-signature"]))


SIGNED = [_oss_v1, _oss_v4, _cos]


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote(value, safe="/")}


def _assert_clean(text: str, secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        for form in _forms(secret):
            assert form not in text, f"{form!r} survived in {text!r}"


@pytest.mark.parametrize("make", SIGNED, ids=lambda f: f.__name__)
def test_signed_urls_keep_only_scheme_host_and_path(make: object) -> None:
    assert callable(make)
    signed: Signed = make()
    parts = urlsplit(signed.url)
    shown = redact_url(signed.url)
    assert shown == f"{parts.scheme}://{parts.netloc}{parts.path}?{PLACEHOLDER}"
    _assert_clean(shown, signed.secrets)
    # the same URL inside free text, and as the request line urllib3 and the SDKs log
    relative = f"{parts.path}?{parts.query}"
    for text in (
        f"GET {signed.url} failed: connection reset.",
        f"('{signed.url}')",
        f'http://127.0.0.1:9000 "GET {relative} HTTP/1.1" 403 312',
        f"Max retries exceeded with url: {relative} (Caused by NewConnectionError(...))",
        f"Send request, method: GET, url: {signed.url}, params: {_query(signed.url)!r}",
    ):
        out = redact(text)
        _assert_clean(out, signed.secrets)
        assert PLACEHOLDER in out
        assert redact(out) == out  # idempotent: a second pass changes nothing


def test_signed_request_headers_lose_every_credential() -> None:
    """The headers both SDKs really sign with (dict reprs and header lines, as their loggers print them)."""
    import oss2
    import requests
    from oss2.credentials import StaticCredentialsProvider
    from qcloud_cos import CosConfig
    from qcloud_cos.cos_auth import CosS3Auth

    req = oss2.http.Request("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/in/a.jpg",
                            params={"x-oss-process": "image/info"}, region="cn-hangzhou", product="oss")
    oss2.ProviderAuthV4(StaticCredentialsProvider(AK_ID, SECRET, TOKEN))._sign_request(
        req, "bkt", "in/a.jpg")
    oss_headers = dict(req.headers)
    oss_sig = re.search(r"Signature=([0-9a-f]+)", oss_headers["authorization"])
    assert oss_sig

    conf = CosConfig(Region="ap-guangzhou", SecretId=COS_ID, SecretKey=SECRET, Token=TOKEN)
    prepared = requests.Request("GET", "https://media-1250000000.cos.ap-guangzhou.myqcloud.com/in/a.jpg",
                                headers={"x-cos-security-token": TOKEN}).prepare()
    CosS3Auth(conf, "in/a.jpg")(prepared)
    cos_headers = dict(prepared.headers)
    cos_sig = re.search(r"q-signature=([0-9a-f]+)", cos_headers["Authorization"])
    assert cos_sig

    for headers, secrets in ((oss_headers, (AK_ID, TOKEN, oss_sig.group(1))),
                             (cos_headers, (COS_ID, TOKEN, cos_sig.group(1)))):
        lines = "\n".join(f"> {k} : {v}" for k, v in headers.items())  # Tea/darabonba style
        for text in (repr(headers), json.dumps(headers), lines, "recv: " + str(headers)):
            out = redact(text)
            _assert_clean(out, secrets)
        assert "Authorization" in redact(repr(cos_headers))  # the name stays; only its value goes


def test_an_sts_answer_and_credential_texts() -> None:
    body = json.dumps({"RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F", "Credentials": {
        "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2sfk", "AccessKeySecret": SECRET,
        "SecurityToken": TOKEN, "Expiration": "2026-01-01T00:00:00Z"}})
    out = redact(body)
    _assert_clean(out, ("STS.NUgYrLnoC37mZZCNnAbez2sfk", SECRET, TOKEN))
    assert json.loads(out)["Credentials"]["Expiration"] == "2026-01-01T00:00:00Z"
    cos_conf = f"CosConfig(SecretId={COS_ID}, SecretKey={SECRET}, Token={TOKEN})"
    _assert_clean(redact(cos_conf), (COS_ID, SECRET, TOKEN))
    v1 = f"Authorization: OSS {AK_ID}:Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OQ=="
    _assert_clean(redact(v1), (AK_ID, "Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OQ=="))
    derived = "sign_key3f2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c | sign_key: 0123456789abcdef0123 | sign: abcdef0123456789abcd"
    assert "0123456789abcdef0123" not in redact(derived) and "3f2a9b8c" not in redact(derived)
    assert "abcdef0123456789abcd" not in redact(derived)


def test_credential_values_handed_in_are_removed_anywhere() -> None:
    value = "handed-in/secret+value=="
    text = f"body echoed {value} and {quote(value, safe='')}"
    assert redact(text, (value,)) == f"body echoed {PLACEHOLDER} and {PLACEHOLDER}"
    remembered = "remembered-secret-0123456789"
    remember_secret(remembered)
    assert redact(f"<StringToSign>{remembered}</StringToSign>") == f"<StringToSign>{PLACEHOLDER}</StringToSign>"
    remember_secret("short")  # a short value would replace ordinary words: never remembered
    assert redact("a short text") == "a short text"


def test_what_is_not_secret_is_shown_as_it_is() -> None:
    for text in (
        "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.",
        "GET /in/a.jpg?x-oss-process=image/resize,w_100 HTTP/1.1",
        "list-type=2&continuation-token=abc&prefix=in/",
        "oss://bucket/key.jpg and cos://media-1250000000/a.jpg",
        "no Alibaba Cloud credentials were found",
        "what? where",
    ):
        assert redact(text) == text
    assert redact_url("https://example.com/a.jpg") == "https://example.com/a.jpg"
    assert redact_url("https://user:pw@example.com/a.jpg?x=1#frag") == f"https://example.com/a.jpg?{PLACEHOLDER}"


@pytest.mark.parametrize(("n", "shown"), [
    (0, "0 B"), (999, "999 B"), (1000, "1 kB"), (100_000, "100 kB"), (1536, "1.5 kB"),
    (3_145_728, "3.1 MB"), (20_000_000, "20 MB"), (20_000_001, "20.0 MB"), (5 * 10**9, "5 GB"),
    (2 * 10**12, "2 TB"),
])
def test_human_size_is_decimal(n: int, shown: str) -> None:
    assert human_size(n) == shown


# -- SDK logs ----------------------------------------------------------------------------------------
@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A root handler at DEBUG (what an application embedding mediaproc might add); silence restored after."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        silence_sdk_logs(False)


def _credentials_failure() -> None:
    """What alibabacloud_credentials' refreshable supplier does when a provider fails: it resets its
    logger to INFO and adds its own stderr handler on import, then logs a warning and the traceback."""
    log = logging.getLogger("credentials")
    log.setLevel(logging.INFO)
    try:
        raise ConnectionError(f"GET http://100.100.100.200/latest/meta-data/ram/security-credentials/r?token={TOKEN}")
    except ConnectionError as exc:
        log.warning(f"Refresh credentials failed, cached value is None, error: {exc}")
        log.exception(exc)


def test_sdk_logs_are_silent_without_debug(captured: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
    silence_sdk_logs(False)
    _credentials_failure()
    logging.getLogger("oss2.api").error("a 403 body")
    logging.getLogger("qcloud_cos.cos_client").error("<Error><Code>AccessDenied</Code></Error>")
    logging.getLogger(f"oss2.created_later_{id(captured)}").warning("from a module imported later")
    logging.getLogger("urllib3.connectionpool").debug('"GET /a.jpg HTTP/1.1" 200 5')
    assert captured.getvalue() == ""
    out, err = capsys.readouterr()
    assert out == err == ""  # nor Python's last-resort handler


def test_debug_sdk_logs_are_redacted_messages_and_tracebacks(captured: io.StringIO) -> None:
    silence_sdk_logs(True)
    remember_secret(SECRET)
    _credentials_failure()
    child = logging.getLogger(f"oss2.created_later_{id(captured)}")  # after configuration: still redacted
    child.debug("Make signature: string to be signed = %s, secret %s", "GET\n\n", SECRET)
    logging.getLogger("qcloud_cos.cos_auth").debug("sign_key: 0123456789abcdef0123456789abcdef")
    logging.getLogger("qcloud_cos.cos_client").debug(
        "send request: url: %s, headers: %s", "https://b.cos.ap-guangzhou.myqcloud.com/a.jpg",
        {"Authorization": f"q-sign-algorithm=sha1&q-ak={COS_ID}&q-signature=cafe0123cafe0123cafe0123",
         "x-cos-security-token": TOKEN})
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s', "http", "127.0.0.1", 9000, "GET",
        "/a.jpg?x-oss-signature=beef0123beef0123beef0123&x-oss-expires=60", "HTTP/1.1", 200, 5)
    text = captured.getvalue()
    assert "Refresh credentials failed" in text and "Traceback" in text  # records flowed, with --debug
    assert "Make signature" in text and "send request" in text and "GET /a.jpg?" in text
    _assert_clean(text, (SECRET, TOKEN, COS_ID, "0123456789abcdef0123456789abcdef", "cafe0123cafe0123cafe0123",
                         "beef0123beef0123beef0123"))


def _sdk_logger_names() -> set[str]:
    """Every logger name the installed SDK packages create: literal names and their ``__name__`` modules."""
    names: set[str] = set()
    for package in ("oss2", "qcloud_cos", "alibabacloud_credentials", "alibabacloud_imm20200930",
                    "alibabacloud_tea_openapi", "alibabacloud_tea_util", "alibabacloud_gateway_spi", "Tea",
                    "darabonba", "aliyunsdkcore"):
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        for path in root.rglob("*.py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            module = ".".join((package, *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
            for arg in re.findall(r"getLogger\(\s*([^)]*?)\s*\)", text):
                if arg in ("__name__", ""):
                    names.add(module if arg else "root")
                elif arg[:1] in "'\"":
                    names.add(arg.strip("'\""))
    return names - {"root"}


def test_every_logger_the_sdks_use_is_covered() -> None:
    names = _sdk_logger_names()
    assert {"oss2", "qcloud_cos.cos_client", "credentials", "alibabacloud-tea", "darabonba-core"} <= names
    uncovered = {n for n in names if not any(n == r or n.startswith(r + ".") for r in SDK_LOGGERS)}
    assert not uncovered, f"SDK loggers not silenced: {sorted(uncovered)}"


# -- runs without credentials ----------------------------------------------------------------------
def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """The installed entry point in a scratch HOME, with no credential of any cloud in its environment."""
    import os
    import subprocess
    import sys

    from support import secret_scan

    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "SYSTEMROOT", "TMPDIR")}
    full = {**keep, "HOME": str(tmp_path / "home"), "MEDIAPROC_CONFIG": str(tmp_path / "config.toml"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "MEDIAPROC_LANG": "en", "CI": "1", **env}
    proc = subprocess.run([sys.executable, "-m", "mediaproc", *args], env=full, capture_output=True, text=True,
                          timeout=120)
    secret_scan.record(proc.stdout + proc.stderr, f"hygiene run {' '.join(args)[:60]}")
    return proc.returncode, proc.stdout, proc.stderr


def test_oss_without_credentials_prints_one_error_and_its_hint(tmp_path: Path) -> None:
    """The credential chain's own logger (``credentials``) used to print its warnings and three
    tracebacks before the clean exit 3. A credentials URI on a closed port fails the way the ECS
    metadata service does off ECS (same refreshing supplier, same logger), without leaving this machine."""
    from mediaproc.providers.oss.credentials import NO_CREDENTIALS_HINT

    uri = f"http://127.0.0.1:{_closed_port()}/credentials?token={TOKEN}"
    code, out, err = _run(
        tmp_path, "--provider", "oss", "--region", "cn-hangzhou", "--bucket", "bkt",
        "--endpoint", f"http://127.0.0.1:{_closed_port()}",
        "process", "oss://bkt/a.jpg", "resize:w=10", "--to", str(tmp_path / "x.jpg"),
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", ALIBABA_CLOUD_CREDENTIALS_URI=uri,
    )
    assert code == 3, err
    assert err.splitlines() == ["Error: no Alibaba Cloud credentials were found", f"Hint: {NO_CREDENTIALS_HINT}"]
    assert out == ""
    # --debug lets the SDK speak (its traceback included), never its secrets
    code, out, err = _run(
        tmp_path, "--debug", "--provider", "oss", "--region", "cn-hangzhou", "--bucket", "bkt",
        "--endpoint", f"http://127.0.0.1:{_closed_port()}", "ls", "oss://bkt/",
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", ALIBABA_CLOUD_CREDENTIALS_URI=uri,
    )
    assert code == 3, err
    assert "Refresh credentials failed" in err and err.rstrip().endswith(f"Hint: {NO_CREDENTIALS_HINT}")
    _assert_clean(out + err, (TOKEN,))


def test_cos_without_credentials_prints_one_error_and_its_hint(tmp_path: Path) -> None:
    code, out, err = _run(
        tmp_path, "--provider", "cos", "--region", "ap-guangzhou", "--endpoint", f"http://127.0.0.1:{_closed_port()}",
        "process", "cos://media-1250000000/a.jpg", "resize:w=10", "--to", str(tmp_path / "x.jpg"),
    )
    assert code == 3, err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0] == "Error: no Tencent Cloud credentials found for the cos provider", err
    assert lines[1].startswith("Hint: export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY")
    assert out == ""
