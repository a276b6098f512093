"""Mean income and clinic visits of residents over 65, per district (a DP model)."""

PARAMS = {"epsilon": {"type": "number", "default": 0.5}}


def run(ctx):
    col = ctx.col
    people = ctx.dataset("example_residents")
    older = people.where(col("age") >= 65)
    by_district = older.group_by("district").agg(
        ["count", "mean"], column="income", lower=0, upper=200000, epsilon=ctx.params["epsilon"]
    )
    visits = older.mean("visits", lower=0, upper=52, epsilon=ctx.params["epsilon"] / 2)
    ctx.log("released income per district and mean visits")
    return {"income_by_district": by_district, "mean_visits": visits}
