"""Wire limits both clouds share, kept once in ``providers.base`` (they were four copies): the provider
batches deletes by ``MAX_DELETE_KEYS``, and serve refuses one key more, as OSS does."""

from __future__ import annotations

import oss2
import pytest

from mediaproc.location import Location
from mediaproc.providers import get_provider
from mediaproc.providers.base import MAX_DELETE_KEYS, MAX_LIST_KEYS, MAX_PARTS
from providers_oss.conftest import OssEnv


def test_documented_values() -> None:
    """OSS DeleteMultipleObjects and COS DELETE Multiple Objects: at most 1,000 keys; multipart: 10,000 parts;
    a listing page: at most 1,000 keys."""
    assert (MAX_DELETE_KEYS, MAX_PARTS, MAX_LIST_KEYS) == (1_000, 10_000, 1_000)


def test_the_provider_batches_deletes_by_what_serve_takes(oss_env: OssEnv) -> None:
    keys = [f"gone/{i}" for i in range(MAX_DELETE_KEYS + 1)]  # missing keys: OSS reports them deleted
    with pytest.raises(oss2.exceptions.ServerError) as err:
        oss_env.sdk_bucket().batch_delete_objects(keys)
    assert err.value.code == "MalformedXML"
    assert oss_env.sdk_bucket().batch_delete_objects(keys[:MAX_DELETE_KEYS]).deleted_keys
    oss_env.server.reset_stats()
    with get_provider("oss", oss_env.settings()) as p:
        assert p.delete_many(Location(scheme="oss", bucket=oss_env.bucket, key="gone/"), keys) == {}
    assert oss_env.stats()["requests"].get("DeleteMultipleObjects") == 2
