"""`python -m simulator.tools.manage_queues` runs the same CLI as the `manage-queues` script."""

from simulator.tools.manage_queues.cli import main

main()
