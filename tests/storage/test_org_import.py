"""Org-chart import: idempotent, updates in place, and refuses a bad file naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from handlers.org_import import import_org_file
from storage import migrate
from storage import org_chart as org_repo
from storage.db import Database, make_engine
from storage.models import Cadre, Courtyard, CourtyardAlias
from storage.orgfile import OrgFileError, parse_org_chart

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'org.db'}")
    migrate.upgrade(engine)
    return Database(engine)


def aliases(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        rows = session.exec(select(CourtyardAlias, Courtyard).join(Courtyard)).all()
        return {alias.alias: yard.name for alias, yard in rows}


def test_import_twice_changes_nothing(db: Database) -> None:
    first = import_org_file(db=db, path=DATA / "org_small.yaml")
    with db.transaction() as session:
        revision = org_repo.org_revision(session=session)
    second = import_org_file(db=db, path=DATA / "org_small.yaml")
    assert first.changed and not second.changed
    assert (first.courtyards, first.cadres) == (1, 4)
    with db.transaction() as session:
        assert org_repo.org_revision(session=session) == revision
        assert len(session.exec(select(Cadre)).all()) == 4
    assert aliases(db) == {"桂花小区": "桂花苑", "桂花院子": "桂花苑"}


def test_renamed_alias_and_removed_cadre_update(db: Database, tmp_path: Path) -> None:
    import_org_file(db=db, path=DATA / "org_small.yaml")
    changed = (DATA / "org_small.yaml").read_text(encoding="utf-8")
    changed = changed.replace("桂花院子", "桂花大院").replace("          - {name: 孙静, role: courtyard}\n", "")
    path = tmp_path / "org2.yaml"
    path.write_text(changed, encoding="utf-8")
    assert import_org_file(db=db, path=path).changed
    assert aliases(db) == {"桂花小区": "桂花苑", "桂花大院": "桂花苑"}
    with db.transaction() as session:
        sun = session.exec(select(Cadre).where(Cadre.name == "孙静")).one()
        assert not sun.active
        assert [c.name for c in org_repo.responsible_cadres(session=session, courtyard_id=sun.courtyard_id)] == [
            "李芳",
            "王明",
            "赵强",
        ]


def test_openid_can_move_between_cadres(db: Database, tmp_path: Path) -> None:
    import_org_file(db=db, path=DATA / "org_small.yaml")
    text = (DATA / "org_small.yaml").read_text(encoding="utf-8")
    text = text.replace("openid: o_lifang}", "}").replace(
        "{name: 孙静, role: courtyard}", "{name: 孙静, openid: o_lifang}"
    )
    path = tmp_path / "moved.yaml"
    path.write_text(text, encoding="utf-8")
    import_org_file(db=db, path=path)
    with db.transaction() as session:
        assert org_repo.active_cadre_by_openid(session=session, openid="o_lifang").name == "孙静"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("communities: []\n", 1, "town"),
        ("town: 柳街镇\ncommunities:\n  - cadres: []\n", 3, "name"),
        (
            "town: 柳街镇\ncommunities:\n  - name: A社区\n    courtyards:\n      - name: 桂花苑\n"
            "      - name: 银杏院\n        aliases: [桂花苑]\n",
            6,
            "已在第 5 行用过",
        ),
        (
            "town: 柳街镇\ncommunities:\n  - name: A社区\n    cadres:\n      - {name: 王明}\n"
            "town_cadres:\n  - {name: 王明}\n",
            7,
            "已在第 5 行列出",
        ),
        ("town: 柳街镇\ncommunities:\n  - name: A社区\n    cadres:\n      - {name: 王明, role: mayor}\n", 5, "mayor"),
        ("town: [unclosed\n", 2, "YAML"),
        (
            "town: 柳街镇\ncommunities:\n  - name: A社区\n    courtyards:\n      - name: 桂花苑\n"
            "        location: {lat: 99, lon: 0}\n",
            5,
            "不在地球上",
        ),
    ],
)
def test_bad_files_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(OrgFileError) as caught:
        parse_org_chart(text, source="org.yaml")
    assert f"org.yaml:{line}:" in str(caught.value)
    assert words in str(caught.value)


def test_bad_file_imports_nothing(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "town: 柳街镇\ncommunities:\n  - name: A社区\n    courtyards:\n      - name: 桂花苑\n      - name: 桂花苑\n",
        encoding="utf-8",
    )
    with pytest.raises(OrgFileError):
        import_org_file(db=db, path=path)
    with db.transaction() as session:
        assert not org_repo.has_org_chart(session=session)
