"""The hard rules every plan must respect, checked independently of the solver's code."""

from collections import Counter

from services.scheduler.domain.model import Appointment, Problem


def check_hard_rules(problem: Problem, appointments: tuple[Appointment, ...]) -> None:
    holders = {h.id: h for h in problem.holders}
    experts = {e.id: e for e in problem.experts}
    holder_slots = Counter((a.holder_id, a.slot) for a in appointments)
    expert_slots = Counter((a.expert_id, a.slot) for a in appointments)
    assert max(holder_slots.values(), default=1) == 1, "porteur en double réservation"
    assert max(expert_slots.values(), default=1) == 1, "expert en double réservation"
    pairs = Counter((a.holder_id, a.expert_id) for a in appointments)
    assert max(pairs.values(), default=1) == 1, "une paire se rencontre deux fois"
    tables = Counter((a.slot, a.table) for a in appointments)
    assert max(tables.values(), default=1) == 1, "table occupée deux fois"
    for a in appointments:
        h, e = holders[a.holder_id], experts[a.expert_id]
        slot = problem.slots[a.slot]
        for person in (h, e):
            assert slot.half_day in person.availability.half_days(), "hors disponibilité"
            assert not (slot.conference_of & person.conferences), "pendant une conférence"
        assert e.id not in h.refuses and h.id not in e.refuses, "refus ignoré"
        required = any((r.holder_id, r.expert_id) == (h.id, e.id) for r in problem.required)
        assert required or set(h.needs) & e.expertise or e.id in h.wants or h.id in e.wants, (
            "ni besoin ni souhait"
        )
        if problem.tables is not None:
            assert 1 <= a.table <= problem.tables
    per_holder = Counter(a.holder_id for a in appointments)
    per_expert = Counter(a.expert_id for a in appointments)
    for hid, n in per_holder.items():
        assert n <= holders[hid].max_meetings, "plafond du porteur dépassé"
    for eid, n in per_expert.items():
        cap = experts[eid].max_meetings
        assert cap is None or n <= cap, "plafond de l'expert dépassé"
    if problem.tables is None:
        table_of = {}
        for a in appointments:
            assert table_of.setdefault(a.expert_id, a.table) == a.table, "l'expert change de table"
    else:
        per_slot = Counter(a.slot for a in appointments)
        assert max(per_slot.values(), default=0) <= problem.tables
