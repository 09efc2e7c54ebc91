"""Use cases of the surveys service, each in one unit of work."""
