"""XGBoost training job with the built-in SageMaker XGBoost algorithm's contract."""
