"""The ledger page's filters: read from the query string, checked (a bad value is a 400, never a query),
and written back into links for paging, sorting and exporting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from handlers import texts
from handlers.stats import EARLIEST
from nlp import CATEGORIES, OTHER
from storage import ledger_query
from storage.ledger_query import SORTABLE, LedgerQuery, Option

STATUS_NAMES: Mapping[str, str] = texts.STATUS_NAMES
SATISFACTION_NAMES: Mapping[str, str] = texts.SATISFACTION_NAMES
MAX_PAGE = 1_000_000
MAX_SEARCH_CHARS = 100
FIELDS = (
    "status",
    "category",
    "community",
    "courtyard",
    "assignee",
    "urgent",
    "overdue",
    "from",
    "to",
    "q",
    "sort",
    "dir",
)


class FilterError(ValueError):
    """A filter value the page cannot use; the message says which, in Chinese."""


@dataclass(frozen=True)
class LedgerForm:
    """The filters as asked (to fill the form again) and as a query."""

    values: dict[str, str]
    query: LedgerQuery
    search: str

    @property
    def query_string(self) -> str:
        """The filters (without the page) for links."""
        return urlencode({k: v for k, v in self.values.items() if v})

    def with_sort(self, column: str) -> str:
        """A query string sorting by column, flipping the direction when it is already the sort."""
        current = self.values.get("sort") or "id"
        descending = self.values.get("dir", "desc") != "asc"
        direction = "asc" if column == current and descending else "desc"
        values = {k: v for k, v in self.values.items() if v} | {"sort": column, "dir": direction}
        return urlencode(values)


@dataclass(frozen=True)
class Options:
    """The choices the filter form offers."""

    statuses: list[tuple[str, str]]
    categories: list[str]
    communities: list[Option]
    courtyards: list[Option]
    cadres: list[Option]
    category_names: dict[str, str] = field(default_factory=dict)


def options(*, session: Session) -> Options:
    return Options(
        statuses=list(STATUS_NAMES.items()),
        categories=[*CATEGORIES, OTHER],
        communities=ledger_query.communities(session=session),
        courtyards=[o for o, _ in ledger_query.courtyards(session=session)],
        cadres=ledger_query.cadres(session=session),
        category_names={c: texts.category_label(c) for c in [*CATEGORIES, OTHER]},
    )


def _id(values: Mapping[str, str], name: str, label: str) -> int | None:
    raw = values.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise FilterError(f"“{label}”筛选的值无效，请从列表中选择。")
    return int(raw)


def _yes_no(values: Mapping[str, str], name: str, label: str) -> bool | None:
    raw = values.get(name, "")
    if raw not in ("", "yes", "no"):
        raise FilterError(f"“{label}”筛选只能是“是”或“否”。")
    return None if not raw else raw == "yes"


def _day(raw: str, label: str, today: date) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"“{label}”应为 YYYY-MM-DD 格式的日期。") from None
    if day < EARLIEST or day > today + timedelta(days=366):
        raise FilterError(f"“{label}”应在 {EARLIEST} 至明年之间。")
    return day


def parse(raw: Any, *, tz: tzinfo, today: date) -> LedgerForm:
    """The ledger filters of a query string (bottle's FormsDict or a dict); FilterError on a bad value."""
    values = {name: _get(raw, name) for name in FIELDS}
    statuses = (
        tuple(raw.getall("status")) if hasattr(raw, "getall") else ((values["status"],) if values["status"] else ())
    )
    statuses = tuple(s for s in statuses if s)
    if any(s not in STATUS_NAMES for s in statuses):
        raise FilterError("“状态”筛选的值无效，请从列表中选择。")
    category = values["category"] or None
    if category is not None and category not in (*CATEGORIES, OTHER):
        raise FilterError("“类别”筛选的值无效，请从列表中选择。")
    first, last = _day(values["from"], "起始日期", today), _day(values["to"], "截止日期", today)
    if first and last and last < first:
        raise FilterError("截止日期早于起始日期。")
    sort = values["sort"] or "id"
    if sort not in SORTABLE:
        raise FilterError("无法按这一列排序。")
    if values["dir"] not in ("", "asc", "desc"):
        raise FilterError("排序方向只能是升序或降序。")
    search = values["q"].strip()
    if len(search) > MAX_SEARCH_CHARS:
        raise FilterError(f"搜索内容太长，请少于 {MAX_SEARCH_CHARS} 个字。")
    query = LedgerQuery(
        statuses=statuses,
        category=category,
        community_id=_id(values, "community", "社区"),
        courtyard_id=_id(values, "courtyard", "院落"),
        assignee_id=_id(values, "assignee", "负责人"),
        urgent=_yes_no(values, "urgent", "紧急"),
        overdue=_yes_no(values, "overdue", "超期"),
        created_from=datetime.combine(first, time(), tzinfo=tz) if first else None,
        created_to=datetime.combine(last + timedelta(days=1), time(), tzinfo=tz) if last else None,
        sort=sort,
        descending=values["dir"] != "asc",
    )
    values["status"] = statuses[0] if len(statuses) == 1 else ""
    return LedgerForm(values=values, query=query, search=search)


def _get(raw: Any, name: str) -> str:
    value = raw.getunicode(name, default="") if hasattr(raw, "getunicode") else raw.get(name, "")
    return str(value or "")[:200]


def page_number(raw: str) -> int:
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw[:9]) <= MAX_PAGE:
        raise FilterError("页码应为正整数。")
    return int(raw)
