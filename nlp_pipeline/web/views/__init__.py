"""One blueprint per page: classify (upload, jobs, results, downloads), review, one comment, models."""
