"""Pure rules of the scheduler service: no framework, no I/O."""
