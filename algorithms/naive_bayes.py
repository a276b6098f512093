"""DP Gaussian naive Bayes classifier of a categorical column on numeric columns.

Fitted on the trusted side (the model never sees a row) by diffprivlib's Gaussian naive
Bayes: a third of epsilon on the class counts (OpenDP discrete Laplace, every declared
class, present in the data or not), a third on the per-class feature means and a third on
the per-class feature variances. ``y`` is a categorical column (declared categories, or a
boolean); its categories are the classes. Numeric columns are clipped to public bounds:
``lower`` and ``upper`` (one per ``x`` column, in order), or the bounds declared in the
data dictionary when left out. The run is one release and costs exactly ``epsilon``
(rho = epsilon^2 / 2 under zCDP); the class priors are the noisy counts normalised.
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
        "description": "The categorical target column (its declared categories are the classes).",
    },
    "x": {
        "type": "list",
        "items": "string",
        "min_length": 1,
        "max_length": 32,
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
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of the fit (one release).",
    },
}


def run(ctx):
    """Return the DP class priors and per-class means and variances of the x columns."""
    p = ctx.params
    bounds = {}
    if (p["lower"] is None) != (p["upper"] is None):
        raise ValueError("give both lower and upper, or neither")
    if p["lower"] is not None:
        if len(p["lower"]) != len(p["x"]) or len(p["upper"]) != len(p["x"]):
            raise ValueError("lower and upper need one bound per x column")
        for i in range(len(p["x"])):
            bounds[p["x"][i]] = [p["lower"][i], p["upper"][i]]
    fit = ctx.dataset(p["dataset"]).naive_bayes(
        p["y"], list(p["x"]), bounds=bounds, epsilon=p["epsilon"]
    )
    return {"dataset": p["dataset"], "y": p["y"], **fit}
