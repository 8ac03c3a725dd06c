"""The workflow orchestrator of the simulated app: stages, their processors, and the workers that run them."""
