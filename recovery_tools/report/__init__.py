"""The journal (JSON) and the one-file HTML report with charts, written by `rehearse` and `verify`."""
