"""The DP models benchmark (issue #14): ``make bench-models``, see :mod:`benchmarks.models.run`."""
