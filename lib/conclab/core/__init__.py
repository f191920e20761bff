"""The course's own code: workloads, corpus and server, runner, timeline,
environment, file trees, the primitives taught, and every function that runs
in another process. Imports nothing from the other layers.
"""
