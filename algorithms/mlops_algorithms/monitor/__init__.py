"""Model Monitor-compatible baseline jobs and monitoring runs (data quality, model quality).

The computation modules (datatypes, kll, statistics, constraints, regression_metrics) are kept
free of job plumbing; the monitoring runs (monitoring.py: capture.py reads data capture,
violations.py writes constraint_violations.json entries) reuse them.
"""
