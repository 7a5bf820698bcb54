"""附议 candidates come from an index on (courtyard, problem key, filed at), not from the courtyard's backlog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from handlers.messages import Inbound
from storage import tickets as ticket_repo
from storage.models import Ticket
from tests.support.chat import number_in
from tests.support.usecase import open_chat


def test_a_neighbour_finds_the_ticket_behind_a_backlog(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    first = number_in(chat.say("o_first", "桂花苑3栋门口的路灯坏了，晚上黑黢黢的"))
    # More open tickets of the same courtyard, filed later, than the old scan ever looked at (50).
    for building in range(4, 64):
        chat.later(minutes=1)
        assert number_in(chat.say(f"o_n{building}", f"桂花苑{building}栋的化粪池堵了，臭得很")) != first
    chat.later(minutes=1)
    seconded = chat.say("o_second", "桂花小区3栋路灯不亮了")
    assert number_in(seconded) == first and "共 2 位居民反映" in seconded


def test_tickets_carry_their_problem_keys(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    n = number_in(chat.say("o_a", "桂花苑5栋2单元的化粪池堵了，臭得很"))
    ticket = chat.ticket(n)
    assert ticket.problem_key and ticket.problem_key_bare
    assert (ticket.building_no, ticket.unit_no) == (5, 2)
    other = number_in(chat.say("o_b", "桂花苑6栋2单元的化粪池堵了，臭得很"))
    assert other != n  # another building: not the same place
    assert number_in(chat.say("o_c", "桂花小区5栋2单元化粪池堵起了")) == n


def test_a_ticket_filed_before_keys_existed_is_still_found(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    n = number_in(chat.say("o_a", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    with chat.db.transaction() as session:  # as the migration leaves a ticket of the week before it
        ticket = session.get(Ticket, n)
        assert ticket is not None
        ticket.problem_key = ticket.problem_key_bare = None
        ticket.building_no = ticket.unit_no = None
        session.add(ticket)
    chat.later(minutes=40)
    seconded = chat.say("o_b", "桂花小区门口那个路灯不亮了")
    assert number_in(seconded) == n and "共 2 位居民反映" in seconded


def test_a_photo_ticket_is_keyed_too(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    inbound = Inbound(openid="o_p", kind="image", key="img1", sent_at=chat.clock(), picture_url="http://x/1.jpg")
    photo = chat.conversation.handle(inbound)
    assert chat.ticket(number_in(photo)).problem_key is not None  # found by its key, not as an unkeyed one


def test_a_building_reads_only_its_own_tickets_and_those_naming_none(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    first = number_in(chat.say("o_first", "桂花苑3栋门口的路灯坏了，晚上黑黢黢的"))
    # More tickets about the same problem at other buildings, filed later, than one seek takes (20).
    for building in range(4, 30):
        chat.later(minutes=1)
        assert number_in(chat.say(f"o_n{building}", f"桂花苑{building}栋门口的路灯坏了")) != first
    chat.later(minutes=1)
    nowhere = number_in(chat.say("o_nowhere", "桂花苑门口的路灯坏了，晚上黑黢黢的"))
    seen = chat.ticket(first)
    assert seen.courtyard_id is not None and seen.problem_key_bare
    problem = ticket_repo.ProblemAt(key="", bare_key=seen.problem_key_bare, building_no=3, unit_no=None)
    since = chat.clock() - timedelta(days=7)
    executed: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        executed.append((statement, params))

    event.listen(chat.db.engine, "before_cursor_execute", keep)
    with chat.db.transaction() as session:
        found = ticket_repo.duplicate_candidates(
            session=session, courtyard_id=seen.courtyard_id, since=since, problem=problem, urgent_only=False
        )
    event.remove(chat.db.engine, "before_cursor_execute", keep)
    assert {t.building_no for t in found} <= {3, None} and first in {t.id for t in found}
    if chat.db.engine.dialect.name == "sqlite":
        # Each branch seeks on the courtyard, the key and the building: no other building's tickets are read.
        statement, params = next((s, p) for s, p in executed if "problem_key_bare" in s)
        with chat.db.engine.connect() as connection:
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
        seeks = [step for step in plan if "ix_ticket_problem" in step]
        assert seeks and all("building_no" in step for step in seeks), plan
    assert nowhere != first
