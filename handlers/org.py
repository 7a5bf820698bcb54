"""Loading the org chart: parse the YAML fully, then import it in one transaction (all or nothing)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from handlers.policy import Policy, PolicyError, parse_policy
from storage import org as org_repo
from storage.clock import utc_now
from storage.db import Database
from storage.orgfile import OrgFileError, load_org_chart


def import_org_file(*, db: Database, path: Path, now: datetime | None = None) -> org_repo.ImportResult:
    """Import path; raises storage.orgfile.OrgFileError naming the line or field, with nothing imported."""
    now = now or utc_now()
    chart = load_org_chart(path)
    try:
        parse_policy(chart.policy)
    except PolicyError as exc:
        raise OrgFileError(f"{path}: {exc}") from None
    with db.transaction() as session:
        return org_repo.import_org(session=session, chart=chart, now=now)


def load_policy(*, db: Database) -> Policy:
    """The policy of the imported org chart; raises PolicyError naming the field of a bad value."""
    with db.transaction() as session:
        return parse_policy(org_repo.policy_document(session=session))


def has_org_chart(*, db: Database) -> bool:
    with db.transaction() as session:
        return org_repo.has_org_chart(session=session)
