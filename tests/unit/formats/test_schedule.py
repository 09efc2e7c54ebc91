import datetime as dt

import pytest

from shared.formats.schedule import ScheduleFormatError, ScheduleRow, read_schedule, write_schedule

DAY = dt.date(2026, 11, 19)


def row(start: str, table: int, expert: str = "expert@fondation.example") -> ScheduleRow:
    begin = dt.time.fromisoformat(start)
    end = (dt.datetime.combine(DAY, begin) + dt.timedelta(minutes=30)).time()
    return ScheduleRow(
        DAY, begin, end, table, expert, "Fondation X, Dijon", "contact@asso.example", "Asso Y"
    )


def test_export_is_exactly_the_documented_format() -> None:
    text = write_schedule([row("14:00", 1), row("10:00", 12), row("10:00", 2)])
    assert text == (
        "date,debut,fin,table,expert_email,expert_structure,porteur_email,porteur_structure\n"
        '2026-11-19,10:00,10:30,T02,expert@fondation.example,"Fondation X, Dijon",'
        "contact@asso.example,Asso Y\n"
        '2026-11-19,10:00,10:30,T12,expert@fondation.example,"Fondation X, Dijon",'
        "contact@asso.example,Asso Y\n"
        '2026-11-19,14:00,14:30,T01,expert@fondation.example,"Fondation X, Dijon",'
        "contact@asso.example,Asso Y\n"
    )


def test_reader_round_trips_and_rejects_other_headers() -> None:
    rows = [row("10:00", 2), row("10:30", 1)]
    assert read_schedule(write_schedule(rows)) == rows
    assert write_schedule([]) == (
        "date,debut,fin,table,expert_email,expert_structure,porteur_email,porteur_structure\n"
    )
    with pytest.raises(ScheduleFormatError, match="en-tête"):
        read_schedule("date;debut\n")
    with pytest.raises(ScheduleFormatError, match="ligne 2"):
        read_schedule(write_schedule([]) + "2026-11-19,10h,10:30,T01,a,b,c,d\n")
