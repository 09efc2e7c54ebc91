"""Database and outside-world adapters of the scheduler service."""
