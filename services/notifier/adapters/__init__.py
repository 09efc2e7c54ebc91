"""Database and outside-world adapters of the notifier service."""
