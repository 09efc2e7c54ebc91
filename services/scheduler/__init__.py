"""Scheduler service: edition programme, appointments and the solver that plans them."""
