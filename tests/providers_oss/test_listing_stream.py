"""``ls`` through oss2 against serve, streamed: the first page is written before the second is asked
for, so a listing that fails on its second page leaves the first page's lines on stdout (a TSV line
each), or, with ``--json``, one array whose last element is the error; the exit code says it failed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from providers_oss.conftest import CliResult, OssEnv

PAGE = 1000  # the provider's ListObjectsV2 page (max-keys)


@pytest.fixture
def many(oss_env: OssEnv) -> list[str]:
    """1,500 objects (two pages), written straight into serve's folder: a file there is an object."""
    folder = Path(oss_env.server.root) / oss_env.bucket / "many"
    folder.mkdir(parents=True)
    keys = [f"many/{i:05d}.txt" for i in range(1500)]
    for key in keys:
        (folder / key.split("/")[1]).write_bytes(b"x")
    return keys


def test_tsv_listing_pages_through_everything(oss_env: OssEnv, cli: Callable[..., CliResult], many: list[str]) -> None:
    r = cli("ls", oss_env.uri("many/"), "-r")
    assert r.code == 0, r.stderr
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == many


def test_error_on_the_second_page_ends_the_json_array(
    oss_env: OssEnv, cli: Callable[..., CliResult], many: list[str], fast_backoff: list[float]
) -> None:
    oss_env.server.set_faults(error_rate=1.0, error_status=500, operations=["ListObjectsV2"], after=1)
    r = cli("--json", "ls", oss_env.uri("many/"), "-r")
    assert r.code == 5, r.stderr
    doc = json.loads(r.stdout)  # still one valid document
    assert [item["key"] for item in doc[:-1]] == many[:PAGE]
    assert doc[-1]["error"]["code"] == "InternalError"
    assert set(doc[-1]) == {"error"}
    assert "Error: " in r.stderr


def test_error_on_the_second_page_after_the_first_page_is_printed(
    oss_env: OssEnv, cli: Callable[..., CliResult], many: list[str], fast_backoff: list[float]
) -> None:
    oss_env.server.set_faults(error_rate=1.0, error_status=500, operations=["ListObjectsV2"], after=1)
    r = cli("ls", oss_env.uri("many/"), "-r")
    assert r.code == 5
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == many[:PAGE]
    assert r.stderr.startswith("Error: ")
