"""Training: the estimator, the fit with cross-validation, metrics, building and retraining."""
