"""Pure rules of the notifier service: no framework, no I/O."""
