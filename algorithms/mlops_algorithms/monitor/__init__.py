"""Model Monitor-compatible baseline jobs (data quality, model quality) and their reusable maths.

The computation modules (datatypes, kll, statistics, constraints, regression_metrics) are kept
free of job plumbing so the later drift-check step (constraint_violations.json) reuses them.
"""
