"""``handle.synthesize``: charged before computing, exactly, refused cleanly, reported."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from sandbox.disclosure.rules.dp import ReleaseSummary
from sandbox.engine import QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.synth import release
from sandbox.engine.synth.mst import MAX_ROWS
from sandbox.engine.synth.release import most_rows, plan_synthesis
from sandbox.engine.validation import InvalidQuery
from sandbox.errors import SandboxError
from sandbox.ledger import ChargeStatus, InMemoryLedger
from sandbox.policies.budget import Accounting, BudgetExhausted
from tests.engine.conftest import Census
from tests.support.factories import GRANT, charge_events, make_policy, new_ledger


def engine_for(census: Census, ledger: InMemoryLedger, **policy: object) -> QueryEngine:
    return QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(**policy),  # type: ignore[arg-type]
        actor=census.user,
        pool=LocalTaskPool(),
    )


def test_a_synthetic_table_is_charged_exactly_once_and_released(census: Census) -> None:
    ledger = new_ledger(accounting=Accounting.ZCDP)
    data = engine_for(census, ledger, accounting=Accounting.ZCDP, unit="pid").dataset("census")
    release = data.synthesize(
        ["district", "employed", "age"], rows=500, epsilon=1, bins=6, bounds={"age": [18, 77]}
    )
    [charge] = ledger.charges()
    assert charge.status is ChargeStatus.RELEASED and charge.call == "synthesize"
    # zCDP: rho = epsilon^2 / 2, split in exact thirds that add up to it.
    assert release.report.cost.loss == Fraction(1, 2) == charge.cost.loss
    assert sum(release.report.plan.shares().values()) == Fraction(1, 2)
    assert release.report.plan.map_loss <= release.report.cost
    assert charge_events(ledger) == ["budget.charge:ok", "budget.release:ok"]
    table = release.table
    assert table.num_rows == 500 and table.column_names == ["district", "employed", "age"]
    assert set(table["district"].to_pylist()) <= {"North", "South", "East", "West"}
    ages = table["age"].to_pylist()
    assert all(isinstance(a, int) for a in ages)
    report = release.report.to_dict()
    assert report["operation"] == "synthesize" and report["rows_per_unit"] == 3
    assert report["accounting"] == "zcdp" and report["rho"] == 0.5 and report["delta"] == 0.0
    assert [b["column"] for b in report["bins"]] == ["district", "employed", "age"]
    assert len(report["tree"]) == 2 and report["utility"]["marginals"]
    # The output checks read the report back like any DP release's.
    summary = ReleaseSummary.from_dict(report)
    assert summary.operation == "synthesize" and summary.charged == "rho 0.5"
    value = release.value
    assert len(value["rows"]) == 500 and value["utility"] == report["utility"]


def test_after_where_and_a_derived_column(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, unit="pid", cap="20").dataset("census")
    shaped = data.where(["district", "in", ["North", "South"]]).bin(
        "income", [0, 40_000, 100_000], name="band"
    )
    release = shaped.synthesize(["district", "band"], rows=300, epsilon=20)
    districts = set(release.table["district"].to_pylist())
    assert districts <= {"North", "South", "East", "West"}
    # At epsilon 20 the filter's effect shows: East and West are (almost) absent.
    share = sum(d in ("North", "South") for d in release.table["district"].to_pylist()) / 300
    assert share > 0.9
    assert set(release.table["band"].to_pylist()) <= {"[0, 40000)", "[40000, 100000]"}
    assert "where district" in ledger.charges()[0].purpose


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": [], "epsilon": 1}, "columns must be a non-empty list"),
        ({"columns": ["pid"], "epsilon": 1}, "identifier"),
        ({"columns": ["diagnosis"], "epsilon": 1}, "sensitive"),
        ({"columns": ["occupation"], "epsilon": 1}, "no declared categories"),
        ({"columns": ["income"], "epsilon": 1}, "no declared bounds"),
        ({"columns": ["age"], "epsilon": 1, "bounds": {"age": [1]}}, r"must be \[lower, upper\]"),
        ({"columns": ["age"], "epsilon": 1, "bounds": {"age": [5, 5]}}, "empty declared range"),
        ({"columns": ["district"], "epsilon": 1, "bounds": {"age": [0, 9]}}, "not synthesized"),
        ({"columns": ["nope"], "epsilon": 1}, "no column 'nope'"),
        ({"columns": ["district"], "epsilon": 1, "rows": 0}, "rows must be an integer"),
        ({"columns": ["district"], "epsilon": 1, "bins": 1}, "bins must be an integer"),
        ({"columns": ["district"]}, "epsilon"),
        ({"columns": ["district"], "epsilon": -1}, "epsilon"),
        ({"columns": ["district"], "epsilon": 1, "delta": 1e-6}, "spends no delta"),
        ({"columns": ["district", "district"], "epsilon": 1}, "named twice"),
    ],
)
def test_bad_arguments_are_refused_and_charge_nothing(
    census: Census, kwargs: dict[str, object], message: str
) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger).dataset("census")
    columns = kwargs.pop("columns")
    with pytest.raises(SandboxError, match=message) as caught:
        data.synthesize(columns, **kwargs)
    assert isinstance(caught.value, InvalidQuery)
    assert ledger.charges() == [] and charge_events(ledger) == []


def test_more_rows_than_an_answer_carries_are_refused_before_any_charge(
    census: Census, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger).dataset("census")
    columns = ["district", "employed"]
    domain = plan_synthesis(data, columns, None, 1, None, None).domain
    assert most_rows(domain) == MAX_ROWS  # two narrow columns: the default cap holds
    widened = replace(domain, attributes=domain.attributes * 40)
    assert most_rows(widened) < MAX_ROWS  # eighty columns: their records are too wide
    monkeypatch.setattr(release, "ANSWER_SHARE", 0.01)  # a narrow channel, for this test
    fits = most_rows(domain)
    with pytest.raises(InvalidQuery, match=f"ask for rows={fits} or fewer"):
        data.synthesize(columns, rows=fits + 1, epsilon=1)
    assert ledger.charges() == [] and charge_events(ledger) == []
    answer = data.synthesize(columns, epsilon=1)  # the default rows: capped, not refused
    assert len(answer.value["rows"]) <= fits


def test_budget_and_cap_refusals_charge_nothing(census: Census) -> None:
    small = new_ledger(grant_budget="0.5")
    data = engine_for(census, small).dataset("census")
    with pytest.raises(BudgetExhausted, match="grant"):
        data.synthesize(["district", "employed"], epsilon=0.6)
    assert small.charges() == [] and charge_events(small) == []

    lifetime = new_ledger(lifetime="0.2")
    with pytest.raises(BudgetExhausted, match="lifetime"):
        engine_for(census, lifetime).dataset("census").synthesize(["district"], epsilon=0.3)
    assert lifetime.charges() == []

    capped = new_ledger()
    with pytest.raises(BudgetExhausted, match="per-query cap"):
        engine_for(census, capped, cap="0.5").dataset("census").synthesize(["district"], epsilon=1)
    assert capped.charges() == [] and charge_events(capped) == []


def test_pure_dp_runs_mst_with_laplace_and_the_pure_exponential_mechanism(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, unit="pid").dataset("census")
    release = data.synthesize(["district", "employed"], epsilon=2)
    mechanisms = {m["part"]: m["mechanism"] for m in release.report.to_dict()["mechanisms"]}
    assert mechanisms == {
        "one_way": "discrete Laplace",
        "select": "report noisy min (exponential)",
        "two_way": "discrete Laplace",
    }
    assert ledger.charges()[0].cost.loss == 2
    # No rows asked: the noisy total (about the bounded row count).
    assert release.report.rows_from_noisy_total and release.table.num_rows > 1000


def test_a_channel_call_runs_through_the_broker_as_a_jobs_would(census: Census) -> None:
    """The wire form a model sends (ctx handle -> DPRequest) answered by the job broker's
    own function: plain JSON for the model, the report stored with the job."""
    import json

    from sandbox.jobs.broker import answer_of, release_of
    from sandbox.runtime.channel import DPCall, DPRequest

    ledger = new_ledger()
    engine = engine_for(census, ledger, unit="pid")
    request = DPRequest.from_message(
        DPRequest(
            call=DPCall.SYNTHESIZE,
            dataset="census",
            args={"columns": ["district", "band"], "rows": 50, "epsilon": 1},
            where=(["employed", "==", True],),
            derive=({"kind": "bin", "column": "age", "edges": [18, 40, 78], "name": "band"},),
        ).to_message()
    )
    release = release_of(engine, request, "test")
    answer = answer_of(release)
    assert json.loads(json.dumps(answer, allow_nan=False)) == answer
    assert len(answer["rows"]) == 50 and answer["columns"] == ["district", "band"]
    stored = release.report.to_dict()
    assert json.loads(json.dumps(stored, allow_nan=False)) == stored
    assert stored["shape"]["where"] is not None and ledger.charges()[0].cost.loss == 1
    # A refusal the model sees, charging nothing: synthesize after group_by is not a call.
    grouped = DPRequest(
        call=DPCall.SYNTHESIZE,
        dataset="census",
        args={"columns": ["district"], "epsilon": 1},
        group_by=("district",),
    )
    from sandbox.runtime.executor import BrokerRefusal

    with pytest.raises(BrokerRefusal, match="before group_by"):
        release_of(engine, grouped, "test")
    assert len(ledger.charges()) == 1
