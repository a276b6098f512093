"""The contenders of the shaped queries: a filtered grouped count and a two-key crosstab.

``filtered``: rows with ``age >= ELDERLY_AGE``, counted per district; ``crosstab``: rows per
district and age band (a key derived from ``age`` with the public edges ``AGE_EDGES``). Both
at epsilon ``EPSILON`` in one release, each person bounded to ``MAX_ROWS_PER_PERSON`` rows,
the groups public (32, or 32 x 3). Answered by the exact floor (Polars, DuckDB), OpenDP's
Polars API and Tumult Analytics; the sandbox engine's runs are in
:mod:`benchmarks.dp.sandbox_engine`. Runners follow :mod:`benchmarks.dp.contenders`: setup,
then the query as a function, groups as ``{label: {"count": n}}`` (:func:`group_label`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.dp.spec import (
    AGE_BANDS,
    AGE_EDGES,
    DISTRICTS,
    ELDERLY_AGE,
    EPSILON,
    MAX_ROWS_PER_PERSON,
    group_label,
)

Groups = dict[str, dict[str, float]]
Query = Callable[[], Groups]


def _counts(rows: list[tuple[Any, ...]]) -> Groups:
    """Rows of (district, count) or (district, band, count) as groups."""
    out: Groups = {}
    for row in rows:
        *key, count = row
        label = group_label(str(key[0]), str(key[1]) if len(key) > 1 else None)
        out[label] = {"count": float("nan") if count is None else float(count)}
    return out


def exact_polars(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """Exact counts with a lazy Polars scan."""
    import polars as pl

    timer.end_setup()

    def run() -> Groups:
        frame = pl.scan_parquet(data)
        if query == "filtered":
            out = (
                frame.filter(pl.col("age") >= ELDERLY_AGE)
                .group_by("district")
                .agg(pl.len().alias("count"))
            )
            return _counts(out.collect().select("district", "count").rows())
        band = (
            pl.col("age")
            .cut(list(AGE_EDGES[1:-1]), labels=list(AGE_BANDS), left_closed=True)
            .cast(pl.String)
            .alias("band")
        )
        out = frame.with_columns(band).group_by("district", "band").agg(pl.len().alias("count"))
        return _counts(out.collect().select("district", "band", "count").rows())

    return run, "polars"


def exact_duckdb(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """Exact counts with DuckDB SQL over the Parquet file."""
    import duckdb

    conn = duckdb.connect()
    timer.end_setup()
    low, high = AGE_EDGES[1], AGE_EDGES[2]
    band = (
        f"CASE WHEN age < {low} THEN '{AGE_BANDS[0]}' WHEN age < {high} THEN "
        f"'{AGE_BANDS[1]}' ELSE '{AGE_BANDS[2]}' END"
    )
    sql = (
        f"SELECT district, count(*) FROM read_parquet(?) WHERE age >= {ELDERLY_AGE} "
        "GROUP BY district"
        if query == "filtered"
        else f"SELECT district, {band} AS band, count(*) FROM read_parquet(?) GROUP BY 1, 2"
    )

    def run() -> Groups:
        return _counts(conn.execute(sql, [data]).fetchall())

    return run, "duckdb"


def opendp_polars(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """OpenDP's Polars API: truncation to 5 rows per person, then the filter or the derived
    band (``cut``), then a count per public group, pure DP. The measurement is resolved once
    in setup (:func:`benchmarks.dp.contenders.opendp_measurement`: the noise-scale search);
    each repetition is a new compositor's release.
    """
    import time

    import opendp.prelude as dp
    import polars as pl

    from benchmarks.dp.contenders import opendp_measurement

    dp.enable_features("contrib")
    if query == "filtered":
        keys = pl.LazyFrame({"district": list(DISTRICTS)})
        by = ["district"]
    else:
        keys = pl.LazyFrame(
            {
                "district": [d for d in DISTRICTS for _ in AGE_BANDS],
                "band": [b for _ in DISTRICTS for b in AGE_BANDS],
            }
        )
        by = ["district", "band"]
    rows = pl.scan_parquet(data).select(pl.len()).collect().item()  # a public bound

    def context() -> Any:
        return dp.Context.compositor(
            data=pl.scan_parquet(data),
            privacy_unit=dp.unit_of(contributions=1, identifier="person_id"),
            privacy_loss=dp.loss_of(epsilon=EPSILON),
            split_evenly_over=1,
            margins=[dp.polars.Margin(by=[], max_length=rows)],  # type: ignore[attr-defined]
        )

    def plan(ctx: Any) -> Any:
        planned = ctx.query().truncate_per_group(MAX_ROWS_PER_PERSON)
        if query == "filtered":
            planned = planned.filter(pl.col("age") >= ELDERLY_AGE)
        else:
            planned = planned.with_columns(
                pl.col("age")
                .cut(list(AGE_EDGES[1:-1]), labels=list(AGE_BANDS), left_closed=True)
                .cast(pl.String)
                .alias("band")
            )
        return (
            planned.group_by(by)
            .agg(
                dp.len(signed=True).alias("count")  # type: ignore[attr-defined]
            )
            .with_keys(keys)
        )

    start = time.perf_counter()
    measurement = opendp_measurement(context, plan)
    search = time.perf_counter() - start
    timer.end_setup()

    def run() -> Groups:
        released = context()(measurement).collect()
        return _counts(released.select(*by, "count").rows())

    return run, f"opendp, pure DP; setup: noise-scale search {search:.1f} s"


def tumult(data: str, timer: Any, query: str) -> tuple[Query, str]:
    """Tumult Analytics on local Spark: ``MaxRowsPerID(5)``, then ``filter`` or
    ``bin_column``, then a count per public group (a KeySet).
    """
    import atexit
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from tmlt.analytics import (
        AddRowsWithID,
        BinningSpec,
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
    timer.end_setup()
    bounded = QueryBuilder("people").enforce(MaxRowsPerID(MAX_ROWS_PER_PERSON))
    if query == "filtered":
        planned = (
            bounded.filter(f"age >= {ELDERLY_AGE}")
            .groupby(KeySet.from_dict({"district": list(DISTRICTS)}))
            .count(name="count")
        )
        by = ["district"]
    else:
        spec = BinningSpec(bin_edges=list(AGE_EDGES), names=list(AGE_BANDS), right=False)
        planned = (
            bounded.bin_column("age", spec, name="band")
            .groupby(KeySet.from_dict({"district": list(DISTRICTS), "band": list(AGE_BANDS)}))
            .count(name="count")
        )
        by = ["district", "band"]

    def run() -> Groups:
        session = Session.from_dataframe(
            privacy_budget=PureDPBudget(EPSILON),
            source_id="people",
            dataframe=spark.read.parquet(data),
            protected_change=AddRowsWithID("person_id"),
        )
        frame = session.evaluate(planned, PureDPBudget(EPSILON)).toPandas()
        return _counts([tuple(r) for r in frame[[*by, "count"]].itertuples(index=False)])

    return run, "tmlt.analytics"


RUNNERS: dict[str, Callable[[str, Any, str], tuple[Query, str]]] = {
    "exact_polars": exact_polars,
    "exact_duckdb": exact_duckdb,
    "opendp_polars": opendp_polars,
    "tumult": tumult,
}
"""The contenders that answer the shaped queries, by the name :mod:`contenders` uses."""
