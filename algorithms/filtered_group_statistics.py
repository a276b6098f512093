"""Count and mean of a numeric column per group, over the rows that meet a filter.

The filter keeps the rows whose ``filter_column`` is at least ``filter_min`` and at most
``filter_max`` (either may be left out) or, for a text column, one of ``filter_values``.
Groups are one or more key columns (declared categories, or DP partition selection with
``delta``). Values are clamped to the public bounds ``lower`` and ``upper``. ``epsilon`` is
split evenly between the count and the mean, so the run costs ``epsilon`` (and ``delta``);
the filter itself costs nothing more: it is accounted as a 1-stable transformation.
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to read (one of this job's grant).",
    },
    "groups": {
        "type": "list",
        "items": "string",
        "min_length": 1,
        "max_length": 4,
        "description": "The key columns whose combinations form the groups.",
    },
    "column": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The numeric column whose mean is released.",
    },
    "lower": {"type": "number", "description": "Values below it count as it (public)."},
    "upper": {"type": "number", "description": "Values above it count as it (public)."},
    "filter_column": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The column the filter tests (never an identifier).",
    },
    "filter_min": {
        "type": "number",
        "default": None,
        "description": "Keep rows whose filter column is at least this (public).",
    },
    "filter_max": {
        "type": "number",
        "default": None,
        "description": "Keep rows whose filter column is at most this (public).",
    },
    "filter_values": {
        "type": "list",
        "items": "string",
        "min_length": 1,
        "max_length": 1000,
        "default": None,
        "description": "Keep rows whose filter column is one of these (declared) values.",
    },
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of the count and the mean together (split evenly).",
    },
    "delta": {
        "type": "number",
        "minimum": 1e-12,
        "maximum": 0.001,
        "default": None,
        "description": "For DP partition selection when some groups are not declared.",
    },
}


def run(ctx):
    """Return the filter and the noisy count and mean of each group."""
    p = ctx.params
    if p["lower"] >= p["upper"]:
        raise ValueError("lower must be below upper")
    conditions = []
    name = p["filter_column"]
    if p["filter_values"] is not None:
        conditions.append([name, "in", p["filter_values"]])
    if p["filter_min"] is not None:
        conditions.append([name, ">=", p["filter_min"]])
    if p["filter_max"] is not None:
        conditions.append([name, "<=", p["filter_max"]])
    if not conditions:
        raise ValueError("give filter_min, filter_max or filter_values")
    if (
        p["filter_min"] is not None
        and p["filter_max"] is not None
        and p["filter_min"] > p["filter_max"]
    ):
        raise ValueError("filter_min must not be above filter_max")
    each = p["epsilon"] / 2
    options = {"epsilon": each}
    if p["delta"] is not None:
        options["delta"] = p["delta"] / 2
    grouped = ctx.dataset(p["dataset"]).where(*conditions).group_by(p["groups"])
    bounds = {"lower": p["lower"], "upper": p["upper"]}
    return {
        "dataset": p["dataset"],
        "groups": p["groups"],
        "where": conditions,
        "count": grouped.count(**options),
        "mean": grouped.mean(p["column"], **bounds, **options),
    }
