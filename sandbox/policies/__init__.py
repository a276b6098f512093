"""Differential-privacy policies, budgets and accounting (issue #3 builds this package).

Policy code here is pure: it takes data and returns decisions, with no I/O.
"""
