"""`python -m recovery_tools.check_table_names`: the same as the console script."""

from recovery_tools.check_table_names.cli import main

main()
