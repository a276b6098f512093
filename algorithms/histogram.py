"""Histogram of one column (DP counts per category or per numeric bin).

A categorical column is counted per declared category or, when it has none, per category
selected by DP partition selection (give ``delta``). A numeric column is counted per bin:
``bins`` equal bins between the public bounds ``lower`` and ``upper``. Costs ``epsilon``
(and ``delta``).
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
        "description": "The column to count per category or bin.",
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
        "description": "For DP partition selection when the categories are not declared.",
    },
    "bins": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": None,
        "description": "Numeric columns only: the number of equal bins (10 when not given).",
    },
    "lower": {
        "type": "number",
        "default": None,
        "description": "Numeric columns only: the lower edge of the first bin (public).",
    },
    "upper": {
        "type": "number",
        "default": None,
        "description": "Numeric columns only: the upper edge of the last bin (public).",
    },
}


def run(ctx):
    """Return the noisy counts per category or bin."""
    p = ctx.params
    if (p["lower"] is None) != (p["upper"] is None):
        raise ValueError("give both lower and upper, or neither")
    if p["lower"] is not None and p["lower"] >= p["upper"]:
        raise ValueError("lower must be below upper")
    options = {"epsilon": p["epsilon"]}
    for name in ("delta", "bins", "lower", "upper"):
        if p[name] is not None:
            options[name] = p[name]
    counts = ctx.dataset(p["dataset"]).histogram(p["column"], **options)
    return {"dataset": p["dataset"], "column": p["column"], "histogram": counts}
