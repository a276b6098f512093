"""DP counts per combination of two keys (a crosstab), numeric keys binned into public edges.

``rows`` and ``cols`` name the two key columns. A categorical key uses its declared
categories (or DP partition selection with ``delta``); a numeric key needs its public bin
edges (``rows_bins`` or ``cols_bins``, e.g. ``[0, 18, 65, 120]``), whose bins are public
groups, so no partition selection is needed for it. Costs ``epsilon`` (and ``delta``).
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset to read (one of this job's grant).",
    },
    "rows": {
        "type": "string",
        "min_length": 1,
        "max_length": 60,
        "description": "The first key column.",
    },
    "cols": {
        "type": "string",
        "min_length": 1,
        "max_length": 60,
        "description": "The second key column.",
    },
    "rows_bins": {
        "type": "list",
        "items": "number",
        "min_length": 2,
        "max_length": 101,
        "default": None,
        "description": "Public bin edges when the first key is numeric (increasing).",
    },
    "cols_bins": {
        "type": "list",
        "items": "number",
        "min_length": 2,
        "max_length": 101,
        "default": None,
        "description": "Public bin edges when the second key is numeric (increasing).",
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
        "description": "For DP partition selection when a categorical key is not declared.",
    },
}


def run(ctx):
    """Return the noisy count of each combination of the two keys."""
    p = ctx.params
    if p["rows"] == p["cols"]:
        raise ValueError("rows and cols must be two different columns")
    handle = ctx.dataset(p["dataset"])
    keys = []
    for key in ("rows", "cols"):
        edges = p[key + "_bins"]
        if edges is None:
            keys.append(p[key])
        else:
            name = p[key] + "_bin"
            handle = handle.bin(p[key], edges, name=name)
            keys.append(name)
    options = {"epsilon": p["epsilon"]}
    if p["delta"] is not None:
        options["delta"] = p["delta"]
    return {
        "dataset": p["dataset"],
        "rows": keys[0],
        "cols": keys[1],
        "count": handle.group_by(keys).count(**options),
    }
