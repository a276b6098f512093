"""Vetted algorithm models: each a module with ``run(ctx)``, a parameter schema and tests."""
