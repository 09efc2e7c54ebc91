"""HTTP routes, stream subscribers and commands of the surveys service."""
