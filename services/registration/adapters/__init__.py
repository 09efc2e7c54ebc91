"""Database and outside-world adapters of the registration service."""
