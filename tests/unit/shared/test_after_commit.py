"""`after_commit`: what a use case asks to run once its caller's transaction has committed."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from shared.db import after_commit, session_factory, transaction


@pytest.fixture
def factory():
    return session_factory(create_engine("sqlite://"))


def test_runs_once_after_the_commit_in_order(factory):
    ran: list[str] = []
    with transaction(factory) as session:
        session.execute(text("select 1"))
        after_commit(session, lambda: ran.append("first"))
        after_commit(session, lambda: ran.append("second"))
        assert ran == []
    assert ran == ["first", "second"]


def test_never_runs_when_the_transaction_rolls_back(factory):
    ran: list[str] = []
    with pytest.raises(RuntimeError), transaction(factory) as session:
        session.execute(text("select 1"))
        after_commit(session, lambda: ran.append("rolled back"))
        raise RuntimeError
    assert ran == []


def test_a_session_used_again_runs_only_what_its_new_transaction_asked(factory):
    ran: list[str] = []
    with factory() as session:
        with session.begin():
            session.execute(text("select 1"))
            after_commit(session, lambda: ran.append("lost"))
            session.rollback()
        with session.begin():
            session.execute(text("select 1"))
            after_commit(session, lambda: ran.append("kept"))
    assert ran == ["kept"]


def test_a_key_asks_once_per_transaction_and_a_rollback_forgets_it(factory):
    """An erasure asks for the WAL truncation once per person: it runs once per commit, and a
    rolled-back request does not stop the next transaction from asking again."""
    ran: list[str] = []
    with factory() as session:
        with pytest.raises(RuntimeError), session.begin():
            session.execute(text("select 1"))
            after_commit(session, lambda: ran.append("rolled back"), key="truncate")
            raise RuntimeError
        with session.begin():
            session.execute(text("select 1"))
            for _ in range(3):
                after_commit(session, lambda: ran.append("truncate"), key="truncate")
    assert ran == ["truncate"]
