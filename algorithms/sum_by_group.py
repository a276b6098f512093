"""Sum of a numeric column per group of a categorical column (DP sum per group).

Values are clamped to ``[lower, upper]``: the bounds are public, so choose them without
looking at the data. Groups come from the group column's declared categories or, when it has
none, from DP partition selection (give ``delta``). Costs ``epsilon`` (and ``delta``).
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to read (one of this job's grant).",
    },
    "group": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The categorical column whose values form the groups.",
    },
    "column": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The numeric column to add up.",
    },
    "lower": {"type": "number", "description": "Values below it count as it (public)."},
    "upper": {"type": "number", "description": "Values above it count as it (public)."},
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of the sums.",
    },
    "delta": {
        "type": "number",
        "minimum": 1e-12,
        "maximum": 0.001,
        "default": None,
        "description": "For DP partition selection when the groups are not declared.",
    },
}


def run(ctx):
    """Return the noisy sum of the column for each group."""
    p = ctx.params
    if p["lower"] >= p["upper"]:
        raise ValueError("lower must be below upper")
    options = {"lower": p["lower"], "upper": p["upper"], "epsilon": p["epsilon"]}
    if p["delta"] is not None:
        options["delta"] = p["delta"]
    grouped = ctx.dataset(p["dataset"]).group_by(p["group"])
    return {
        "dataset": p["dataset"],
        "group": p["group"],
        "column": p["column"],
        "sum": grouped.sum(p["column"], **options),
    }
