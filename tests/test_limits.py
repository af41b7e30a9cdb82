"""mediaproc.limits: one table, ceilings raised by their variable, each service's documented limits applied
in its profile (and only there), refusals that name the limit and its value. docs/limits.md lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediaproc import limits
from mediaproc.errors import ConfigError, ExitCode


def test_every_ceiling_has_its_variable_and_every_documented_limit_its_page() -> None:
    for limit in limits.CEILINGS.values():
        assert limit.env == "MEDIAPROC_MAX_" + limit.name.upper() and not limit.source
    for table in (limits.SHARED, limits.OSS, limits.COS):
        for limit in table.values():
            assert limit.env is None and limit.source, limit


def test_docs_list_every_limit() -> None:
    """docs/limits.md is the user's view of this table: every limit is there with its value."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text(encoding="utf-8")
    for table in (limits.CEILINGS, limits.SHARED, limits.OSS, limits.COS):
        for limit in table.values():
            assert f"`{limit.name}`" in page, limit.name
            assert limit.show() in page or f"{limit.value:,}" in page, (limit.name, limit.show())
    for limit in limits.CEILINGS.values():
        assert f"`{limit.env}`" in page


def test_a_variable_raises_a_ceiling_and_a_bad_one_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.value("chain_ops") == 32
    monkeypatch.setenv("MEDIAPROC_MAX_CHAIN_OPS", "64")
    assert limits.value("chain_ops") == 64
    limits.check("chain_ops", 64, "x")
    monkeypatch.setenv("MEDIAPROC_MAX_CHAIN_OPS", "many")
    with pytest.raises(ConfigError) as err:
        limits.active()
    assert "MEDIAPROC_MAX_CHAIN_OPS" in err.value.message and err.value.exit_code == ExitCode.CONFIG


def test_profiles_apply_the_documented_limits_of_their_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAPROC_MAX_SOURCE_PIXELS", str(10**9))  # a machine that can afford more
    assert limits.value("source_pixels") == 10**9
    assert limits.get("image_source_bytes") is None  # a local file has no transfer limit
    with limits.profile("oss"):
        assert limits.get("source_pixels") == limits.OSS["source_pixels"]  # OSS refuses it whatever we allow
        assert limits.value("image_source_bytes") == 20_000_000
        assert limits.value("source_frames") == 1_000
    with limits.profile("cos"):
        assert limits.value("image_source_bytes") == 32_000_000
        assert limits.value("source_frames") == 300
        assert limits.value("output_side") == 9_999
    assert limits.get("output_side") is None


def test_a_refusal_names_the_limit_its_value_and_how_to_raise_it() -> None:
    with pytest.raises(limits.LimitExceeded) as err:
        limits.check("source_pixels", 10**10, "source image x.png (100000x100000 px)", "downscale it")
    exc = err.value
    assert exc.message == (
        "source image x.png (100000x100000 px): 10,000,000,000 pixels is over the limit "
        "source_pixels = 250,000,000 pixels"
    )
    assert exc.hint == "downscale it; raise it with MEDIAPROC_MAX_SOURCE_PIXELS=N if this machine has the memory " \
        "(docs/limits.md)"
    assert exc.exit_code == ExitCode.USAGE and exc.code == "ImageTooLarge"
    with limits.profile("oss"), pytest.raises(limits.LimitExceeded) as err:
        limits.check("source_pixels", 10**10, "x")
    assert err.value.details["ec"] == "0040-00000012" and "help.aliyun.com" in (err.value.hint or "")


def test_a_copy_is_bounded_unless_it_stays_in_place_with_its_storage() -> None:
    """OSS's CopyObject page: any size within the bucket, 5 GB to another bucket, 1 GB with a storage class
    change; COS: any size within the region and class, else 5 GB."""
    gib = 1024**3
    for service, moved, changed in (("oss", 5 * gib, gib), ("cos", 5 * gib, 5 * gib)):
        assert limits.copy_object_limit(service, same_place=True, changes_storage=False) is None
        for same, changes, value in ((False, False, moved), (True, True, changed), (False, True, changed)):
            limit = limits.copy_object_limit(service, same_place=same, changes_storage=changes)
            assert limit is not None and (limit.value, limit.code) == (value, "EntityTooLarge")
