"""A server process runs a bounded number of dry runs at once, per user and in all."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from sandbox.errors import Conflict
from sandbox.identity.model import Actor, Role
from sandbox.jobs import dry_run
from sandbox.jobs.dry_run import MAX_DRY_RUNS, MAX_DRY_RUNS_PER_USER


def user(user_id: int) -> Actor:
    return Actor(user_id, f"u{user_id}", Role.USER)


def test_a_user_runs_a_few_dry_runs_at_once_and_gets_a_slot_back() -> None:
    with ExitStack() as held:
        for _ in range(MAX_DRY_RUNS_PER_USER):
            held.enter_context(dry_run._slot(user(1)))
        with pytest.raises(Conflict, match="dry runs running"), dry_run._slot(user(1)):
            pass
    with dry_run._slot(user(1)):
        pass
    assert dry_run._running == {}


def test_the_server_runs_a_bounded_number_in_all() -> None:
    with ExitStack() as held:
        for index in range(MAX_DRY_RUNS):
            held.enter_context(dry_run._slot(user(100 + index)))
        with pytest.raises(Conflict, match="as many dry runs"), dry_run._slot(user(999)):
            pass
    assert dry_run._running == {}
