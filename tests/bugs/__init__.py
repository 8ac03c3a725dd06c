"""Tests of the bug catalogue: each bug broken and fixed on the same workload."""
