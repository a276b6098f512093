"""DP principal component analysis of numeric and categorical columns.

Fitted on the trusted side (the model never sees a row): the rows are centred at a DP mean,
then diffprivlib's noisy eigendecomposition (Laplace eigenvalues, Bingham eigenvectors)
gives the components, their explained variance and its ratio; the row-norm bound it needs
comes from the public bounds, never from the data. Numeric columns are clipped to public
bounds: ``lower`` and ``upper`` (one per ``x`` column, in order), or the bounds declared in
the data dictionary when left out. Categorical columns (declared categories) are one-hot
over all their categories. The run is one release and costs exactly ``epsilon``
(rho = epsilon^2 / 2 under zCDP): ``mean_share`` of it buys the mean, the rest the
eigendecomposition.
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
        "description": "Numeric columns to analyse.",
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
    "n_components": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 2,
        "description": "Number of components (at most one per feature after one-hot).",
    },
    "mean_share": {
        "type": "number",
        "minimum": 0.05,
        "maximum": 0.9,
        "default": 0.5,
        "description": "Part of epsilon spent on the DP mean the rows are centred at.",
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
    """Return the DP components and explained variance of the x and categorical columns."""
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
    fit = ctx.dataset(p["dataset"]).pca(
        columns,
        n_components=p["n_components"],
        mean_share=p["mean_share"],
        bounds=bounds,
        epsilon=p["epsilon"],
    )
    return {"dataset": p["dataset"], **fit}
