"""Observation of a running scenario: structured logs shared across processes, and sampled metrics."""
