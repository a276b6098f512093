"""DP k-means clustering of numeric and categorical columns: centroids and DP cluster sizes.

Fitted on the trusted side (the model never sees a row) by diffprivlib's DPLloyd: random
initial centres inside the public bounds, then ``iterations`` Lloyd steps whose cluster
counts and coordinate sums are noised; the released cluster sizes are a separate noisy
histogram (OpenDP discrete Laplace) of the rows' nearest released centroid. Numeric
columns are clipped to public bounds: ``lower`` and ``upper`` (one per ``x`` column, in
order), or the bounds declared in the data dictionary when left out. Categorical columns
(declared categories) are one-hot over all their categories. The run is one release and
costs exactly ``epsilon`` (rho = epsilon^2 / 2 under zCDP): ``size_share`` of it buys the
cluster sizes, the rest the Lloyd steps.
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to read (one of this job's grant).",
    },
    "x": {
        "type": "list",
        "items": "string",
        "max_length": 32,
        "default": [],
        "description": "Numeric columns to cluster on.",
    },
    "lower": {
        "type": "list",
        "items": "number",
        "max_length": 32,
        "default": None,
        "description": "Public lower bound of each x column, in order (default: declared).",
    },
    "upper": {
        "type": "list",
        "items": "number",
        "max_length": 32,
        "default": None,
        "description": "Public upper bound of each x column, in order (default: declared).",
    },
    "categorical": {
        "type": "list",
        "items": "string",
        "max_length": 16,
        "default": [],
        "description": "Categorical columns (one-hot over their declared categories).",
    },
    "k": {
        "type": "integer",
        "minimum": 2,
        "maximum": 50,
        "default": 3,
        "description": "Number of clusters.",
    },
    "iterations": {
        "type": "integer",
        "minimum": 1,
        "maximum": 20,
        "default": 5,
        "description": "Number of DP Lloyd steps (public; each gets an equal part of epsilon).",
    },
    "size_share": {
        "type": "number",
        "minimum": 0.01,
        "maximum": 0.5,
        "default": 0.1,
        "description": "Part of epsilon spent on the released cluster sizes.",
    },
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of the fit (one release).",
    },
}


def run(ctx):
    """Return the DP centroids and cluster sizes of the x and categorical columns."""
    p = ctx.params
    columns = list(p["x"]) + list(p["categorical"])
    if not columns:
        raise ValueError("give at least one x or categorical column")
    bounds = {}
    if (p["lower"] is None) != (p["upper"] is None):
        raise ValueError("give both lower and upper, or neither")
    if p["lower"] is not None:
        if len(p["lower"]) != len(p["x"]) or len(p["upper"]) != len(p["x"]):
            raise ValueError("lower and upper need one bound per x column")
        for i in range(len(p["x"])):
            bounds[p["x"][i]] = [p["lower"][i], p["upper"][i]]
    fit = ctx.dataset(p["dataset"]).kmeans(
        columns,
        k=p["k"],
        iterations=p["iterations"],
        size_share=p["size_share"],
        bounds=bounds,
        epsilon=p["epsilon"],
    )
    return {"dataset": p["dataset"], "k": p["k"], **fit}
