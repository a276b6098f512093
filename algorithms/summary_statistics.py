"""Count, mean and variance of a numeric column (three DP releases).

Values are clamped to the public bounds ``lower`` and ``upper``. ``epsilon`` is split evenly
across the three releases, so the whole run costs ``epsilon``.
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
    "lower": {"type": "number", "description": "Values below it count as it (public)."},
    "upper": {"type": "number", "description": "Values above it count as it (public)."},
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.5,
        "description": "Privacy loss of the three releases together (split evenly).",
    },
}


def run(ctx):
    """Return the noisy row count and the noisy mean and variance of the column."""
    p = ctx.params
    if p["lower"] >= p["upper"]:
        raise ValueError("lower must be below upper")
    each = p["epsilon"] / 3
    handle = ctx.dataset(p["dataset"])
    bounds = {"lower": p["lower"], "upper": p["upper"], "epsilon": each}
    return {
        "dataset": p["dataset"],
        "column": p["column"],
        "count": handle.count(epsilon=each),
        "mean": handle.mean(p["column"], **bounds),
        "variance": handle.variance(p["column"], **bounds),
    }
