"""DP logistic regression of a binary outcome on numeric and categorical columns.

Fitted on the trusted side by diffprivlib's objective perturbation (the model never sees a
row). ``y`` is a categorical column (declared categories, or a boolean): ``positive`` is
the category modelled against all the others (needed when there are more than two).
Numeric columns are clipped to public bounds: ``lower`` and ``upper`` (one per ``x``
column, in order), or the bounds declared in the data dictionary when left out.
Categorical features are one-hot, the first category as the reference. ``C`` is the
inverse L2 regularisation (public). The run is one release and costs exactly ``epsilon``
(rho = epsilon^2 / 2 under zCDP).
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
        "description": "The categorical outcome column.",
    },
    "positive": {
        "type": "string",
        "max_length": 256,
        "default": None,
        "description": "The outcome category modelled (default: the second of two).",
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
    "categorical": {
        "type": "list",
        "items": "string",
        "max_length": 16,
        "default": [],
        "description": "Categorical feature columns (one-hot over declared categories).",
    },
    "C": {
        "type": "number",
        "minimum": 0.000001,
        "maximum": 1000000,
        "default": 1.0,
        "description": "Inverse L2 regularisation strength (public).",
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
    """Return the DP logistic fit of y on the x and categorical columns."""
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
    options = {"bounds": bounds, "epsilon": p["epsilon"], "C": p["C"]}
    if p["positive"] is not None:
        options["positive"] = p["positive"]
    fit = ctx.dataset(p["dataset"]).logistic_regression(p["y"], features, **options)
    return {"dataset": p["dataset"], "y": p["y"], **fit}
