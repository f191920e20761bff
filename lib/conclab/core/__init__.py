"""The core layer: workloads, servers, runners and what runs in other processes."""
