"""Registration: participants, consents, check-ins, imports and exports."""
