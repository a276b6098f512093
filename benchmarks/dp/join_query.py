"""The join query's contenders: two tables joined on the privacy unit, then a grouped sum.

*visits* (the people file: 1 to 5 rows per person, each with the person's district) and
*benefits* (0 to 3 records per person, an ``amount`` each; :func:`benchmarks.dp.data.
ensure_benefits`) are joined on ``person_id``; visits are truncated to ``JOIN_TRUNCATE[0]``
row per person (the person's district) and benefits to ``JOIN_TRUNCATE[1]`` rows before the
join, the joined rows bounded again to ``JOIN_BOUND`` per person after it (Tumult's
truncation semantics); then the sum of ``amount`` clipped to ``[AMOUNT_LOWER, AMOUNT_UPPER]``
per district (32 public keys), in one release at ``EPSILON``.

Answered by the exact floor (Polars, DuckDB), OpenDP's Polars API, Tumult Analytics and the
sandbox engine (:func:`engine_join_sum`, through the same platform path as its other
queries). Runners follow :mod:`benchmarks.dp.contenders`: setup, then the query as a
function returning ``{district: {"sum": s}}``.

**OpenDP 0.16 cannot join two private frames.** ``dp.Context.compositor`` takes one
LazyFrame, and a join in a query plan is refused when the measurement is built (``A step in
your query is not recognized at this time: "INNER JOIN ..."``); its only join is
``with_keys``, a left join of *public* keys onto released aggregates. So the OpenDP contender
joins in Polars *before* privatisation and gives OpenDP the joined rows with the same
identifier-level unit, truncating them to ``JOIN_BOUND`` rows per person itself
(``truncate_per_group``). That is the same guarantee: the join is on the privacy unit, so a
person's joined rows depend on that person's rows alone, and two inputs that differ in one
person's rows (in either table) give joined rows that differ in that person's rows only,
which is exactly the neighbouring relation OpenDP's identifier-level unit protects. The
per-side truncation of visits to one row per person is likewise per person. What OpenDP does
not see, and so does not account, is the join itself; its stability (1 in the identifier
metric) is argued here, not computed by OpenDP.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.dp.spec import (
    AMOUNT_LOWER,
    AMOUNT_UPPER,
    BENEFIT_ROWS_PER_PERSON,
    DISTRICTS,
    EPSILON,
    JOIN_BOUND,
    JOIN_TRUNCATE,
    SCHEMES,
    benefits_path,
)

Groups = dict[str, dict[str, float]]
Query = Callable[[], Groups]

BENEFITS = "dp_bench_benefits"
"""The engine's name of the benefits dataset."""


def _sums(rows: list[tuple[Any, Any]]) -> Groups:
    """Rows of (district, sum) as groups."""
    return {str(d): {"sum": float("nan") if s is None else float(s)} for d, s in rows}


# --- exact floor ---------------------------------------------------------------------------


def exact_polars(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """Exact sums with a lazy Polars plan: one row per person of visits, the join, the sum.

    Benefits are not truncated: the generated table has at most ``JOIN_TRUNCATE[1]``
    records per person, so truncation keeps them all (as the main query's floors do not
    bound rows per person, since no person has more than the bound).
    """
    import polars as pl

    benefits = str(benefits_path(data))
    timer.end_setup()

    def run() -> Groups:
        visits = pl.scan_parquet(data).select("person_id", "district").unique("person_id")
        amount = pl.col("amount").clip(AMOUNT_LOWER, AMOUNT_UPPER)
        out = (
            visits.join(pl.scan_parquet(benefits), on="person_id")
            .group_by("district")
            .agg(amount.sum().alias("sum"))
            .collect()
        )
        return _sums(out.select("district", "sum").rows())

    return run, "polars"


def exact_duckdb(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """Exact sums with DuckDB SQL over the two Parquet files."""
    import duckdb

    conn = duckdb.connect()
    benefits = str(benefits_path(data))
    timer.end_setup()
    sql = (
        f"SELECT v.district, sum(least(greatest(b.amount, {AMOUNT_LOWER}), {AMOUNT_UPPER})) "
        "FROM (SELECT DISTINCT person_id, district FROM read_parquet(?)) v "
        "JOIN read_parquet(?) b USING (person_id) GROUP BY v.district"
    )

    def run() -> Groups:
        return _sums(conn.execute(sql, [data, benefits]).fetchall())

    return run, "duckdb"


# --- DP libraries ----------------------------------------------------------------------------


def opendp_polars(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """OpenDP's Polars API over rows joined in Polars first (see the module docstring):
    ``truncate_per_group(JOIN_BOUND)`` by person after the join, a clipped sum per public
    district, pure DP. The measurement is resolved once in setup
    (:func:`benchmarks.dp.contenders.opendp_measurement`); each repetition is a new
    compositor's release, the join included.
    """
    import time

    import opendp.prelude as dp
    import polars as pl

    from benchmarks.dp.contenders import opendp_measurement

    dp.enable_features("contrib")
    benefits = str(benefits_path(data))
    keys = pl.LazyFrame({"district": list(DISTRICTS)})
    rows = pl.scan_parquet(benefits).select(pl.len()).collect().item()  # a public bound

    def context() -> Any:
        visits = pl.scan_parquet(data).select("person_id", "district").unique("person_id")
        return dp.Context.compositor(
            data=visits.join(pl.scan_parquet(benefits), on="person_id"),
            privacy_unit=dp.unit_of(contributions=1, identifier="person_id"),
            privacy_loss=dp.loss_of(epsilon=EPSILON),
            split_evenly_over=1,
            margins=[dp.polars.Margin(by=[], max_length=rows)],  # type: ignore[attr-defined]
        )

    def plan(ctx: Any) -> Any:
        amount = pl.col("amount").fill_null(0.0).fill_nan(0.0)
        return (
            ctx.query()
            .truncate_per_group(JOIN_BOUND)
            .group_by("district")
            .agg(amount.dp.sum((AMOUNT_LOWER, AMOUNT_UPPER)).alias("sum"))
            .with_keys(keys)
        )

    start = time.perf_counter()
    measurement = opendp_measurement(context, plan)
    search = time.perf_counter() - start
    timer.end_setup()

    def run() -> Groups:
        released = context()(measurement).collect()
        return _sums(released.select("district", "sum").rows())

    return run, (
        f"opendp, pure DP, joined in Polars before privatisation (no private join); "
        f"setup: noise-scale search {search:.1f} s"
    )


def tumult(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """Tumult Analytics: two private tables in one ID space, ``MaxRowsPerID`` on each side,
    ``join_private`` on ``person_id``, ``MaxRowsPerID(JOIN_BOUND)`` after the join, a sum
    per public district (a KeySet).
    """
    import atexit
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from tmlt.analytics import (
        AddRowsWithID,
        KeySet,
        MaxRowsPerID,
        PureDPBudget,
        QueryBuilder,
        Session,
    )

    spark = (
        SparkSession.builder.master("local[*]")
        .config("spark.driver.memory", os.environ.get("DP_BENCH_SPARK_MEMORY", "8g"))
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    atexit.register(spark.stop)
    benefits = str(benefits_path(data))
    timer.end_setup()
    left = QueryBuilder("visits").enforce(MaxRowsPerID(JOIN_TRUNCATE[0]))
    right = QueryBuilder("benefits").enforce(MaxRowsPerID(JOIN_TRUNCATE[1]))
    planned = (
        left.join_private(right, join_columns=["person_id"])
        .enforce(MaxRowsPerID(JOIN_BOUND))
        .groupby(KeySet.from_dict({"district": list(DISTRICTS)}))
        .sum("amount", AMOUNT_LOWER, AMOUNT_UPPER, name="sum")
    )

    def run() -> Groups:
        session = (
            Session.Builder()
            .with_privacy_budget(PureDPBudget(EPSILON))
            .with_id_space("persons")
            .with_private_dataframe(
                "visits",
                spark.read.parquet(data).select("person_id", "district"),
                protected_change=AddRowsWithID("person_id", "persons"),
            )
            .with_private_dataframe(
                "benefits",
                spark.read.parquet(benefits),
                protected_change=AddRowsWithID("person_id", "persons"),
            )
            .build()
        )
        frame = session.evaluate(planned, PureDPBudget(EPSILON)).toPandas()
        return _sums([tuple(r) for r in frame[["district", "sum"]].itertuples(index=False)])

    return run, "tmlt.analytics, join_private"


RUNNERS: dict[str, Callable[[str, Any, str], tuple[Query, str]]] = {
    "exact_polars": exact_polars,
    "exact_duckdb": exact_duckdb,
    "opendp_polars": opendp_polars,
    "tumult": tumult,
}
"""The library contenders that answer the join query, by the name :mod:`contenders` uses."""


# --- the exact answer (the harness, pyarrow) -------------------------------------------------


def exact_answer(data: Path) -> Groups:
    """The true sums, with pyarrow: visits' distinct (person, district), joined, summed."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    visits = (
        pq.read_table(data, columns=["person_id", "district"])
        .group_by("person_id")
        .aggregate([("district", "min")])
        .rename_columns(["person_id", "district"])
    )
    benefits = pq.read_table(benefits_path(data), columns=["person_id", "amount"])
    clipped = pc.min_element_wise(
        pc.max_element_wise(benefits["amount"], AMOUNT_LOWER), AMOUNT_UPPER
    )
    joined = visits.join(benefits.set_column(1, "amount", clipped), keys="person_id")
    out = joined.group_by("district").aggregate([("amount", "sum")])
    sums = dict(zip(out["district"].to_pylist(), out["amount_sum"].to_pylist(), strict=True))
    return {d: {"sum": float(sums.get(d, 0.0))} for d in DISTRICTS}


# --- the sandbox engine ----------------------------------------------------------------------


def benefits_metadata() -> dict[str, Any]:
    """Registration metadata of the benefits table (conditional, unit ``person_id``)."""
    return {
        "name": BENEFITS,
        "title": "DP benchmark: synthetic benefit records",
        "description": "Generated by benchmarks.dp.data; 0 to 3 records per person.",
        "open_attribute": "conditional",
        "open_conditions": "benchmark use",
        "update_frequency": "irregular",
        "contact": "bench@example.org",
        "privacy_unit": "person_id",
        "dictionary": [
            {
                "name": "person_id",
                "type": "int64",
                "classification": "identifier",
                "description": "pseudonymous person id",
                "nullable": False,
            },
            {
                "name": "scheme",
                "type": "string",
                "classification": "quasi_identifier",
                "description": "benefit scheme",
                "categories": list(SCHEMES),
                "nullable": False,
            },
            {
                "name": "amount",
                "type": "float64",
                "classification": "sensitive",
                "description": "amount paid",
                "lower": AMOUNT_LOWER,
                "upper": AMOUNT_UPPER,
                "nullable": False,
            },
        ],
    }


def register_benefits(platform: Any, provider: Any, data: Path) -> None:
    """Register the benefits table beside ``data`` as :data:`BENEFITS`."""
    from benchmarks.publication import publish
    from sandbox.catalog.parsing import parse_metadata
    from sandbox.datasets import registry

    metadata = parse_metadata(benefits_metadata())
    registry.register_dataset(
        platform,
        provider,
        metadata,
        registry.DataSource(path=str(benefits_path(data).resolve())),
    )
    publish(platform, metadata.name)


def engine_joined(engine: Any, visits: str) -> Any:
    """The joined handle: ``visits.join(benefits, on="person_id", truncate=[1, 3],
    bound=3)``.
    """
    return engine.dataset(visits).join(
        engine.dataset(BENEFITS),
        on="person_id",
        truncate=list(JOIN_TRUNCATE),
        bound=JOIN_BOUND,
    )


def engine_join_sum(engine: Any, visits: str) -> Groups:
    """The join query through the engine's DP handle: one joint release of the sum at
    ``EPSILON`` (``agg(["sum"])``: the whole budget on one measurement of the one-sided
    sums; the plain ``sum()`` call spends a quarter of its budget on a count besides).
    """
    released = (
        engine_joined(engine, visits)
        .group_by("district")
        .agg(["sum"], column="amount", lower=AMOUNT_LOWER, upper=AMOUNT_UPPER, epsilon=EPSILON)
    )
    rows = {str(row["district"]): row for row in released.rows()}
    return {d: {"sum": float(rows[d]["sum"]) if d in rows else float("nan")} for d in DISTRICTS}


assert BENEFIT_ROWS_PER_PERSON == JOIN_TRUNCATE[1], "benefits are generated within the bound"
