"""The observability pieces on their own: request ids, the log formats, the metric events
(captured, replayed, counted only on commit), and labels kept to the platform's vocabulary.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from fractions import Fraction

import pytest
from prometheus_client import generate_latest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from sandbox.config import Settings
from sandbox.jobs.observed import job_bound
from sandbox.observability import metrics
from sandbox.observability.context import (
    accepted_request_id,
    bound,
    current_job_id,
    current_request_id,
    new_request_id,
)
from sandbox.observability.logs import configure_logging


def _value(name: str, **labels: str) -> float:
    found = metrics.REGISTRY.get_sample_value(name, labels)
    return found or 0.0


@pytest.mark.parametrize("given", ["abc", "0f3e-9:trace.1_2", "A" * 64])
def test_plausible_request_ids_are_taken_as_given(given: str) -> None:
    assert accepted_request_id(given) == given


@pytest.mark.parametrize(
    "given", [None, "", "a b", 'x"y', "a\nb", "A" * 65, "-leading", "ünicode", "a;b", "{}"]
)
def test_anything_else_is_replaced(given: str | None) -> None:
    assert accepted_request_id(given) is None


def test_new_request_ids_are_fresh_and_acceptable() -> None:
    made = {new_request_id() for _ in range(100)}
    assert len(made) == 100 and all(accepted_request_id(m) == m for m in made)


def test_bindings_nest_and_unwind() -> None:
    assert current_request_id() is None and current_job_id() is None
    with bound(request_id="outer"):
        with bound(job_id=7):
            assert (current_request_id(), current_job_id()) == ("outer", 7)
            with bound(request_id="inner"):
                assert current_request_id() == "inner"
            assert current_request_id() == "outer"
        assert current_job_id() is None
    assert current_request_id() is None


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sandbox_handler", False):
            root.removeHandler(handler)


def test_a_json_line_carries_the_bound_ids_extras_and_traceback(log_stream: io.StringIO) -> None:
    log = logging.getLogger("sandbox.test")
    with job_bound(42, "req-1"):
        log.info("job %s went %s", 42, "well", extra={"route": "/v1/jobs/{job_id}"})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed")
    log.warning('quotes " and\nnewlines stay one line; 中文 too')
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == "job 42 went well" and first["level"] == "info"
    assert (first["request_id"], first["job_id"], first["route"]) == (
        "req-1",
        42,
        "/v1/jobs/{job_id}",
    )
    assert first["logger"] == "sandbox.test" and first["time"].endswith("Z")
    assert "ValueError: boom" in second["exception"]
    assert "request_id" not in third and third["message"].endswith("中文 too")


def test_the_text_format_is_one_readable_line() -> None:
    stream = io.StringIO()
    configure_logging("text", "INFO", stream=stream)
    try:
        with bound(request_id="req-2", job_id=3):
            logging.getLogger("sandbox.test").info("hello")
    finally:
        configure_logging("json", "INFO", stream=io.StringIO())
    assert stream.getvalue().strip().endswith("INFO sandbox.test [req-2 job=3] hello")


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json, text"):
        configure_logging("xml")
    with pytest.raises(ValueError):
        Settings(log_format="xml")  # type: ignore[arg-type]


def test_a_second_configuration_replaces_the_first_handler_only(log_stream: io.StringIO) -> None:
    root = logging.getLogger()
    others = [h for h in root.handlers if not getattr(h, "_sandbox_handler", False)]
    configure_logging("json", "INFO", stream=log_stream)
    ours = [h for h in root.handlers if getattr(h, "_sandbox_handler", False)]
    assert len(ours) == 1
    assert [h for h in root.handlers if not getattr(h, "_sandbox_handler", False)] == others


def test_captured_events_are_counted_only_when_replayed() -> None:
    before = _value("sandbox_sandbox_starts_total", backend="bwrap")
    with metrics.captured() as events:
        metrics.sandbox_started("bwrap")
        metrics.job_finished("dp", "released", 1.5)
    assert _value("sandbox_sandbox_starts_total", backend="bwrap") == before
    assert metrics.replay(events) == 2
    assert _value("sandbox_sandbox_starts_total", backend="bwrap") == before + 1


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "text",
        [("no_such_metric", (), 1)],
        [("sandbox_sandbox_starts", ("bwrap", "extra"), 1)],
        [("sandbox_sandbox_starts", (3,), 1)],
        [("sandbox_sandbox_starts", ("bwrap",), -5)],
        [("sandbox_sandbox_starts", ("bwrap",), "1")],
        [("sandbox_sandbox_starts",)],
    ],
)
def test_replay_skips_what_is_not_an_event(junk: object) -> None:
    before = generate_latest(metrics.REGISTRY)
    assert metrics.replay(junk) == 0
    after = generate_latest(metrics.REGISTRY)
    assert _lines_without_process(before) == _lines_without_process(after)


def _lines_without_process(exposition: bytes) -> list[str]:
    return [
        line
        for line in exposition.decode().splitlines()
        if not line.startswith(("process_", "python_gc"))
    ]


def test_labels_outside_the_vocabulary_become_other() -> None:
    metrics.sandbox_failed("some-user's-backend", "their data value")
    assert _value("sandbox_sandbox_failures_total", backend="other", reason="other") >= 1
    metrics.ledger_refused("grant 'g-17' of alice")
    assert _value("sandbox_ledger_refusals_total", budget="other") >= 1
    metrics.http_request("BREW", "/v1/jobs/{job_id}", 418, 0.01)
    assert (
        _value(
            "sandbox_http_request_duration_seconds_count",
            method="other",
            route="/v1/jobs/{job_id}",
            status="4xx",
        )
        >= 1
    )
    values = metrics.label_values()
    assert "some-user's-backend" not in values.get("backend", set())
    assert "their data value" not in values.get("reason", set())


def test_a_charge_counts_its_loss_by_accounting() -> None:
    before = _value("sandbox_dp_loss_charged_total", accounting="zcdp")
    metrics.dp_charged("zcdp", Fraction(1, 8), Fraction(0))
    assert _value("sandbox_dp_loss_charged_total", accounting="zcdp") == pytest.approx(
        before + 0.125
    )


@pytest.fixture
def sessions() -> Iterator[sessionmaker[Session]]:
    engine = create_engine("sqlite://")
    yield sessionmaker(engine)
    engine.dispose()


def test_an_event_in_a_transaction_counts_once_it_commits(
    sessions: sessionmaker[Session],
) -> None:
    before = _value("sandbox_sandbox_starts_total", backend="docker")
    with sessions() as session:
        session.execute(text("SELECT 1"))
        metrics.on_commit(session, lambda: metrics.sandbox_started("docker"))
        assert _value("sandbox_sandbox_starts_total", backend="docker") == before
        session.commit()
    assert _value("sandbox_sandbox_starts_total", backend="docker") == before + 1
    with sessions() as session:
        session.execute(text("SELECT 1"))
        metrics.on_commit(session, lambda: metrics.sandbox_started("docker"))
        session.rollback()
        session.execute(text("SELECT 1"))
        session.commit()  # the rolled-back event is gone, not carried into this one
    assert _value("sandbox_sandbox_starts_total", backend="docker") == before + 1


def test_a_failing_count_never_fails_the_commit(sessions: sessionmaker[Session]) -> None:
    def broken() -> None:
        raise RuntimeError("counting broke")

    with sessions() as session:
        session.execute(text("SELECT 1"))
        metrics.on_commit(session, broken)
        session.commit()
