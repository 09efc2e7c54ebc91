"""HTTP routes, stream subscribers and commands of the scheduler service."""
