from recovery_tools.preflight.cli import main

main()
