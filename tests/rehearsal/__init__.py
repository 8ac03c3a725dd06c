"""Tests of `rehearse`: journal, report, command line, and whole rehearsals on real servers."""
