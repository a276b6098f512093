"""Number of rows per group of a categorical column (DP count per group).

Groups come from the column's declared categories, or, when it has none, from DP partition
selection (give ``delta``). Costs ``epsilon`` (and ``delta``).
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
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of the counts.",
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
    """Return the noisy number of rows of each group."""
    p = ctx.params
    options = {"epsilon": p["epsilon"]}
    if p["delta"] is not None:
        options["delta"] = p["delta"]
    grouped = ctx.dataset(p["dataset"]).group_by(p["group"])
    return {"dataset": p["dataset"], "group": p["group"], "count": grouped.count(**options)}
