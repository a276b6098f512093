"""Isolated execution of algorithm models on Ray (issue #4 builds this package)."""
