"""`python -m simulator.tools.check_table_names`: the same as the console script."""

from simulator.tools.check_table_names.cli import main

main()
