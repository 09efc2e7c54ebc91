"""Scheduler: the edition's programme, appointments, agendas, sessions."""
