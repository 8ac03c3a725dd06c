"""pytest-bdd step definitions; thin, they drive the simulator and the tools."""
