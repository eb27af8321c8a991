"""Batch transform (SageMaker CreateTransformJob semantics) as a local processing-style job.

``python -m mlops_algorithms.transform``; see ``job.py`` and ``config.py`` for the contract and
``jsonpath.py`` for the DataProcessing filter subset.
"""
