"""Decimal budgets over HTTP: a grant approved with ``grant_budget`` 0.3 (a JSON float) pays
exactly three ``count(epsilon=0.1)`` calls of a real job, and the fourth is refused with both
amounts in the decimals they were written in.
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from sandbox.ledger import SqlLedger
from sandbox.policies.budget import PrivacyCost
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

FOUR_TENTHS = '''"""Four counts of epsilon 0.1 on a grant of 0.3."""


def run(ctx):
    people = ctx.dataset("dec_cond")
    first = people.count(epsilon=0.1)
    second = people.count(epsilon=0.1)
    third = people.count(epsilon=0.1)
    ctx.log("three counts released")
    fourth = people.count(epsilon=0.1)
    return {"counts": [first, second, third, fourth]}
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {"dec_cond": "conditional"})
    made.grants["tenths"] = grant(made, "user", ["dec_cond"], grant_budget=0.3)["ref"]
    return made


def test_a_grant_of_0_3_pays_exactly_three_counts_of_0_1(world: World) -> None:
    ref = world.grants["tenths"]
    platform = world.server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        assert ledger.account("dec_cond", ref).limit.loss == Fraction(3, 10)
        with world.api("user") as api:
            job = api.submit_job(["dec_cond"], source=FOUR_TENTHS)
            done = api.wait_for_job(job["id"], timeout=120)
        assert done["state"] == "failed", done
        assert done["progress"]["dp_calls"] == 3
        assert done["progress"]["failure"]["exception"] == "DPError"
        assert done["progress"]["refusals"] == [{"call": "count", "reason": "budget"}]
        charges = ledger.charges(grant=ref)
        assert [c.cost for c in charges] == [PrivacyCost(Fraction(1, 10))] * 3
        assert ledger.account("dec_cond", ref).remaining.loss == 0
        with world.api("reviewer") as api:
            errors = api.get_job(int(job["id"]))["errors"]
        assert len(errors) == 1 and "DPError" in errors[0], errors
        # The grant keeps the policy's delta, untouched by pure counts.
        assert re.search(
            r"it asks for epsilon 0\.1 and epsilon 0(, delta 0\.0*1)? remains", errors[0]
        ), errors
    finally:
        platform.close()
