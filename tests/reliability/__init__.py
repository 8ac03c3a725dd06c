"""Reliability tests: the job ledger, fault scenarios on real servers, tools under bad and hostile input."""
