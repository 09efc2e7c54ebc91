"""`python -m benchmarks` (or `make bench`): every benchmark, one after the other."""

from __future__ import annotations

import sys

from benchmarks import bus, emails, latency, registration, scheduler

for title, module in (
    ("Planning", scheduler),
    ("Bus", bus),
    ("Emails", emails),
    ("Registration", registration),
    ("Event latency", latency),
):
    print(f"\n== {title} ({module.__name__})", flush=True)
    sys.argv = [module.__name__]  # each takes its defaults
    module.main()
