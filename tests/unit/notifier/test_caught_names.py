"""The names of the messages `rencontres up` catches: they sort by arrival, hold no address,
and the erasure and the retention find theirs by name alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from services.notifier.adapters import caught
from services.notifier.entrypoints.http import _links_in_new_tab

MID = "<0b6e4f5c-1d2e-5f00-9a1b-2c3d4e5f6a7b@pes21.fr>"


def test_names_sort_by_arrival_and_hold_no_address():
    moments = [
        dt.datetime(2026, 12, 3, 9, 0, 0, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 3, 10, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2026, 12, 3, 9, 0, 1, tzinfo=dt.UTC),
    ]
    names = [caught.file_name(m, MID) for m in moments]
    assert sorted(names) == [names[1], names[0], names[2]]  # 10:00+01:00 is 09:00 UTC
    assert names[0] == f"20261203T090000000005Z-{caught.key_of(MID)}.eml"
    assert "pes21" not in names[0] and "@" not in names[0]
    assert caught.key_of(f"  {MID}\r\n") == caught.key_of(MID)
    assert caught.file_name(moments[0], None) != caught.file_name(moments[0], None)


def test_erasure_and_retention_choose_by_name(tmp_path: Path):
    content = f"Message-ID: {MID}\r\nSubject: x\r\n\r\nbonjour\r\n".encode()
    old = caught.keep(tmp_path, content, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    new = caught.keep(tmp_path, content, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    other = caught.keep(tmp_path, content.replace(b"@pes21", b"@autre"))
    assert caught.find(tmp_path, MID) == new  # the last copy of a repeated send
    cutoff = dt.datetime(2025, 12, 3, tzinfo=dt.UTC)
    assert caught.erase_before(tmp_path, cutoff, dry_run=True) == 1 and old.exists()
    assert caught.erase_before(tmp_path, cutoff) == 1 and not old.exists()
    assert caught.erase(tmp_path, [MID]) == 1 and not new.exists() and other.exists()
    assert caught.find(tmp_path, MID) is None
    assert caught.find(tmp_path / "absent", MID) is None
    assert caught.erase(tmp_path / "absent", [MID]) == 0


def test_links_open_in_a_new_tab_and_the_doctype_stays_first():
    html = '<!DOCTYPE html>\n<html><HEAD lang="fr"><title>t</title></HEAD><body>x</body></html>'
    shown = _links_in_new_tab(html)
    assert shown.startswith("<!DOCTYPE html>")
    assert '<HEAD lang="fr"><base target="_blank"><title>' in shown
    assert _links_in_new_tab("<p>x</p>") == '<base target="_blank"><p>x</p>'
