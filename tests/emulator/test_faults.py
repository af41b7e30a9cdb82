"""Each fault kind as the official clients see it, and the admin endpoints that set them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import oss2
import pytest
import requests
from alibabacloud_imm20200930 import models as imm
from alibabacloud_tea_openapi.exceptions import ServerException
from alibabacloud_tea_util.models import RuntimeOptions

from mediaproc.emulator.server import ADMIN_HEADER
from support.emulator import Emulator, running_emulator

DATA = bytes(range(256)) * 4096  # 1 MiB


@pytest.mark.parametrize(("status", "code"), [(503, "SlowDown"), (500, "InternalError")])
def test_injected_errors_then_recovery(emulator: Emulator, status: int, code: str) -> None:
    bucket = emulator.oss_bucket("faulty")
    bucket.put_object("k", b"v")
    emulator.set_faults(error_rate=1.0, error_status=status, operations=["GetObject"], times=1)
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.get_object("k")
    assert (err.value.status, err.value.code) == (status, code)
    assert err.value.request_id
    assert bucket.get_object("k").read() == b"v"  # `times=1`: the retry is served
    assert emulator.stats()["faults_fired"] == {"error": 1}


def test_error_rate_is_seeded_and_partial(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("flaky")
    bucket.put_object("k", b"v")
    emulator.set_faults(error_rate=0.5, seed=7, operations=["HeadObject"])
    outcomes = []
    for _ in range(40):
        try:
            bucket.head_object("k")
            outcomes.append(True)
        except oss2.exceptions.ServerError as exc:
            assert exc.status == 503
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 35
    emulator.set_faults(error_rate=0.5, seed=7, operations=["HeadObject"])
    again = []
    for _ in range(40):
        try:
            bucket.head_object("k")
            again.append(True)
        except oss2.exceptions.ServerError:
            again.append(False)
    assert again == outcomes  # same seed, same draws


def test_latency_is_felt_by_a_client_timeout(emulator: Emulator) -> None:
    emulator.oss_bucket("slow").put_object("k", b"v")
    emulator.set_faults(latency_ms=1500, operations=["GetObject"])
    impatient = oss2.Bucket(emulator.oss_auth(), emulator.url, "slow", region=emulator.region, connect_timeout=0.3)
    with pytest.raises(oss2.exceptions.RequestError):
        impatient.get_object("k")
    emulator.clear_faults()
    assert impatient.get_object("k").read() == b"v"


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_download_cut_mid_body(emulator: Emulator, kind: str, tmp_path: Path) -> None:
    bucket = emulator.oss_bucket("cut")
    bucket.put_object("big.bin", DATA)
    emulator.set_faults(**{f"{kind}_after_bytes": 100_000}, operations=["GetObject"], times=1)
    with pytest.raises((requests.exceptions.RequestException, oss2.exceptions.OssError)):
        bucket.get_object_to_file("big.bin", str(tmp_path / "out.bin"))
    assert emulator.stats()["faults_fired"] == {kind: 1}
    assert bucket.get_object("big.bin").read() == DATA


def test_upload_reset_mid_body_stores_nothing(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("upload-reset")
    emulator.set_faults(reset_after_bytes=200_000, operations=["PutObject"], times=1)
    with pytest.raises(oss2.exceptions.RequestError):
        bucket.put_object("up.bin", DATA)
    assert not bucket.object_exists("up.bin")
    assert not any((emulator.root / "upload-reset").iterdir())
    bucket.put_object("up.bin", DATA)
    assert bucket.get_object("up.bin").read() == DATA
    assert emulator.stats()["requests"]["PutObject"] == 2


def test_imm_errors(emulator: Emulator) -> None:
    client = emulator.imm_client()
    client.create_project(imm.CreateProjectRequest(project_name="p"))
    emulator.set_faults(error_rate=1.0, error_status=503, operations=["GetProject"])
    no_retry = RuntimeOptions(autoretry=False)
    with pytest.raises(ServerException) as err:
        client.get_project_with_options(imm.GetProjectRequest(project_name="p"), no_retry)
    assert (err.value.status_code, err.value.code) == (503, "ServiceUnavailable")
    assert client.list_projects(imm.ListProjectsRequest()).body.projects  # other actions unaffected


def _admin(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, body: object = None
) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_admin_endpoints_need_the_token(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "root", subprocess=True) as emu:
        assert _admin(f"{emu.url}/_mediaproc/health") == (200, {"ok": True})
        status, body = _admin(f"{emu.url}/_mediaproc/stats")
        assert status == 403 and body["Code"] == "AccessDenied"
        status, _ = _admin(f"{emu.url}/_mediaproc/faults", "PUT", {ADMIN_HEADER: "guess"}, {"error_rate": 1})
        assert status == 403
        status, body = _admin(f"{emu.url}/_mediaproc/faults", "PUT", emu.admin_headers(), {"error_rate": 2})
        assert status == 400
        bucket = emu.oss_bucket("admin")  # served: nothing was changed by the refused calls
        emu.set_faults(error_rate=1.0, error_status=500, operations=["PutObject"])
        with pytest.raises(oss2.exceptions.ServerError):
            bucket.put_object("k", b"v")
        stats = emu.stats()
        assert stats["requests"]["PutObject"] == 1 and stats["faults"]["error_status"] == 500
        emu.reset_stats()
        assert emu.stats()["requests"] == {}


def test_times_limits_faults_across_concurrent_requests(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("concurrent")
    emulator.set_faults(reset_after_bytes=100_000, operations=["PutObject"], times=1)

    def put(i: int) -> bool:
        try:
            bucket.put_object(f"k{i}", DATA)
        except oss2.exceptions.RequestError:
            return False
        return True

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(put, range(4)))
    assert outcomes.count(False) == 1
    assert emulator.stats()["faults_fired"] == {"reset": 1}
