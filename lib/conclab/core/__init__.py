"""The core layer: workloads, the corpus and its server, the runner, and the
primitives the course teaches. Imports nothing from viz, ui or exercises."""
