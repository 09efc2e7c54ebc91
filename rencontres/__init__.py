"""Rencontres: the command line and the local runner of the whole platform."""
