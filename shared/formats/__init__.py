"""File formats exchanged with operators (participants import, schedule export, edition)."""
