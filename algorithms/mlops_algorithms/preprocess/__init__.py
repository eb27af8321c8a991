"""Pre-processing job: validate the raw dataset, engineer features, split, write the feature schema."""
