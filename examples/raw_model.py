"""Mean income per district and sex, from the raw rows (a raw-access model)."""


def run(ctx):
    people = ctx.table("example_residents")
    ctx.log(f"read {people.num_rows} rows inside the sandbox")
    return {
        "mean_income": ctx.crosstab(
            "example_residents", rows=["district", "sex"], value="income", agg="mean"
        )
    }
