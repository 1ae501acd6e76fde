"""Labelled data for measuring identity resolution and fact dedup (tests and benchmarks only)."""
