"""Number of rows of a dataset (DP count).

One noisy count of the dataset's rows, under the dataset's policy. Costs ``epsilon``.
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to count (one of this job's grant).",
    },
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 0.5,
        "description": "Privacy loss of the count.",
    },
}


def run(ctx):
    """Return the noisy number of rows of the dataset."""
    p = ctx.params
    count = ctx.dataset(p["dataset"]).count(epsilon=p["epsilon"])
    return {"dataset": p["dataset"], "count": count}
