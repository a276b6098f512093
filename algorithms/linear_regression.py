"""DP linear regression of a numeric column on numeric and categorical columns.

Fitted on the trusted side by diffprivlib's functional mechanism (the model never sees a
row): coefficients and intercept, approximate standard errors that include the DP noise,
a DP R^2 and the residual spread. Numeric columns are clipped to public bounds: ``lower``
and ``upper`` (one per ``x`` column, in order) and ``y_lower``/``y_upper``, or the bounds
declared in the data dictionary when left out. Categorical columns (declared categories)
are one-hot, the first category as the reference. The run is one release and costs
exactly ``epsilon`` (rho = epsilon^2 / 2 under zCDP); the R^2, residual spread and
standard errors are post-processing of the same noisy sums and cost nothing more.
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to read (one of this job's grant).",
    },
    "y": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The numeric target column.",
    },
    "x": {
        "type": "list",
        "items": "string",
        "max_length": 32,
        "default": [],
        "description": "Numeric feature columns.",
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
    "y_lower": {
        "type": "number",
        "default": None,
        "description": "Public lower bound of y (default: declared).",
    },
    "y_upper": {
        "type": "number",
        "default": None,
        "description": "Public upper bound of y (default: declared).",
    },
    "categorical": {
        "type": "list",
        "items": "string",
        "max_length": 16,
        "default": [],
        "description": "Categorical feature columns (one-hot over declared categories).",
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
    """Return the DP fit of y on the x and categorical columns."""
    p = ctx.params
    features = list(p["x"]) + list(p["categorical"])
    if not features:
        raise ValueError("give at least one x or categorical column")
    bounds = {}
    if (p["lower"] is None) != (p["upper"] is None):
        raise ValueError("give both lower and upper, or neither")
    if p["lower"] is not None:
        if len(p["lower"]) != len(p["x"]) or len(p["upper"]) != len(p["x"]):
            raise ValueError("lower and upper need one bound per x column")
        for i in range(len(p["x"])):
            bounds[p["x"][i]] = [p["lower"][i], p["upper"][i]]
    if (p["y_lower"] is None) != (p["y_upper"] is None):
        raise ValueError("give both y_lower and y_upper, or neither")
    if p["y_lower"] is not None:
        bounds[p["y"]] = [p["y_lower"], p["y_upper"]]
    fit = ctx.dataset(p["dataset"]).linear_regression(
        p["y"], features, bounds=bounds, epsilon=p["epsilon"]
    )
    return {"dataset": p["dataset"], "y": p["y"], **fit}
