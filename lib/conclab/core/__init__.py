"""The core layer: workloads, servers, runners, primitives, and everything
that runs in another process. Imports nothing from viz, ui or exercises."""
