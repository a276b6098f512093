"""Reproducible benchmarks; each module is a script (``python -m benchmarks.<name>``)."""
