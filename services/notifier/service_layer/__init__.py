"""Use cases of the notifier service, each in one unit of work."""
