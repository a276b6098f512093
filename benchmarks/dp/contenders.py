"""The library contenders; each runs alone in a subprocess, in its own virtualenv.

Usage (by the harness): ``python -m benchmarks.dp.contenders NAME --data FILE [--repeats R]``;
prints one JSON line per repetition (see :func:`benchmarks.dp.spec.emit`) with ``rep``,
``setup_seconds`` (imports, sessions, loading into an engine that needs it),
``query_seconds`` (the first repetition: reading the Parquet file through to the released
numbers), ``rep_seconds`` (this repetition), ``peak_mb`` and ``groups`` (district -> count,
sum, mean). A line is written as soon as its repetition is done, so a run stopped at its
cap still reports the repetitions it finished.

Each runner does its one-off setup, marks the end of setup, and returns the query as a
function: every call reads the data again and draws fresh noise (a new session, context or
accountant with the whole budget: one repetition is one independent release at epsilon 1).
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
Query = Callable[[], Groups]
"""One repetition of a contender's query."""


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
    return {str(d): {"count": _num(c), "sum": _num(s), "mean": _num(m)} for d, c, s, m in rows}


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


# --- exact (non-private) floor ---------------------------------------------------------------


def exact_pyarrow(data: str, timer: Timer) -> tuple[Query, str]:
    """Exact answer with pyarrow compute."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    timer.end_setup()

    def query() -> Groups:
        table = pq.read_table(data, columns=["district", "income"])
        clipped = pc.min_element_wise(
            pc.max_element_wise(table["income"], INCOME_LOWER), INCOME_UPPER
        )
        table = table.set_column(1, "income", clipped)
        out = table.group_by("district").aggregate(
            [([], "count_all"), ("income", "sum"), ("income", "mean")]
        )
        cols = [out[n].to_pylist() for n in ("district", "count_all", "income_sum", "income_mean")]
        return _groups(list(zip(*cols, strict=True)))

    return query, "pyarrow " + _version("pyarrow")


def exact_polars(data: str, timer: Timer) -> tuple[Query, str]:
    """Exact answer with a lazy Polars scan."""
    import polars as pl

    timer.end_setup()

    def query() -> Groups:
        income = pl.col("income").clip(INCOME_LOWER, INCOME_UPPER)
        out = (
            pl.scan_parquet(data)
            .group_by("district")
            .agg(pl.len().alias("count"), income.sum().alias("sum"), income.mean().alias("mean"))
            .collect()
        )
        return _groups(out.rows())

    return query, "polars " + _version("polars")


def exact_duckdb(data: str, timer: Timer) -> tuple[Query, str]:
    """Exact answer with DuckDB SQL over the Parquet file."""
    import duckdb

    conn = duckdb.connect()
    timer.end_setup()
    clipped = f"least(greatest(income, {INCOME_LOWER}), {INCOME_UPPER})"

    def query() -> Groups:
        rows = conn.execute(
            f"SELECT district, count(*), sum({clipped}), avg({clipped}) "
            "FROM read_parquet(?) GROUP BY district",
            [data],
        ).fetchall()
        return _groups(rows)

    return query, "duckdb " + _version("duckdb")


# --- DP libraries ----------------------------------------------------------------------------


def opendp_measurement(context: Callable[[], Any], plan: Callable[[Any], Any]) -> Any:
    """OpenDP's measurement of ``plan`` (a query of ``context()``), built once.

    OpenDP's Context API finds the noise scale for a privacy loss by bisection over its
    privacy map, every time a query is released: about a thousand constructions of the
    measurement (some 10 ms each), the bulk of a release at any data size. The scale depends
    only on public parameters (bounds, epsilon, margins), so the harness resolves the
    measurement once, in setup; each repetition then opens a new compositor with the whole
    budget and releases that measurement through it (``context()(measurement)``): OpenDP
    checks its privacy loss against the compositor's budget (a second release through the
    same compositor is refused) and draws fresh noise.
    """
    return plan(context()).resolve()


def opendp_polars(data: str, timer: Timer) -> tuple[Query, str]:
    """OpenDP's Polars API: identifier-level privacy, truncation to 5 rows per person.

    One query releases the three statistics; OpenDP finds one noise scale for all of them
    such that the whole query costs ``EPSILON`` (pure DP, Laplace). The 32 districts are
    public keys (a join against the public key set). The measurement is resolved once in
    setup (:func:`opendp_measurement`); each repetition is a new compositor's release.
    """
    import opendp.prelude as dp
    import polars as pl

    dp.enable_features("contrib")
    rows = pl.scan_parquet(data).select(pl.len()).collect().item()  # a public bound

    def context() -> Any:
        return dp.Context.compositor(
            data=pl.scan_parquet(data),
            privacy_unit=dp.unit_of(contributions=1, identifier="person_id"),
            privacy_loss=dp.loss_of(epsilon=EPSILON),
            split_evenly_over=1,
            margins=[
                # opendp.prelude re-exports its polars helpers without __all__ (as its docs
                # use them)
                dp.polars.Margin(by=[], max_length=rows),  # type: ignore[attr-defined]
                dp.polars.Margin(  # type: ignore[attr-defined]
                    by=["district"], max_length=rows, max_groups=len(DISTRICTS)
                ),
            ],
        )

    def plan(ctx: Any) -> Any:
        income = pl.col("income").fill_null(0.0).fill_nan(0.0)
        bounds = (INCOME_LOWER, INCOME_UPPER)
        return (
            ctx.query()
            .truncate_per_group(MAX_ROWS_PER_PERSON)
            .group_by("district")
            .agg(
                dp.len(signed=True).alias("count"),  # type: ignore[attr-defined]
                income.dp.sum(bounds).alias("sum"),
                income.dp.mean(bounds).alias("mean"),
            )
            .with_keys(pl.LazyFrame({"district": list(DISTRICTS)}))
        )

    start = time.perf_counter()
    measurement = opendp_measurement(context, plan)
    search = time.perf_counter() - start
    timer.end_setup()

    def query() -> Groups:
        out = context()(measurement).collect()
        return _groups(out.select("district", "count", "sum", "mean").rows())

    note = f"opendp {_version('opendp')}, pure DP; setup: noise-scale search {search:.1f} s"
    return query, note


def tumult(data: str, timer: Timer) -> tuple[Query, str]:
    """Tumult Analytics on local Spark: three queries of ``EPSILON / 3`` each.

    ``AddRowsWithID("person_id")`` protects whole persons; ``MaxRowsPerID(5)`` truncates.
    """
    import atexit
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
    atexit.register(spark.stop)  # after the last repetition
    timer.end_setup()
    keys = KeySet.from_dict({"district": list(DISTRICTS)})
    share = PureDPBudget(EPSILON / 3)

    def grouped() -> Any:
        return QueryBuilder("people").enforce(MaxRowsPerID(MAX_ROWS_PER_PERSON)).groupby(keys)

    def query() -> Groups:
        session = Session.from_dataframe(
            privacy_budget=PureDPBudget(EPSILON),
            source_id="people",
            dataframe=spark.read.parquet(data),
            protected_change=AddRowsWithID("person_id"),
        )
        counts = session.evaluate(grouped().count(name="v"), share).toPandas()
        sums = session.evaluate(
            grouped().sum("income", INCOME_LOWER, INCOME_UPPER, name="v"), share
        ).toPandas()
        means = session.evaluate(
            grouped().average("income", INCOME_LOWER, INCOME_UPPER, name="v"), share
        ).toPandas()
        values = [dict(zip(f["district"], f["v"], strict=True)) for f in (counts, sums, means)]
        return _groups(
            [(d, values[0].get(d), values[1].get(d), values[2].get(d)) for d in DISTRICTS]
        )

    note = f"tmlt.analytics {_version('tmlt.analytics')}, pyspark {_version('pyspark')}"
    return query, note + ", 3 queries of eps/3"


def smartnoise(data: str, timer: Timer) -> tuple[Query, str]:
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
    probe = snsql.from_df(
        frame.head(10), privacy=snsql.Privacy(epsilon=1.0, delta=0), metadata=metadata
    )
    cost, _ = probe.get_privacy_cost(sql)
    per_column = EPSILON / cost  # cost of epsilon 1 per column -> scale to EPSILON in total
    reader = snsql.from_df(
        frame, privacy=snsql.Privacy(epsilon=per_column, delta=0), metadata=metadata
    )
    del frame
    timer.end_setup()

    def query() -> Groups:
        out = reader.execute(sql)
        header, rows = out[0], out[1:]
        idx = [header.index(c) for c in ("district", "n", "s", "m")]
        return _groups([tuple(r[i] for i in idx) for r in rows])

    note = (
        f"smartnoise-sql {_version('smartnoise-sql')}, eps {per_column:.3g} per column; "
        "setup loads the data into SQLite"
    )
    return query, note


def pipelinedp(data: str, timer: Timer) -> tuple[Query, str]:
    """PipelineDP on its local (pure Python) backend, public partitions.

    ``max_contributions=5`` bounds rows per person across all districts; one aggregation
    releases COUNT, SUM and MEAN with the budget accountant's total ``EPSILON`` (Laplace).
    """
    import pipeline_dp
    import pyarrow.parquet as pq

    timer.end_setup()
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

    def query() -> Groups:
        table = pq.read_table(data, columns=["person_id", "district", "income"])
        rows = zip(
            table["person_id"].to_numpy(),
            table["district"].to_pylist(),
            table["income"].to_numpy(),
            strict=True,
        )
        accountant = pipeline_dp.NaiveBudgetAccountant(total_epsilon=EPSILON, total_delta=0)
        engine = pipeline_dp.DPEngine(accountant, pipeline_dp.LocalBackend())
        result = engine.aggregate(rows, params, extractors, public_partitions=list(DISTRICTS))
        accountant.compute_budgets()
        return _groups([(d, m.count, m.sum, m.mean) for d, m in result])

    return query, f"pipeline-dp {_version('pipeline-dp')}, local backend"


# --- plumbing --------------------------------------------------------------------------------


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


RUNNERS: dict[str, Callable[[str, Timer], tuple[Query, str]]] = {
    "exact_pyarrow": exact_pyarrow,
    "exact_polars": exact_polars,
    "exact_duckdb": exact_duckdb,
    "opendp_polars": opendp_polars,
    "tumult": tumult,
    "smartnoise": smartnoise,
    "pipelinedp": pipelinedp,
}


def run(name: str, data: str, repeats: int = 1, query_name: str = "main") -> None:
    """Run one contender ``repeats`` times, emitting one line per repetition as it ends.

    The first repetition's query time is the contender's ``query_seconds`` (its query run
    once, as the timing table reports it); every line carries its own ``groups``. A query
    other than ``main`` is one of :mod:`benchmarks.dp.shaped`'s, or
    :mod:`benchmarks.dp.join_query`'s ``join``.
    """
    timer = Timer()
    try:
        if query_name == "main":
            query, notes = RUNNERS[name](data, timer)
        else:
            from benchmarks.dp import join_query, shaped

            runners = join_query.RUNNERS if query_name == "join" else shaped.RUNNERS
            if name not in runners:
                raise ImportError(f"{name} does not answer the {query_name} query")
            query, notes = runners[name](data, timer, query_name)
            library = {
                "exact_polars": "polars",
                "exact_duckdb": "duckdb",
                "opendp_polars": "opendp",
                "tumult": "tmlt.analytics",
            }[name]
            version = f"{library} {_version(library)}"  # after the name the note starts with
            notes = version + notes.removeprefix(library) if notes.startswith(library) else notes
        for rep in range(1, repeats + 1):
            start = time.perf_counter()
            groups = query()
            seconds = time.perf_counter() - start
            timer.end_query()
            bad = [d for d, g in groups.items() if not all(math.isfinite(v) for v in g.values())]
            emit(
                {
                    "ok": True,
                    "rep": rep,
                    "repeats": repeats,
                    "setup_seconds": timer.setup,
                    "query_seconds": timer.query,
                    "rep_seconds": seconds,
                    "peak_mb": peak_rss_mb(),
                    "groups": groups,
                    "notes": notes + (f"; non-finite values in {len(bad)} groups" if bad else ""),
                }
            )
    except ImportError as exc:
        emit(
            {
                "ok": False,
                "status": "unavailable",
                "error": f"{type(exc).__name__}: {exc}",
                "peak_mb": peak_rss_mb(),
            }
        )
    except Exception as exc:  # report any library failure as this contender's result
        emit(
            {
                "ok": False,
                "status": "error",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=8),
                "peak_mb": peak_rss_mb(),
            }
        )


def main() -> None:
    """Command line: run one contender on one file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=sorted(RUNNERS))
    parser.add_argument("--data", required=True, help="the Parquet file")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="independent releases (each reads the data and draws fresh noise)",
    )
    parser.add_argument("--query", default="main", help="main, filtered, crosstab or join")
    args = parser.parse_args()
    run(args.name, args.data, max(1, args.repeats), args.query)


if __name__ == "__main__":
    main()
