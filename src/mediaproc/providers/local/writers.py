"""Streaming writes that are all or nothing: a reader never sees half an object, part or sidecar.

Every write streams into ``.mediaproc/tmp`` (the same file system as the buckets) while its MD5 and
CRC-64 are computed on the way, and is published with ``os.replace`` by whoever owns the
destination. A failed or interrupted write (an error, Ctrl-C, a dropped connection) removes its
temporary file, so nothing is left behind. Staging inside the bucket folder would show partial files
to listings; that is why the temporary files live apart and why these writers know nothing about
where their bytes end up: the store hands each one the function that publishes it.

CRC-64 is CRC-64/ECMA-182 as OSS reports it in ``x-oss-hash-crc64ecma``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import crcmod

from mediaproc.atomic import atomic_file, create_temp
from mediaproc.errors import UsageError
from mediaproc.i18n import _
from mediaproc.providers.local.errors import digest_mismatch, store_error
from mediaproc.providers.local.records import ObjectMeta, PartMeta

T = TypeVar("T")
W = TypeVar("W", bound="_StagedWrite")
COPY_CHUNK = 1024 * 1024  # read size when copying or hashing a file

_CRC64 = crcmod.Crc(0x142F0E1EBA9EA3693, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)

# (temporary file, etag, crc64) -> the published object
PublishObject = Callable[[Path, str, int], ObjectMeta]
# (temporary file, etag, crc64, size) -> the published part
PublishPart = Callable[[Path, str, int, int], PartMeta]


def new_crc64() -> Any:
    """A fresh CRC-64/ECMA accumulator (``update(bytes)``, ``crcValue``), as OSS computes it."""
    return _CRC64.new()


_CRC64_POLY_REFLECTED = 0xC96C5795D7870F42  # 0x42F0E1EBA9EA3693 bit-reversed: the register's view


def _gf2_times(mat: list[int], vec: int) -> int:
    total = 0
    i = 0
    while vec:
        if vec & 1:
            total ^= mat[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(64)]


def crc64_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-64/ECMA of A+B from the CRCs of A and B and the length of B, without their bytes.

    zlib's ``crc32_combine`` (Mark Adler's GF(2) matrix method) for the 64-bit register OSS uses:
    appending ``len2`` zero bytes to A's register is a linear map, squared up by powers of two.
    CompleteMultipartUpload uses it to give the joined object its CRC from the parts' CRCs instead of
    reading the whole object again."""
    if len2 <= 0:
        return crc1
    odd = [_CRC64_POLY_REFLECTED] + [1 << n for n in range(63)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def write_json(path: Path, data: Mapping[str, Any], tmp_dir: Path) -> None:
    """Atomic JSON write, so a crash never leaves half a sidecar (temporary file in ``tmp_dir``)."""
    with atomic_file(path, "w", temp_dir=tmp_dir) as f:
        json.dump(data, f, ensure_ascii=False)


def content_md5(value: str | None) -> bytes | None:
    """Decode a Content-MD5 header (base64 of 16 bytes); None when absent."""
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 16:
        raise store_error(
            UsageError,
            "InvalidDigest",
            _("the Content-MD5 you specified is not valid"),
            _("send the MD5 of the body, base64-encoded"),
        )
    return raw


class HashingFile:
    """A temp file that hashes (MD5 + CRC-64) what is written, and is removed unless published."""

    def __init__(self, tmp_dir: Path) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, self.path = create_temp(tmp_dir, "w")
        self._f: BinaryIO | None = os.fdopen(fd, "wb")
        self.md5 = hashlib.md5()
        self.crc = new_crc64()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._f is None:
            raise ValueError("write after close")
        self._f.write(data)
        self.md5.update(data)
        self.crc.update(bytes(data) if isinstance(data, memoryview) else data)
        self.size += len(data)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def discard(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class _StagedWrite:
    """What an object write and a part write share: stream into a hashing temp file, check the
    client's Content-MD5, hand the file to its publisher, and remove it unless that succeeded.

    Use as a context manager: leaving the block without a commit (an error, Ctrl-C, a dropped
    connection) removes the temporary file.
    """

    def __init__(self, tmp_dir: Path) -> None:
        self._file = HashingFile(tmp_dir)
        self._done = False

    @property
    def size(self) -> int:
        return self._file.size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)

    def md5_digest(self) -> bytes:
        return self._file.md5.digest()

    def _commit(self, expected_md5: bytes | None, publish: Callable[[HashingFile], T]) -> T:
        try:
            self._file.close()
            if expected_md5 is not None and expected_md5 != self._file.md5.digest():
                raise digest_mismatch()
            published = publish(self._file)
            self._done = True
            return published
        finally:
            if not self._done:
                self._file.discard()

    def abort(self) -> None:
        if not self._done:
            self._done = True
            self._file.discard()

    def __enter__(self: W) -> W:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class ObjectWriter(_StagedWrite):
    """Streams one object into the store; nothing is visible until :meth:`commit`."""

    def __init__(self, tmp_dir: Path, key: str, publish: PublishObject) -> None:
        super().__init__(tmp_dir)
        self.key = key
        self._publish = publish

    def commit(self, *, expected_md5: bytes | None = None) -> ObjectMeta:
        """Publish the object. ``expected_md5`` (from Content-MD5) is checked first."""

        return self._commit(expected_md5, lambda f: self._publish(f.path, f.md5.hexdigest().upper(), f.crc.crcValue))


class PartWriter(_StagedWrite):
    """Streams one part of a multipart upload; published by :meth:`commit`."""

    def __init__(self, tmp_dir: Path, publish: PublishPart) -> None:
        super().__init__(tmp_dir)
        self._publish = publish

    def commit(self, *, expected_md5: bytes | None = None) -> PartMeta:
        return self._commit(
            expected_md5, lambda f: self._publish(f.path, f.md5.hexdigest().upper(), f.crc.crcValue, f.size)
        )
