"""Benchmarks of the harness against the ceiling of the same Redis and Postgres (`python -m bench`)."""
