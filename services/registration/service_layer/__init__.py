"""Use cases of the registration service, each in one unit of work."""
