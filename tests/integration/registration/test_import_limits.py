"""Files that used to hold the service or answer 500: each gets a French answer within the
limits, with bounded memory (tests/e2e/registration/test_import_jobs.py sends them to a
running service)."""

from __future__ import annotations

import tracemalloc

import pytest

from services.registration.entrypoints.import_worker import import_now
from tests.integration.registration.conftest import EDITION, participant_rows
from tests.unit.formats.spreadsheets import hostile_files

FILES = hostile_files()


def _messages(report) -> list[str]:
    return [str(issue) for issue in report.errors]


@pytest.mark.parametrize("name", sorted(FILES))
def test_files_that_held_the_service_or_answered_500_get_one_french_error(kit, name):
    data, expected = FILES[name]
    assert len(data) < 5 * 1024 * 1024
    tracemalloc.start()
    report = import_now(kit, EDITION, data, name, dry_run=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _messages(report) == [expected]
    # The bomb unpacks to 200 MB, the huge file holds 100,000 rows: neither is read whole.
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert participant_rows(kit) == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(kit):
    heavy = b"x" * (5 * 1024 * 1024 + 1)
    [message] = _messages(import_now(kit, EDITION, heavy, "lourd.csv", dry_run=True))
    assert message == "ligne 1 : le fichier dépasse 5 Mo : rien n'a été lu"
