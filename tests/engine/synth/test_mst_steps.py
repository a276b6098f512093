"""MST's steps one by one: the public domain, the marginals, the plan's exact costs, the tree
chosen on data of a known structure, and the synthetic marginals at a large budget."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from sandbox.catalog.dictionary import DataDictionary
from sandbox.engine.shape import Shape
from sandbox.engine.synth.counts import JointCounts, marginal
from sandbox.engine.synth.domain import Attribute, SynthDomain, synth_domain
from sandbox.engine.synth.measure import plan_measurements, run_measurements, selection_scores
from sandbox.engine.synth.mst import run_mst
from sandbox.engine.synth.utility import utility_report
from sandbox.engine.validation import InvalidQuery
from sandbox.policies.budget import Accounting

DICTIONARY = DataDictionary.from_list(
    [
        {"name": "pid", "type": "string", "classification": "identifier"},
        {"name": "kids", "type": "int64", "classification": "public", "lower": 0, "upper": 4},
        {"name": "age", "type": "int64", "classification": "public", "lower": 0, "upper": 99},
        {"name": "score", "type": "float64", "classification": "sensitive"},
        {"name": "sex", "type": "string", "classification": "public", "categories": ["f", "m"]},
        {"name": "smoker", "type": "bool", "classification": "public"},
    ]
)


def test_the_domain_is_public_and_numeric_bins_decode_inside_them() -> None:
    domain = synth_domain(
        DICTIONARY, Shape(), ["kids", "age", "score", "sex", "smoker"], 5, {"score": [0, 1]}
    )
    kids, age, score, sex, smoker = domain.attributes
    assert kids.size == 5 and kids.integer  # one bin per integer 0..4
    assert age.edges == (0.0, 19.8, 39.6, 59.400000000000006, 79.2, 99.0) and age.integer
    assert score.edges is not None and not score.integer and score.size == 5
    assert sex.values == ("f", "m") and smoker.values == (False, True)
    rng = np.random.default_rng(3)
    codes = np.repeat(np.arange(5), 200)
    assert sorted(set(kids.decode(codes, rng))) == [0, 1, 2, 3, 4]
    ages = np.asarray(age.decode(codes, rng))
    for code in range(5):
        drawn = ages[codes == code]
        assert drawn.min() >= np.ceil(age.edges[code])
        assert drawn.max() <= (99 if code == 4 else np.ceil(age.edges[code + 1]) - 1)
    scores = np.asarray(score.decode(codes, rng))
    assert ((scores >= 0) & (scores <= 1)).all()
    assert synth_domain(DICTIONARY, Shape(), ["age", "score"], 64, {"score": [0, 1]}).shape == (
        64,
        64,
    )
    # Many columns are fine (the joint is kept sparse); one pair's table is bounded.
    many = DataDictionary.from_list(
        [
            {"name": f"c{i}", "type": "int64", "classification": "public"}
            | {"lower": 0, "upper": 1000}
            for i in range(16)
        ]
        + [
            {"name": name, "type": "string", "classification": "public"}
            | {"categories": [f"v{i}" for i in range(1024)]}
            for name in ("big", "big2")
        ]
    )
    assert len(synth_domain(many, Shape(), [f"c{i}" for i in range(16)], 64).shape) == 16
    with pytest.raises(InvalidQuery, match="joint table would have"):
        synth_domain(many, Shape(), ["big", "big2"], 64)


def test_marginals_are_sums_of_the_joint_in_the_order_asked() -> None:
    dense = np.random.default_rng(1).integers(0, 9, size=(2, 3, 4))
    joint = JointCounts.from_dense(dense)
    assert len(joint.counts) == int(np.count_nonzero(dense))
    assert (marginal(joint, (1,)) == dense.sum(axis=(0, 2))).all()
    assert (marginal(joint, (0, 2)) == dense.sum(axis=1).reshape(-1)).all()
    assert (marginal(joint, (2, 0)) == dense.sum(axis=1).T.reshape(-1)).all()


@pytest.mark.parametrize("accounting", [Accounting.PURE, Accounting.ZCDP])
@pytest.mark.parametrize("columns", [1, 2, 5])
def test_the_plan_charges_its_budget_exactly_and_covers_every_map(
    accounting: Accounting, columns: int
) -> None:
    budget = Fraction(7, 10)
    plan = plan_measurements(accounting, budget, columns, 3)
    assert plan.cost.loss == budget and plan.cost.delta == 0
    assert plan.map_loss <= plan.cost
    assert sum(plan.shares().values()) == budget
    if columns > 1:  # MST's thirds
        assert set(plan.shares().values()) == {budget / 3}


def test_noise_scales_with_the_rows_each_unit_contributes() -> None:
    for accounting in (Accounting.PURE, Accounting.ZCDP):
        one = plan_measurements(accounting, Fraction(1), 3, 1)
        four = plan_measurements(accounting, Fraction(1), 3, 4)
        assert four.one_way.scale == pytest.approx(4 * one.one_way.scale, rel=1e-6)
        assert four.two_way is not None and one.two_way is not None
        assert four.two_way.scale == pytest.approx(4 * one.two_way.scale, rel=1e-6)
        assert four.select is not None and one.select is not None
        assert four.select.scale == pytest.approx(4 * one.select.scale, rel=1e-6)


def structured_joint(rows: int = 40_000, seed: int = 2) -> tuple[SynthDomain, JointCounts]:
    """a -> b strongly, c -> d strongly, the pairs independent of each other."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, rows)
    b = np.where(rng.random(rows) < 0.9, a, rng.integers(0, 4, rows))
    c = rng.integers(0, 3, rows)
    d = np.where(rng.random(rows) < 0.85, c % 2, 1 - c % 2)
    joint = np.zeros((4, 4, 3, 2), dtype=np.int64)
    np.add.at(joint, (a, b, c, d), 1)
    domain = SynthDomain(
        (
            Attribute("a", "a", tuple("wxyz")),
            Attribute("b", "b", tuple("WXYZ")),
            Attribute("c", "c", ("p", "q", "r")),
            Attribute("d", "d", (False, True)),
        ),
        (),
    )
    return domain, JointCounts.from_dense(joint)


def tvd(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p / p.sum() - q / q.sum()).sum())


@pytest.mark.parametrize("accounting", [Accounting.PURE, Accounting.ZCDP])
def test_the_tree_joins_the_dependent_pairs_at_a_large_budget(accounting: Accounting) -> None:
    domain, joint = structured_joint()
    plan = plan_measurements(accounting, Fraction(30), 4, 1)
    measured = run_measurements(plan, joint)
    edges = {s.chosen for s in measured.tree}
    assert (0, 1) in edges and (2, 3) in edges and len(edges) == 3
    scores = selection_scores(joint, measured.one_way)
    assert scores[(0, 1)] > 10 * scores[(0, 2)]  # dependence shows in the scores


def test_synthetic_marginals_are_close_at_a_large_budget() -> None:
    domain, joint = structured_joint()
    plan = plan_measurements(Accounting.ZCDP, Fraction(50), 4, 1)
    output = run_mst(domain, plan, joint, rows=10_000, iterations=500)
    table = output.table
    assert table.num_rows == 10_000
    codes = [
        np.asarray([a.values.index(v) for v in table[a.name].to_pylist()])  # type: ignore[union-attr]
        for a in domain.attributes
    ]
    for axes in [(i,) for i in range(4)] + list(itertools.combinations(range(4), 2)):
        sizes = [joint.shape[i] for i in axes]
        synthetic = np.bincount(
            np.ravel_multi_index([codes[i] for i in axes], sizes), minlength=int(np.prod(sizes))
        )
        assert tvd(synthetic.astype(float), marginal(joint, axes).astype(float)) < 0.05, axes
    # The utility report compares with the noisy marginals it was fitted to.
    assert output.utility == utility_report(domain, output.measured.marginals, codes)
    assert output.utility["max_total_variation"] < 0.05
    assert len(output.utility["marginals"]) == 4 + 3


def test_at_a_small_budget_the_utility_report_says_the_fit_is_loose() -> None:
    domain, joint = structured_joint(rows=300)
    plan = plan_measurements(Accounting.ZCDP, Fraction(1, 200), 4, 1)
    output = run_mst(domain, plan, joint, rows=300, iterations=200)
    assert output.table.num_rows == 300
    assert output.utility["max_total_variation"] > 0.02
