"""Pure rules of the surveys service: no framework, no I/O."""
