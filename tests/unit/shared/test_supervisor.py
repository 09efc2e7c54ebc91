"""The restart policy of `rencontres up`: how long it waits, and what it writes."""

from __future__ import annotations

from rencontres.supervisor import describe_exit, next_attempt, restart_delay


def test_the_wait_doubles_from_one_second_up_to_thirty_and_stays_there():
    assert [restart_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert restart_delay(100_000) == 30  # a process dying for days is still retried


def test_a_process_that_ran_a_minute_starts_the_count_again():
    assert next_attempt(0, 0.2) == 1  # the first death
    assert next_attempt(4, 59.9) == 5  # dying quickly again: a longer wait
    assert next_attempt(5, 60.0) == 1  # it had been working for a minute: 1 s again
    assert restart_delay(next_attempt(5, 3600)) == 1


def test_exit_codes_read_as_the_operator_reads_them():
    assert describe_exit(0) == "code de sortie 0"
    assert describe_exit(3) == "code de sortie 3"
    assert describe_exit(-9) == "tué par SIGKILL, code de sortie -9"
    assert describe_exit(-15) == "tué par SIGTERM, code de sortie -15"
