"""The fault matrix: a 200-object OSS batch through the real oss2/IMM clients against `mediaproc serve`
with injected faults. Every run must end with every item either correctly processed (decoded and
checked) or reported failed, no partial file, no leaked temporary object, no duplicate async job, and
the right exit code (0 only when every item succeeded, 8 otherwise). The waits between attempts are cut
short (``fast_backoff``); the attempts are not, and the request counters show it."""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from support.cli import Cli

DATA = Path(__file__).resolve().parents[1] / "data"
N = 200
REGION = "cn-hangzhou"


@pytest.fixture(scope="module")
def thumbs() -> list[bytes]:
    """200 distinct small JPEGs cut from real photographs."""
    out = []
    names = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg")
    sources = [Image.open(DATA / n).convert("RGB") for n in names]
    for i in range(N):
        im = sources[i % 4]
        x, y = (i * 13) % (im.width - 96), (i * 7) % (im.height - 72)
        buf = io.BytesIO()
        im.crop((x, y, x + 96, y + 72)).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


class Env:
    def __init__(self, emulator: Any, bucket: str, tmp: Path) -> None:
        self.emulator, self.bucket, self.tmp = emulator, bucket, tmp

    def sdk(self) -> Any:
        import oss2

        return oss2.Bucket(oss2.AuthV4(self.emulator.access_key_id, self.emulator.access_key_secret),
                           self.emulator.url, self.bucket, region=REGION)

    def keys(self, prefix: str) -> list[str]:
        import oss2

        return [o.key for o in oss2.ObjectIteratorV2(self.sdk(), prefix=prefix)]


@pytest.fixture
def env(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thumbs: list[bytes]) -> Iterator[Env]:
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    values = {  # on top of the clean environment of `isolated_env`
        "ALIBABA_CLOUD_ACCESS_KEY_ID": emulator.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emulator.access_key_secret,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true",
        "MEDIAPROC_REGION": REGION,
        "MEDIAPROC_ENDPOINT": emulator.url,
        "MEDIAPROC_IMM_ENDPOINT": emulator.url,
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    e = Env(emulator, bucket, tmp_path)
    sdk = e.sdk()
    sdk.create_bucket()
    for i, data in enumerate(thumbs):
        sdk.put_object(f"in/{i:03d}.jpg", data)
    emulator.reset_stats()
    yield e
    emulator.clear_faults()


def check_outcome(code: int, results: list[dict[str, Any]], out: Path) -> tuple[int, int]:
    assert isinstance(results, list) and len(results) == N
    ok = [r for r in results if r["success"]]
    failed = [r for r in results if not r["success"]]
    assert code == (0 if not failed else 8), (code, len(failed))
    for r in ok:
        with Image.open(r["path"]) as im:
            im.load()
            assert im.size == (48, 36), r["path"]
    for r in failed:
        assert r["error"]["message"] and r["error"]["code"]
        assert not Path(r["target"]).exists(), f"a failed item left a file: {r['target']}"
    leftovers = [p for p in out.rglob("*") if p.is_file() and (p.name.startswith(".") or p.suffix in (".part", ".tmp"))]
    assert not leftovers, leftovers
    assert len([p for p in out.rglob("*.jpg")]) == len(ok)
    return len(ok), len(failed)


def _poisson_bound(mean: float, tail: float = 1e-6) -> int:
    """The least k with P(X > k) < tail for X ~ Poisson(mean): how many items may fail by chance.

    Concurrent requests draw the seeded faults in a different order on every run, so the number of
    items that meet RETRY_ATTEMPTS faults in a row varies; a bound of a few times the mean fails about
    one run in a hundred for reasons that are not a regression."""
    k, term = 0, math.exp(-mean)
    below = term
    while 1 - below >= tail:
        k += 1
        term *= mean / k
        below += term
    return k


SCENARIOS = {
    "5xx burst": dict(error_rate=0.25, error_status=500),
    "throttling 503 SlowDown": dict(error_rate=0.3, error_status=503),
    "reset mid-body": dict(reset_after_bytes=200, times=60, operations=["GetObjectWithProcess"]),
    "truncated body": dict(truncate_after_bytes=200, times=60, operations=["GetObjectWithProcess"]),
    "latency past the timeout": dict(latency_ms=1500, latency_rate=0.1, operations=["GetObjectWithProcess"]),
    "every request fails": dict(error_rate=1.0, error_status=503, operations=["GetObjectWithProcess"]),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_download_batch_under_faults(env: Env, cli: Cli, fast_backoff: list[float], name: str) -> None:
    env.emulator.set_faults(seed=7, **SCENARIOS[name])
    out = env.tmp / "out"
    # The client's own timeout matters only where the scenario is latency; elsewhere it is generous, so
    # that 32 clients queueing for the in-process server's processing slots do not time out on their own.
    timeout = "0.5" if "latency" in SCENARIOS[name] or "latency_ms" in SCENARIOS[name] else "5"
    res = cli("--provider", "oss", "--request-timeout", timeout, "process",
              f"oss://{env.bucket}/in/", "resize:w=48", "--to", str(out), "-j", "32", "--json")
    code, results, err = res.code, res.json(), res.stderr
    _ok, failed = check_outcome(code, results, out)
    # An idempotent GET is tried RETRY_ATTEMPTS times, so an item fails only after that many faults in
    # a row: at most times // attempts items for bounded faults, ~N * rate**attempts for random ones.
    from mediaproc.providers.oss.errors import RETRY_ATTEMPTS

    spec = SCENARIOS[name]
    if name == "every request fails":
        assert failed == N
    elif "times" in spec:
        assert failed <= spec["times"] // RETRY_ATTEMPTS, err
    else:
        rate = spec.get("error_rate", spec.get("latency_rate", 0.0))
        assert failed <= _poisson_bound(N * rate**RETRY_ATTEMPTS), err
    stats = env.emulator.stats()
    assert stats["faults_fired"], "the faults did not fire: the scenario tested nothing"
    # The waits were shortened (fast_backoff), not the retries: every fault was retried - one wait, one
    # more request - unless its item had used up its attempts (one listing page + N GETs without faults).
    fired = sum(stats["faults_fired"].values())
    # A request can also time out on its own on a loaded machine and be retried like a fault: extra
    # waits are the client doing its job (bounded, or it retries what succeeded); a fault without a
    # wait is a bug.
    extra = len(fast_backoff) - (fired - failed)
    assert 0 <= extra <= N // 4, (fired, len(fast_backoff), failed)
    assert sum(stats["requests"].values()) == 1 + N + len(fast_backoff), stats["requests"]
    if name == "every request fails":
        assert stats["requests"]["GetObjectWithProcess"] == N * RETRY_ATTEMPTS
    env.emulator.clear_faults()  # inspect the bucket without faults
    assert not env.keys(".mediaproc-tmp/")


def test_local_sources_leave_no_temporary_objects(env: Env, cli: Cli, fast_backoff: list[float],
                                                  thumbs: list[bytes]) -> None:
    src = env.tmp / "local"
    src.mkdir()
    for i, data in enumerate(thumbs):
        (src / f"{i:03d}.jpg").write_bytes(data)
    env.emulator.set_faults(seed=3, error_rate=0.2, error_status=503)
    out = env.tmp / "out"
    res = cli("--provider", "oss", "--bucket", env.bucket, "process", str(src),
              "resize:w=48", "--to", str(out), "-j", "16", "--json")
    code, results = res.code, res.json()
    _ok, failed = check_outcome(code, results, out)
    fired = sum(env.emulator.stats()["faults_fired"].values())
    assert fired == len(fast_backoff) + failed, "a fault was neither retried nor reported"
    env.emulator.clear_faults()
    assert env.keys(".mediaproc-tmp/") == [], "temporary uploads leaked"


def test_saveas_is_retried_like_every_idempotent_call(env: Env, cli: Cli, fast_backoff: list[float]) -> None:
    env.emulator.set_faults(seed=11, error_rate=0.3, error_status=503, operations=["ProcessObject"])
    res = cli("--provider", "oss", "process", f"oss://{env.bucket}/in/", "resize:w=48",
              "--to", f"oss://{env.bucket}/out/", "-j", "16", "--json")
    code, results = res.code, res.json()
    assert len(results) == N
    ok = [r for r in results if r["success"]]
    assert code == (0 if len(ok) == N else 8)
    stats = env.emulator.stats()
    # sys/saveas is idempotent: every 503 was retried (one more POST per retry, nothing else)
    assert fast_backoff, "nothing was retried"
    assert stats["requests"]["ProcessObject"] == N + len(fast_backoff)
    env.emulator.clear_faults()
    saved = set(env.keys("out/"))
    assert saved == {r["target"].split("/", 3)[3] for r in ok}
    for key in sorted(saved)[:20]:
        with Image.open(io.BytesIO(env.sdk().get_object(key).read())) as im:
            assert im.size == (48, 36)


def test_async_batch_creates_no_duplicate_jobs(env: Env, cli: Cli, fast_backoff: list[float]) -> None:
    import subprocess

    import imageio_ffmpeg

    clip = env.tmp / "tone.wav"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", "-ac", "1", "-ar", "16000", str(clip)], check=True)
    sdk = env.sdk()
    for i in range(12):
        sdk.put_object_from_file(f"audio/{i:02d}.wav", str(clip))
    sdk_imm = env.emulator.imm_client()
    from alibabacloud_imm20200930 import models

    project = f"p-{uuid.uuid4().hex[:8]}"
    sdk_imm.create_project(models.CreateProjectRequest(project_name=project))
    sdk_imm.attach_ossbucket(models.AttachOSSBucketRequest(project_name=project, ossbucket=env.bucket))
    env.emulator.reset_stats()
    env.emulator.set_faults(seed=5, error_rate=0.3, error_status=503, operations=["AsyncProcessObject", "GetTask"])
    res = cli("--provider", "oss", "process", f"oss://{env.bucket}/audio/",
              "audio/convert:f=mp3", "--to", f"oss://{env.bucket}/mp3/", "-j", "4", "--json")
    code, results = res.code, res.json()
    assert len(results) == 12
    assert code == (0 if all(r["success"] for r in results) else 8)
    stats = env.emulator.stats()
    task_ids = [r["task_id"] for r in results if r.get("task_id")]
    assert len(task_ids) == len(set(task_ids))
    assert stats["async_jobs_created"] == len(task_ids), (stats["async_jobs_created"], task_ids)
    assert stats["requests"].get("AsyncProcessObject", 0) == 12  # each submission sent exactly once
    assert fast_backoff, "the polls (and GetTask retries) did not wait through mediaproc.backoff"
    env.emulator.clear_faults()
    for r in results:
        if r["success"]:
            assert env.sdk().object_exists(r["target"].split("/", 3)[3])
