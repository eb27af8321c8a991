"""Linear regression training job with the SageMaker Linear Learner contract (scikit-learn/numpy inside)."""
