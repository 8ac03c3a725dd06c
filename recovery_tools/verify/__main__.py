"""`python -m recovery_tools.verify`."""

from recovery_tools.verify.cli import main

main()
