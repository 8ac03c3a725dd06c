"""`python -m simulator`: run parts of the simulated system as separate processes."""

from simulator.cli import main

if __name__ == "__main__":
    main()
