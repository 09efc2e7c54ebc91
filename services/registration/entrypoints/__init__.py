"""HTTP routes, stream subscribers and commands of the registration service."""
