"""`python -m recovery_tools.manage_queues` runs the same CLI as the `manage-queues` script."""

from recovery_tools.manage_queues.cli import main

main()
