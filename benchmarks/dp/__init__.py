"""DP query benchmark: this engine against exact baselines and other DP libraries (issue #3).

Run ``python -m benchmarks.dp.run``; see ``benchmarks/README.md`` for the command and figures.
"""
