"""HTTP services the simulated app talks to, served for real on loopback."""
