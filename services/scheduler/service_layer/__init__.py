"""Use cases of the scheduler service, each in one unit of work."""
