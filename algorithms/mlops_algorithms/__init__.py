"""Python half of temporal-mlops: processes that follow Amazon SageMaker's container contracts.

Every entry point is a ``python -m mlops_algorithms.<name>`` module so the orchestrator can run it
as a local process exactly where SageMaker would run a container.  Heavy libraries (xgboost,
scikit-learn, pandas) are imported only inside the entry points that need them: start-up time is
most of the wall time on small datasets.
"""

__version__ = "0.1.0"
