"""The platform's log format: one JSON object a line (or plain text), with the request id.

``SANDBOX_LOG_FORMAT=json`` (the default) writes every record as one JSON object: ``time``
(UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` and ``job_id`` where one is
bound (:mod:`.context`), the fields a caller passed in ``extra`` (the HTTP request line's
``method``, ``route``, ``status``, ``duration_ms``), and ``exception`` with the traceback.
``text`` writes the same as one readable line, for a developer's terminal.

What goes into a line is the platform's own words: no handler logs a request body, and
nothing logs a data value (DESIGN.md, trust boundary 2).

:func:`configure_logging` installs one handler on the root logger (replacing the one it
installed before, never anyone else's, so pytest's capture keeps working) and routes
uvicorn's loggers through it, so that a server writes in one format only.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from sandbox.observability.context import current_job_id, current_request_id

__all__ = ["LOG_FORMATS", "ContextFilter", "JsonFormatter", "TextFormatter", "configure_logging"]

LogFormat = Literal["json", "text"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text")

_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "job_id", "color_message", "taskName"}
)
"""A record's own attributes; anything else on it came from ``extra=`` and is written out."""

_HANDLER_MARK = "_sandbox_handler"

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
QUIET_LIBRARIES = ("httpx", "httpcore")


class ContextFilter(logging.Filter):
    """Stamp every record with the request id and job id bound where it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` and ``job_id`` (``None`` when unbound) unless already set."""
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if getattr(record, "job_id", None) is None:
            record.job_id = current_job_id()
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
    }


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for its fields)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON; a value JSON cannot hold is written as text."""
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "job_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request_id job=N] message key=value...``, then any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one readable line (a traceback follows on its own lines)."""
        tags = []
        request_id = getattr(record, "request_id", None)
        job_id = getattr(record, "job_id", None)
        if request_id is not None:
            tags.append(str(request_id))
        if job_id is not None:
            tags.append(f"job={job_id}")
        bracket = f" [{' '.join(tags)}]" if tags else ""
        fields = "".join(f" {key}={value}" for key, value in _extras(record).items())
        line = (
            f"{_timestamp(record)} {record.levelname} {record.name}{bracket} "
            f"{record.getMessage()}{fields}"
        )
        if record.exc_info:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter of ``json`` or ``text``.

    Raises:
        ValueError: Another format name.
    """
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return TextFormatter()
    raise ValueError(f"the log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")


def configure_logging(log_format: str, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log record of this process to ``stream`` (stderr) in ``log_format``.

    Idempotent: a second call replaces the handler the first installed. uvicorn's loggers
    lose their own handlers and propagate to the root, so its start-up and error lines come
    out in the same format (its access log is left to the platform's request line, which
    carries the request id and the route instead of the query string).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for name in QUIET_LIBRARIES:  # their INFO lines name whole URLs, query strings included
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
