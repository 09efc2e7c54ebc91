"""HTTP routes, stream subscribers and commands of the notifier service."""
