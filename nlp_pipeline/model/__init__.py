"""A trained model: its directory format, feature analyzers, data-only predictor, registry."""
