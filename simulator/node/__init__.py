"""Node for the simulated app: the runtime and the npm packages it runs (the real `bull`)."""
