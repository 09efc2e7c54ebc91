"""Pure scheduling logic: no I/O, no framework."""
