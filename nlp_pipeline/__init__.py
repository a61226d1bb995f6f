"""nlp_pipeline: triage Chinese citizens' opinions for public-security bureaus."""

__version__ = "0.1.0"
