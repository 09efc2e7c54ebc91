"""The one definition of « présent » and of each count of the day."""

from __future__ import annotations

from shared.presence import Person, Presence, count_present, presence_of, tally


def test_a_check_in_wins_over_a_mark():
    assert presence_of(True, absent=True, excused=True) is Presence.PRESENT
    assert presence_of(False, absent=True, excused=True) is Presence.EXCUSED
    assert presence_of(False, absent=True) is Presence.ABSENT
    assert presence_of(False) is Presence.AWAITED


def test_present_counts_erased_and_any_status_the_rest_only_registered_people():
    counts = tally(
        [
            Person("porteur", checked_in=True),
            Person("porteur", checked_in=True, erased=True),  # came, then asked to be forgotten
            Person("expert", checked_in=True, registered=False),  # cancelled, came after all
            Person("porteur", checked_in=False, absent=True),
            Person("expert", checked_in=False, absent=True, excused=True),
            Person("porteur", checked_in=False),
            Person("porteur", checked_in=False, registered=False),  # waiting list: not awaited
            Person("expert", checked_in=False, erased=True),  # erased: not awaited
        ]
    )
    assert (counts.present, counts.holders, counts.experts) == (3, 2, 1)
    assert (counts.absent, counts.excused, counts.awaited) == (1, 1, 1)


def test_count_present_is_the_same_rule():
    rows = [("porteur", True), ("expert", True), ("expert", False)]
    counts = count_present(rows)
    assert counts.present == 2 and counts.present_by_role == {"porteur": 1, "expert": 1}
