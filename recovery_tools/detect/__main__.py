"""`python -m recovery_tools.detect`: the same as the console script."""

from recovery_tools.detect.cli import main

main()
