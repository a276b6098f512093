"""Reading a file of records for a batch verification as it streams in.

Two formats: CSV with a header row naming the service's fields (RFC 4180 quoting; a quoted
value may span lines), or NDJSON with one object per line. The reader is fed the body's
chunks as they arrive and hands back complete records with their line numbers, so a batch
is checked record by record while it is still arriving: the first bad record, or the first
record beyond what the grant has left today, stops the reading (nothing was answered or
counted by then). Blank lines are skipped; a UTF-8 byte-order mark is allowed.
"""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import Iterator

from sandbox.errors import InvalidRequest
from sandbox.verification.normalise import InvalidRecord

MAX_LINE_BYTES = 64 * 1024
"""Longest line (or quoted CSV record) accepted."""
MAX_BATCH_BYTES = 64 * 1024 * 1024
"""Largest batch body accepted."""


class BatchFormat(enum.StrEnum):
    """The formats of a file of records, by their media type."""

    CSV = "text/csv"
    NDJSON = "application/x-ndjson"


def format_of(content_type: str | None) -> BatchFormat:
    """The batch format a ``Content-Type`` names (CSV, or NDJSON / JSON Lines)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("text/csv", "application/csv"):
        return BatchFormat.CSV
    if media in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return BatchFormat.NDJSON
    raise InvalidRequest(
        "send the records as text/csv (a header row naming the fields) or "
        "application/x-ndjson (one JSON object per line)"
    )


class BatchReader:
    """An incremental reader of one batch body (see the module docstring)."""

    def __init__(self, kind: BatchFormat) -> None:
        self.kind = kind
        self._pending = b""
        self._record = ""
        self._record_line = 0
        self._line = 0
        self._bytes = 0
        self._header: list[str] | None = None
        self._first = True

    def feed(self, chunk: bytes) -> Iterator[tuple[int, dict[str, object]]]:
        """The records ``chunk`` completes, each with the line it starts on (from 1)."""
        self._bytes += len(chunk)
        if self._bytes > MAX_BATCH_BYTES:
            raise InvalidRequest(f"a batch holds at most {MAX_BATCH_BYTES} bytes")
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        if len(self._pending) > MAX_LINE_BYTES:
            raise InvalidRecord(f"line {self._line + 1} is longer than {MAX_LINE_BYTES} bytes")
        for raw in lines:
            yield from self._line_done(raw)

    def finish(self) -> Iterator[tuple[int, dict[str, object]]]:
        """The last record (a body need not end with a newline); refuses an open quote."""
        if self._pending:
            raw, self._pending = self._pending, b""
            yield from self._line_done(raw)
        if self._record:
            raise InvalidRecord(f"line {self._record_line}: a quoted value is never closed")

    def _line_done(self, raw: bytes) -> Iterator[tuple[int, dict[str, object]]]:
        self._line += 1
        if self._first:
            self._first = False
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError:
            raise InvalidRecord(f"line {self._line} is not UTF-8 text") from None
        if self.kind is BatchFormat.NDJSON:
            if text.strip():
                yield self._line, self._json(text)
            return
        if not self._record:
            if not text.strip():
                return
            self._record_line = self._line
            self._record = text
        else:
            self._record += "\n" + text
        if len(self._record) > MAX_LINE_BYTES:
            raise InvalidRecord(f"line {self._record_line}: the record is too long")
        if self._record.count('"') % 2:  # a quoted value continues on the next line
            return
        record, self._record = self._record, ""
        found = self._csv(record)
        if found is not None:
            yield self._record_line, found

    def _json(self, text: str) -> dict[str, object]:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidRecord(f"line {self._line} is not JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise InvalidRecord(f"line {self._line} must be a JSON object of field values")
        return value

    def _csv(self, record: str) -> dict[str, object] | None:
        try:
            cells = next(csv.reader([record], strict=True))
        except csv.Error as exc:
            raise InvalidRecord(f"line {self._record_line} is not CSV ({exc})") from None
        if self._header is None:
            names = [c.strip() for c in cells]
            if len(set(names)) != len(names) or not all(names):
                raise InvalidRecord("the CSV header must name each field once")
            self._header = names
            return None
        if len(cells) != len(self._header):
            raise InvalidRecord(
                f"line {self._record_line} holds {len(cells)} values where the header names "
                f"{len(self._header)} fields"
            )
        return dict(zip(self._header, cells, strict=True))
