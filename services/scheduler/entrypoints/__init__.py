"""Command-line, HTTP and stream entry points of the scheduler."""
