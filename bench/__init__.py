"""Benchmarks: each section measures figures against a baseline taken in the same run."""
