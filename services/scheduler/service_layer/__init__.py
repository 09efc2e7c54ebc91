"""Use cases of the scheduler, between entry points and the domain."""
