"""Loading the org chart: parse the YAML fully, then import it in one transaction (all or nothing)."""

from __future__ import annotations

from pathlib import Path

from storage import org as org_repo
from storage.db import Database
from storage.orgfile import load_org_chart


def import_org_file(*, db: Database, path: Path) -> org_repo.ImportResult:
    """Import path; raises storage.orgfile.OrgFileError naming the line, with nothing imported."""
    chart = load_org_chart(path)
    with db.transaction() as session:
        return org_repo.import_org(session=session, chart=chart)


def has_org_chart(*, db: Database) -> bool:
    with db.transaction() as session:
        return org_repo.has_org_chart(session=session)
