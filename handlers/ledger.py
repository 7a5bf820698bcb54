"""The ledger (台账) as a table for leaders: one row per ticket, in the words and time zone they use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo

from sqlmodel import Session

from handlers import texts
from storage import ledger_query
from storage import tickets as ticket_repo
from storage.ledger_query import LedgerEntry, LedgerQuery, Scope

Cell = str | int | datetime | None

COLUMNS = (
    "编号", "状态", "类别", "紧急", "紧急原因", "社区", "院落", "负责人", "来源", "反映人数",
    "反映时间", "受理时间", "截止时间", "办结时间", "完结时间", "超期", "评价", "内容",
)  # fmt: skip


def ledger_rows(*, session: Session, tz: tzinfo) -> Iterator[tuple[Cell, ...]]:
    """Every ticket in number order; times are local wall-clock times without a zone (as spreadsheets want)."""
    return rows(ticket_repo.ledger(session=session), tz)


def filtered_rows(
    *, session: Session, tz: tzinfo, query: LedgerQuery, scope: Scope, now: datetime
) -> Iterator[tuple[Cell, ...]]:
    """The tickets of a ledger page's filter that scope may see, in the page's order."""
    return rows(ledger_query.entries(session=session, query=query, scope=scope, now=now), tz)


def rows(entries: Iterable[LedgerEntry], tz: tzinfo) -> Iterator[tuple[Cell, ...]]:
    """Ledger entries as spreadsheet rows of COLUMNS."""

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz).replace(tzinfo=None, microsecond=0) if moment else None

    for entry in entries:
        yield (
            entry.id,
            texts.STATUS_NAMES[entry.status],
            texts.category_label(entry.category),
            "是" if entry.urgent else "",
            entry.urgent_reason or "",
            entry.community or "",
            entry.courtyard or texts.UNKNOWN_COURTYARD_NAME,
            entry.assignee or "",
            "干部代录" if entry.entered_by_cadre else "居民反映",
            1 + entry.endorsements,
            local(entry.created_at),
            local(entry.accepted_at),
            local(entry.due_at),
            local(entry.resolved_at),
            local(entry.closed_at),
            "是" if entry.overdue else "",
            texts.SATISFACTION_NAMES.get(entry.satisfaction or "", ""),
            entry.text,
        )
