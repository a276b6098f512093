"""DP sum of a numeric column per group, over two datasets of the grant joined on the person.

``dataset`` and ``other`` are joined on ``on``, the privacy unit of both (for example health
visits and social-security records on ``person_id``); each side first keeps at most
``truncate`` rows per person (default: each dataset's contribution bound), so one person
has at most the product in the joined rows, and the noise is calibrated for that. A public
lookup table (``lookup``, an unconditional dataset of the catalog) may then be joined on
``lookup_on``: its text columns are public group keys. Columns both datasets have become
``<name>_left`` and ``<name>_right``. Values are clamped to the public bounds ``lower`` and
``upper``. Costs ``epsilon`` (and ``delta``), charged to both datasets' budgets.
"""

PARAMS = {
    "dataset": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The first dataset (one of this job's grant).",
    },
    "other": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The dataset joined with it (of the same grant and privacy unit).",
    },
    "on": {
        "type": "string",
        "min_length": 1,
        "max_length": 63,
        "description": "The join key: the privacy unit column of both datasets.",
    },
    "truncate": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": None,
        "description": "Rows per person each side keeps (default: each one's bound).",
    },
    "lookup": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "default": None,
        "description": "A public lookup table joined after (an unconditional dataset).",
    },
    "lookup_on": {
        "type": "string",
        "min_length": 1,
        "max_length": 63,
        "default": None,
        "description": "The column the lookup table is joined on.",
    },
    "groups": {
        "type": "list",
        "items": "string",
        "min_length": 1,
        "max_length": 4,
        "description": "The key columns of the joined rows whose combinations form groups.",
    },
    "column": {
        "type": "string",
        "min_length": 1,
        "max_length": 128,
        "description": "The numeric column of the joined rows whose sum is released.",
    },
    "lower": {"type": "number", "description": "Values below it count as it (public)."},
    "upper": {"type": "number", "description": "Values above it count as it (public)."},
    "epsilon": {
        "type": "number",
        "minimum": 0.001,
        "maximum": 10,
        "default": 1.0,
        "description": "Privacy loss of the sums (charged to both datasets).",
    },
    "delta": {
        "type": "number",
        "minimum": 1e-12,
        "maximum": 0.001,
        "default": None,
        "description": "For DP partition selection when some groups are not declared.",
    },
}


def run(ctx):
    """Return the joins and the noisy sum of each group of the joined rows."""
    p = ctx.params
    if p["lower"] >= p["upper"]:
        raise ValueError("lower must be below upper")
    if p["dataset"] == p["other"]:
        raise ValueError("dataset and other must be two different datasets")
    if (p["lookup"] is None) != (p["lookup_on"] is None):
        raise ValueError("give lookup and lookup_on together")
    joined = ctx.dataset(p["dataset"]).join(
        ctx.dataset(p["other"]), on=p["on"], truncate=p["truncate"]
    )
    if p["lookup"] is not None:
        joined = joined.join_public(p["lookup"], on=p["lookup_on"])
    options = {"lower": p["lower"], "upper": p["upper"], "epsilon": p["epsilon"]}
    if p["delta"] is not None:
        options["delta"] = p["delta"]
    return {
        "datasets": [p["dataset"], p["other"]],
        "on": p["on"],
        "lookup": p["lookup"],
        "groups": p["groups"],
        "column": p["column"],
        "sum": joined.group_by(p["groups"]).sum(p["column"], **options),
    }
