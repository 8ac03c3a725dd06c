"""`python -m bench`: every benchmark in one run on one backend."""

from bench.cli import main

main()
