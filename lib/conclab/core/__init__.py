"""The core layer: workloads, runners, environment, interpreters, and every
function that runs in another process (see DESIGN.md)."""
