"""Staged uploads: size limit while streaming, declared length, nothing left on failure."""

import asyncio

import pytest

from sandbox.errors import InvalidUpload, NotFound, UploadTooLarge, UploadTruncated
from sandbox.storage.staging import StagingArea


async def chunks(*parts: bytes, fail_after: int | None = None):
    for index, part in enumerate(parts):
        if fail_after is not None and index == fail_after:
            raise ConnectionResetError("client went away")
        yield part


def receive(area, parts, declared=None, limit=100, fail_after=None):
    return asyncio.run(
        area.receive(
            chunks(*parts, fail_after=fail_after), declared_length=declared, max_bytes=limit
        )
    )


def test_complete_upload_is_stored_with_its_hash(tmp_path):
    area = StagingArea(tmp_path)
    staged = receive(area, [b"abc", b"def"], declared=6)
    assert staged.path.read_bytes() == b"abcdef"
    assert staged.byte_size == 6 and len(staged.sha256) == 64
    area.discard(staged.upload_id)
    assert area.list_files() == []


@pytest.mark.parametrize(
    "parts, declared, fail_after, error, needle",
    [
        ([b"x" * 60, b"x" * 60], None, None, UploadTooLarge, "limit of 100"),
        ([b"x"], 101, None, UploadTooLarge, "declares 101"),
        ([b"abc"], 10, None, UploadTruncated, "3 of 10"),
        ([b"abc", b"def"], None, 1, UploadTruncated, "stopped after 3 bytes"),
        ([], 0, None, InvalidUpload, "empty"),
    ],
)
def test_failed_uploads_leave_nothing(tmp_path, parts, declared, fail_after, error, needle):
    area = StagingArea(tmp_path)
    with pytest.raises(error, match=needle):
        receive(area, parts, declared=declared, fail_after=fail_after)
    assert area.list_files() == []


def test_foreign_ids_are_refused(tmp_path):
    with pytest.raises(NotFound):
        StagingArea(tmp_path).path("../../etc/passwd")
