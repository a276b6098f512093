"""Quantiles of a numeric column (DP quantiles by the exponential mechanism).

Each level in ``qs`` is one DP quantile over candidates between the public bounds ``lower``
and ``upper``; ``epsilon`` is split evenly across the levels, so the whole run costs
``epsilon``.
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to read (one of this job's grant).",
    },
    "column": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The numeric column.",
    },
    "qs": {
        "type": "list",
        "items": "number",
        "minimum": 0,
        "maximum": 1,
        "min_length": 1,
        "max_length": 20,
        "default": [0.25, 0.5, 0.75],
        "description": "The quantile levels, each between 0 and 1 (0.5 is the median).",
    },
    "lower": {"type": "number", "description": "The smallest candidate value (public)."},
    "upper": {"type": "number", "description": "The largest candidate value (public)."},
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of all the quantiles together (split evenly).",
    },
}


def run(ctx):
    """Return one noisy quantile per level, in the order given."""
    p = ctx.params
    if p["lower"] >= p["upper"]:
        raise ValueError("lower must be below upper")
    qs = p["qs"]
    if len(set(qs)) != len(qs):
        raise ValueError("qs repeats a level")
    each = p["epsilon"] / len(qs)
    handle = ctx.dataset(p["dataset"])
    quantiles = []
    for q in qs:
        value = handle.quantile(p["column"], q=q, lower=p["lower"], upper=p["upper"], epsilon=each)
        quantiles.append({"q": q, "value": value})
    return {"dataset": p["dataset"], "column": p["column"], "quantiles": quantiles}
