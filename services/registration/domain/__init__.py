"""Pure rules of the registration service: no framework, no I/O."""
