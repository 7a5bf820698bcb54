"""Seeding a ledger with tickets at chosen moments (statistics tests need exact times, not today's)."""

from __future__ import annotations

from datetime import datetime

from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.db import Database
from storage.models import Ticket, TicketStatus


def seed(
    db: Database,
    *,
    courtyard: str,
    text: str,
    created_at: datetime,
    resident: str | None = None,
    category: str = "城乡建设",
    status: TicketStatus = TicketStatus.NEW,
    accepted_at: datetime | None = None,
    resolved_at: datetime | None = None,
    due_at: datetime | None = None,
    satisfaction: str | None = None,
    urgent: bool = False,
    overdue: bool = False,
    assignee: str | None = None,
) -> int:
    """File one ticket in courtyard (assigned to its cadre) with the given facts; its number."""
    with db.transaction() as session:
        place = org_repo.courtyard_by_name(session=session, name=courtyard)
        assert place is not None and place.id is not None, courtyard
        cadre = (
            org_repo.cadre_by_name(session=session, name=assignee)
            if assignee
            else org_repo.responsible_cadres(session=session, courtyard_id=place.id)[0]
        )
        assert cadre is not None
        resident_id = None
        if resident:
            resident_id = ticket_repo.touch_resident(session=session, openid=resident, now=created_at).id
        ticket = Ticket(
            text=text,
            category=category,
            confidence=0.9,
            urgent=urgent,
            urgent_reason="燃气泄漏" if urgent else None,
            status=status,
            resident_id=resident_id,
            courtyard_id=place.id,
            community_id=place.community_id,
            assignee_id=cadre.id,
            created_at=created_at,
            updated_at=created_at,
            accepted_at=accepted_at,
            resolved_at=resolved_at,
            closed_at=resolved_at if status == TicketStatus.CLOSED else None,
            due_at=due_at,
            satisfaction=satisfaction,
            overdue=overdue,
            assigned_at=created_at,
        )
        ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident or cadre.name)
        assert ticket.id is not None
        return ticket.id
