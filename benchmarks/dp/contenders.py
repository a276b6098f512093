"""The library contenders; each runs alone in a subprocess, in its own virtualenv.

Usage (by the harness): ``python -m benchmarks.dp.contenders NAME --data FILE``; prints one
JSON line (see :func:`benchmarks.dp.spec.emit`) with ``setup_seconds`` (imports, sessions,
loading into an engine that needs it), ``query_seconds`` (reading the Parquet file through to
the released numbers), ``peak_mb`` and ``groups`` (district -> count, sum, mean).

Each runner imports its library inside the function: a virtualenv holds only its own
contender's packages.
"""

from __future__ import annotations

import argparse
import math
import time
import traceback
from collections.abc import Callable
from typing import Any

from benchmarks.dp.spec import (
    DISTRICTS,
    EPSILON,
    INCOME_LOWER,
    INCOME_UPPER,
    MAX_ROWS_PER_PERSON,
    emit,
    peak_rss_mb,
)

Groups = dict[str, dict[str, float]]
"""district -> {"count": ..., "sum": ..., "mean": ...}."""


class Timer:
    """Seconds since the last mark, split into setup and query."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.setup = 0.0
        self.query: float | None = None

    def end_setup(self) -> None:
        """Everything so far was one-off setup; the query starts now."""
        now = time.perf_counter()
        self.setup += now - self.start
        self.start = now

    def end_query(self) -> None:
        """The released numbers are in hand (what follows is teardown); idempotent."""
        if self.query is None:
            self.query = time.perf_counter() - self.start


def _groups(rows: list[tuple[Any, Any, Any, Any]]) -> Groups:
    """Rows of (district, count, sum, mean) as the result mapping."""
    return {
        str(d): {"count": _num(c), "sum": _num(s), "mean": _num(m)} for d, c, s, m in rows
    }


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


# --- exact (non-private) floor ---------------------------------------------------------------


def exact_pyarrow(data: str, timer: Timer) -> tuple[Groups, str]:
    """Exact answer with pyarrow compute."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    timer.end_setup()
    table = pq.read_table(data, columns=["district", "income"])
    clipped = pc.min_element_wise(pc.max_element_wise(table["income"], INCOME_LOWER),
                                  INCOME_UPPER)
    table = table.set_column(1, "income", clipped)
    out = table.group_by("district").aggregate(
        [([], "count_all"), ("income", "sum"), ("income", "mean")]
    )
    cols = [out[n].to_pylist() for n in ("district", "count_all", "income_sum", "income_mean")]
    return _groups(list(zip(*cols, strict=True))), "pyarrow " + _version("pyarrow")


def exact_polars(data: str, timer: Timer) -> tuple[Groups, str]:
    """Exact answer with a lazy Polars scan."""
    import polars as pl

    timer.end_setup()
    income = pl.col("income").clip(INCOME_LOWER, INCOME_UPPER)
    out = (
        pl.scan_parquet(data)
        .group_by("district")
        .agg(pl.len().alias("count"), income.sum().alias("sum"), income.mean().alias("mean"))
        .collect()
    )
    return _groups(out.rows()), "polars " + _version("polars")


def exact_duckdb(data: str, timer: Timer) -> tuple[Groups, str]:
    """Exact answer with DuckDB SQL over the Parquet file."""
    import duckdb

    conn = duckdb.connect()
    timer.end_setup()
    clipped = f"least(greatest(income, {INCOME_LOWER}), {INCOME_UPPER})"
    rows = conn.execute(
        f"SELECT district, count(*), sum({clipped}), avg({clipped}) "
        "FROM read_parquet(?) GROUP BY district",
        [data],
    ).fetchall()
    return _groups(rows), "duckdb " + _version("duckdb")


# --- DP libraries ----------------------------------------------------------------------------


def opendp_polars(data: str, timer: Timer) -> tuple[Groups, str]:
    """OpenDP's Polars API: identifier-level privacy, truncation to 5 rows per person.

    One query releases the three statistics; OpenDP finds one noise scale for all of them
    such that the whole query costs ``EPSILON`` (pure DP, Laplace). The 32 districts are
    public keys (a join against the public key set).
    """
    import opendp.prelude as dp
    import polars as pl

    dp.enable_features("contrib")
    timer.end_setup()
    lf = pl.scan_parquet(data)
    rows = lf.select(pl.len()).collect().item()  # a public bound on group size is required
    context = dp.Context.compositor(
        data=lf,
        privacy_unit=dp.unit_of(contributions=1, identifier="person_id"),
        privacy_loss=dp.loss_of(epsilon=EPSILON),
        split_evenly_over=1,
        margins=[
            # opendp.prelude re-exports its polars helpers without __all__ (as its docs use them)
            dp.polars.Margin(by=[], max_length=rows),  # type: ignore[attr-defined]
            dp.polars.Margin(  # type: ignore[attr-defined]
                by=["district"], max_length=rows, max_groups=len(DISTRICTS)),
        ],
    )
    income = pl.col("income").fill_null(0.0).fill_nan(0.0)
    bounds = (INCOME_LOWER, INCOME_UPPER)
    query = (
        context.query()
        .truncate_per_group(MAX_ROWS_PER_PERSON)
        .group_by("district")
        .agg(
            dp.len(signed=True).alias("count"),  # type: ignore[attr-defined]
            income.dp.sum(bounds).alias("sum"),
            income.dp.mean(bounds).alias("mean"),
        )
        .with_keys(pl.LazyFrame({"district": list(DISTRICTS)}))
    )
    out = query.release().collect()
    out = out.select("district", "count", "sum", "mean")
    return _groups(out.rows()), "opendp " + _version("opendp") + ", pure DP"


def tumult(data: str, timer: Timer) -> tuple[Groups, str]:
    """Tumult Analytics on local Spark: three queries of ``EPSILON / 3`` each.

    ``AddRowsWithID("person_id")`` protects whole persons; ``MaxRowsPerID(5)`` truncates.
    """
    import os
    import sys

    # Spark's Python workers must use this virtualenv's interpreter, not the first on PATH.
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
    timer.end_setup()
    frame = spark.read.parquet(data)
    session = Session.from_dataframe(
        privacy_budget=PureDPBudget(EPSILON),
        source_id="people",
        dataframe=frame,
        protected_change=AddRowsWithID("person_id"),
    )
    keys = KeySet.from_dict({"district": list(DISTRICTS)})
    share = PureDPBudget(EPSILON / 3)

    def grouped() -> Any:
        return QueryBuilder("people").enforce(MaxRowsPerID(MAX_ROWS_PER_PERSON)).groupby(keys)

    counts = session.evaluate(grouped().count(name="v"), share).toPandas()
    sums = session.evaluate(
        grouped().sum("income", INCOME_LOWER, INCOME_UPPER, name="v"), share
    ).toPandas()
    means = session.evaluate(
        grouped().average("income", INCOME_LOWER, INCOME_UPPER, name="v"), share
    ).toPandas()
    values = [dict(zip(f["district"], f["v"], strict=True)) for f in (counts, sums, means)]
    rows = [(d, values[0].get(d), values[1].get(d), values[2].get(d)) for d in DISTRICTS]
    timer.end_query()
    note = f"tmlt.analytics {_version('tmlt.analytics')}, pyspark {_version('pyspark')}"
    spark.stop()
    return _groups(rows), note + ", 3 queries of eps/3"


def smartnoise(data: str, timer: Timer) -> tuple[Groups, str]:
    """SmartNoise SQL on its pandas engine (the data are loaded into in-memory SQLite).

    ``max_ids: 5`` bounds rows per person (reservoir sampling); dimension censoring is off
    because the keys are public. The per-column epsilon is set so that the query's total
    cost, as SmartNoise accounts it, is ``EPSILON``.
    """
    import pyarrow.parquet as pq
    import snsql

    table_meta = {
        "row_privacy": False,
        "max_ids": MAX_ROWS_PER_PERSON,
        "sample_max_ids": True,
        "censor_dims": False,
        "rows": 0,  # filled in below
        "person_id": {"type": "int", "private_id": True},
        "district": {"type": "string"},
        "income": {"type": "float", "lower": INCOME_LOWER, "upper": INCOME_UPPER},
    }
    sql = (
        "SELECT district, COUNT(*) AS n, SUM(income) AS s, AVG(income) AS m "
        "FROM bench.people GROUP BY district"
    )
    frame = pq.read_table(data).to_pandas()
    table_meta["rows"] = len(frame)
    metadata = {"bench": {"bench": {"people": table_meta}}}
    probe = snsql.from_df(frame.head(10), privacy=snsql.Privacy(epsilon=1.0, delta=0),
                          metadata=metadata)
    cost, _ = probe.get_privacy_cost(sql)
    per_column = EPSILON / cost  # cost of epsilon 1 per column -> scale to EPSILON in total
    reader = snsql.from_df(frame, privacy=snsql.Privacy(epsilon=per_column, delta=0),
                           metadata=metadata)
    del frame
    timer.end_setup()
    out = reader.execute(sql)
    header, rows = out[0], out[1:]
    idx = [header.index(c) for c in ("district", "n", "s", "m")]
    note = (f"smartnoise-sql {_version('smartnoise-sql')}, eps {per_column:.3g} per column; "
            "setup loads the data into SQLite")
    return _groups([tuple(r[i] for i in idx) for r in rows]), note


def pipelinedp(data: str, timer: Timer) -> tuple[Groups, str]:
    """PipelineDP on its local (pure Python) backend, public partitions.

    ``max_contributions=5`` bounds rows per person across all districts; one aggregation
    releases COUNT, SUM and MEAN with the budget accountant's total ``EPSILON`` (Laplace).
    """
    import pipeline_dp
    import pyarrow.parquet as pq

    timer.end_setup()
    table = pq.read_table(data, columns=["person_id", "district", "income"])
    rows = zip(table["person_id"].to_numpy(), table["district"].to_pylist(),
               table["income"].to_numpy(), strict=True)
    accountant = pipeline_dp.NaiveBudgetAccountant(total_epsilon=EPSILON, total_delta=0)
    engine = pipeline_dp.DPEngine(accountant, pipeline_dp.LocalBackend())
    params = pipeline_dp.AggregateParams(
        metrics=[pipeline_dp.Metrics.COUNT, pipeline_dp.Metrics.SUM, pipeline_dp.Metrics.MEAN],
        noise_kind=pipeline_dp.NoiseKind.LAPLACE,
        max_contributions=MAX_ROWS_PER_PERSON,
        min_value=INCOME_LOWER,
        max_value=INCOME_UPPER,
    )
    extractors = pipeline_dp.DataExtractors(
        privacy_id_extractor=lambda r: r[0],
        partition_extractor=lambda r: r[1],
        value_extractor=lambda r: r[2],
    )
    result = engine.aggregate(rows, params, extractors, public_partitions=list(DISTRICTS))
    accountant.compute_budgets()
    out = [(d, m.count, m.sum, m.mean) for d, m in result]
    return _groups(out), f"pipeline-dp {_version('pipeline-dp')}, local backend"


# --- plumbing --------------------------------------------------------------------------------


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


RUNNERS: dict[str, Callable[[str, Timer], tuple[Groups, str]]] = {
    "exact_pyarrow": exact_pyarrow,
    "exact_polars": exact_polars,
    "exact_duckdb": exact_duckdb,
    "opendp_polars": opendp_polars,
    "tumult": tumult,
    "smartnoise": smartnoise,
    "pipelinedp": pipelinedp,
}


def run(name: str, data: str) -> dict[str, Any]:
    """Run one contender and return what :func:`emit` prints."""
    timer = Timer()
    try:
        groups, notes = RUNNERS[name](data, timer)
        timer.end_query()
    except ImportError as exc:
        return {"ok": False, "status": "unavailable", "error": f"{type(exc).__name__}: {exc}",
                "peak_mb": peak_rss_mb()}
    except Exception as exc:  # report any library failure as this contender's result
        return {"ok": False, "status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=8), "peak_mb": peak_rss_mb()}
    bad = [d for d, g in groups.items() if not all(math.isfinite(v) for v in g.values())]
    if bad:
        notes += f"; non-finite values in {len(bad)} groups"
    return {"ok": True, "setup_seconds": timer.setup, "query_seconds": timer.query,
            "peak_mb": peak_rss_mb(), "groups": groups, "notes": notes}


def main() -> None:
    """Command line: run one contender on one file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=sorted(RUNNERS))
    parser.add_argument("--data", required=True, help="the Parquet file")
    args = parser.parse_args()
    emit(run(args.name, args.data))


if __name__ == "__main__":
    main()
