"""Database and outside-world adapters of the surveys service."""
