"""Labelled data: the corpus files and the labelled files users add."""
