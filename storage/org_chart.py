"""Org-chart repository: idempotent import of an OrgChart and the look-ups routing needs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, update
from sqlmodel import Session, SQLModel, col, select

from storage.models import Cadre, Community, Courtyard, CourtyardAlias, Role, Town
from storage.orgfile import CadreSpec, OrgChart


@dataclass(frozen=True)
class ImportResult:
    """What an org import changed."""

    town: str
    communities: int
    courtyards: int
    cadres: int
    changed: bool
    removed: tuple[int, ...] = ()  # cadres this import took out of the chart


@dataclass(frozen=True)
class CourtyardNames:
    """A courtyard's name, aliases and coordinates, for building the gazetteer."""

    name: str
    aliases: tuple[str, ...]
    lat: float | None
    lon: float | None


def _assign(row: object, **values: object) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def import_org(*, session: Session, chart: OrgChart, now: datetime) -> ImportResult:
    """Create or update the org chart; importing the same chart twice changes nothing."""
    changed = False
    town = session.exec(select(Town).where(Town.name == chart.town)).first()
    if town is None:
        town = Town(name=chart.town, imported_at=now)
        session.add(town)
        session.flush()
        changed = True
    assert town.id is not None
    changed |= _assign(town, policy=json.dumps(dict(chart.policy), ensure_ascii=False, sort_keys=True))

    courtyard_ids: dict[str, int] = {}
    community_ids: dict[str, int] = {}
    for spec in chart.communities:
        community = session.exec(select(Community).where(Community.name == spec.name)).first()
        if community is None:
            community = Community(name=spec.name, town_id=town.id)
            session.add(community)
            changed = True
        changed |= _assign(community, town_id=town.id)
        session.flush()
        assert community.id is not None
        community_ids[spec.name] = community.id
        for yard_spec in spec.courtyards:
            yard = session.exec(select(Courtyard).where(Courtyard.name == yard_spec.name)).first()
            if yard is None:
                yard = Courtyard(name=yard_spec.name, community_id=community.id)
                session.add(yard)
                changed = True
            changed |= _assign(
                yard,
                community_id=community.id,
                households=yard_spec.households,
                lat=yard_spec.lat,
                lon=yard_spec.lon,
            )
            session.flush()
            assert yard.id is not None
            courtyard_ids[yard_spec.name] = yard.id

    changed |= _sync_aliases(session, chart, courtyard_ids)
    cadres_changed, removed = _sync_cadres(session, chart, town.id, community_ids, courtyard_ids)
    changed |= cadres_changed
    if changed:
        town.revision += 1
        _changed_here(session)
    session.flush()
    return ImportResult(
        town=chart.town,
        communities=len(chart.communities),
        courtyards=len(courtyard_ids),
        cadres=len(chart.town_cadres)
        + sum(len(c.cadres) + sum(len(y.cadres) for y in c.courtyards) for c in chart.communities),
        changed=changed,
        removed=removed,
    )


def _sync_aliases(session: Session, chart: OrgChart, courtyard_ids: dict[str, int]) -> bool:
    wanted = {alias: courtyard_ids[y.name] for y in chart.courtyards() for alias in y.aliases}
    existing = session.exec(
        select(CourtyardAlias).where(col(CourtyardAlias.courtyard_id).in_(list(courtyard_ids.values())))
    ).all()
    changed = False
    for row in existing:  # drop first, so an alias can move between courtyards in one import
        if wanted.get(row.alias) != row.courtyard_id:
            session.delete(row)
            changed = True
    session.flush()
    kept = {row.alias for row in existing if wanted.get(row.alias) == row.courtyard_id}
    for alias, yard_id in wanted.items():
        if alias not in kept:
            stale = session.exec(select(CourtyardAlias).where(CourtyardAlias.alias == alias)).first()
            if stale is not None:  # the alias belonged to a courtyard no longer in the chart
                session.delete(stale)
                session.flush()
            session.add(CourtyardAlias(alias=alias, courtyard_id=yard_id))
            changed = True
    return changed


def _sync_cadres(
    session: Session,
    chart: OrgChart,
    town_id: int,
    community_ids: dict[str, int],
    courtyard_ids: dict[str, int],
) -> tuple[bool, tuple[int, ...]]:
    """Bring the town's cadres in line with the chart; whether anything changed, and who was removed."""
    placements: list[tuple[CadreSpec, int | None, int | None]] = [(c, None, None) for c in chart.town_cadres]
    for community in chart.communities:
        placed_in = community_ids[community.name]
        placements += [(c, placed_in, None) for c in community.cadres]
        for yard in community.courtyards:
            placements += [(c, placed_in, courtyard_ids[yard.name]) for c in yard.cadres]

    rows = {row.name: row for row in session.exec(select(Cadre).where(Cadre.town_id == town_id)).all()}
    changed = False
    listed = {spec.name for spec, _, _ in placements}
    removed: list[int] = []
    for name, row in rows.items():
        if name not in listed and row.active:  # removed from the chart: loses access at once
            changed |= _assign(row, active=False, openid=None)
            removed += [row.id] if row.id is not None else []
    # Free openids that move between cadres before assigning them, or the unique index would trip.
    new_openids = {spec.openid for spec, _, _ in placements if spec.openid}
    for row in rows.values():
        if row.openid in new_openids and all(s.name != row.name or s.openid != row.openid for s, _, _ in placements):
            row.openid = None
            changed = True
    session.flush()
    for spec, community_id, courtyard_id in placements:
        found = rows.get(spec.name) or session.exec(select(Cadre).where(Cadre.name == spec.name)).first()
        if found is None:
            found = Cadre(name=spec.name, role=spec.role, town_id=town_id)
            session.add(found)
            changed = True
        values: dict[str, object] = dict(
            role=spec.role,
            town_id=town_id,
            community_id=community_id,
            courtyard_id=courtyard_id,
            phone=spec.phone,
            active=True,
        )
        if spec.openid is not None:  # a cadre without an openid in the file keeps the one they bound by code
            values["openid"] = spec.openid
        changed |= _assign(found, **values)
    session.flush()
    return changed, tuple(removed)


_REVISION_READ = "courtyard.org_revision"  # session.info: the revision this transaction read
_CHANGED_HERE = "courtyard.org_changed"  # session.info: this transaction changed the org chart


def _changed_here(session: Session) -> None:
    session.info.pop(_REVISION_READ, None)
    session.info[_CHANGED_HERE] = True


def bump_revision(*, session: Session) -> None:
    """Say the org chart changed (a cadre bound or lost an account): every process reads it again on
    its next message."""
    session.execute(update(Town).values(revision=col(Town.revision) + 1))
    _changed_here(session)


def changed_here(*, session: Session) -> bool:
    """Whether this transaction changed the org chart (what it reads of it may still be rolled back)."""
    return bool(session.info.get(_CHANGED_HERE))


def org_revision(*, session: Session) -> int:
    """A number that grows whenever the org chart changes (0 when there is none); read once per
    transaction (a writing transaction holds it still; a change through this session forgets it)."""
    known = session.info.get(_REVISION_READ)
    if known is None:
        known = int(session.exec(_REVISION).one())
        session.info[_REVISION_READ] = known
    return int(known)


def note_revision(*, session: Session, revision: int) -> None:
    """The revision as a statement of this transaction read it (storage.first_look): not read again."""
    session.info.setdefault(_REVISION_READ, revision)


def courtyard_names(*, session: Session) -> list[CourtyardNames]:
    aliases: dict[int, list[str]] = {}
    for alias in session.exec(select(CourtyardAlias).order_by(col(CourtyardAlias.id))).all():
        aliases.setdefault(alias.courtyard_id, []).append(alias.alias)
    return [
        CourtyardNames(name=y.name, aliases=tuple(aliases.get(y.id or 0, ())), lat=y.lat, lon=y.lon)
        for y in session.exec(select(Courtyard).order_by(col(Courtyard.id))).all()
    ]


def other_names(*, session: Session) -> list[str]:
    """Community and cadre names, for the segmenter's dictionary."""
    return list(session.exec(select(Community.name)).all()) + list(
        session.exec(select(Cadre.name).where(col(Cadre.active))).all()
    )


# Built once: the webhook asks these for every message.
_COURTYARD_BY_NAME = select(Courtyard).where(Courtyard.name == bindparam("name"))
_ACTIVE_CADRE_BY_OPENID = select(Cadre).where(Cadre.openid == bindparam("openid"), col(Cadre.active))
_REVISION = select(func.coalesce(func.sum(Town.revision), 0))


def courtyard_by_name(*, session: Session, name: str) -> Courtyard | None:
    return session.exec(_COURTYARD_BY_NAME, params={"name": name}).first()


def get_courtyard(*, session: Session, courtyard_id: int | None) -> Courtyard | None:
    """The courtyard, or None (also for a ticket or person without one)."""
    return session.get(Courtyard, courtyard_id) if courtyard_id is not None else None


def get_cadre(*, session: Session, cadre_id: int | None) -> Cadre | None:
    """The cadre, or None (also for an unassigned ticket)."""
    return session.get(Cadre, cadre_id) if cadre_id is not None else None


def active_cadre_by_openid(*, session: Session, openid: str) -> Cadre | None:
    return session.exec(_ACTIVE_CADRE_BY_OPENID, params={"openid": openid}).first()


@dataclass(frozen=True)
class OrgView:
    """The org chart of one revision as the webhook looks it up: courtyards by name and id, the active
    cadres and their accounts. Its rows are copies that belong to no session: read them, never add them."""

    revision: int
    courtyards: dict[int, Courtyard]
    by_name: dict[str, Courtyard]
    cadres: tuple[Cadre, ...]  # active, by id
    cadre_openids: frozenset[str]

    def courtyard(self, courtyard_id: int | None) -> Courtyard | None:
        return self.courtyards.get(courtyard_id) if courtyard_id is not None else None

    def cadre(self, cadre_id: int | None) -> Cadre | None:
        """An active cadre by id (None also for a cadre no longer active: look them up in the database)."""
        return next((c for c in self.cadres if c.id == cadre_id), None) if cadre_id is not None else None

    def town(self) -> list[Cadre]:
        return [c for c in self.cadres if c.role == Role.TOWN]

    def responsible(self, courtyard_id: int | None) -> list[Cadre]:
        """responsible_cadres, from this revision's chart."""
        yard = self.courtyard(courtyard_id)
        if yard is None:
            return self.town()
        community = yard.community_id
        return (
            [c for c in self.cadres if c.courtyard_id == yard.id]
            + [c for c in self.cadres if c.role == Role.COMMUNITY and c.community_id == community]
            + self.town()
        )


def org_view(*, session: Session, revision: int) -> OrgView:
    """Read the org chart's courtyards and active cadres (a few hundred rows) as revision has them."""
    yard_table, cadre_table = SQLModel.metadata.tables["courtyard"], SQLModel.metadata.tables["cadre"]
    yards = {row.id: Courtyard(**row._asdict()) for row in session.execute(yard_table.select()).all()}
    active = cadre_table.select().where(cadre_table.c.active).order_by(cadre_table.c.id)
    cadres = tuple(Cadre(**row._asdict()) for row in session.execute(active).all())
    return OrgView(
        revision=revision,
        courtyards=yards,
        by_name={y.name: y for y in yards.values()},
        cadres=cadres,
        cadre_openids=frozenset(c.openid for c in cadres if c.openid),
    )


def responsible_cadres(*, session: Session, courtyard_id: int | None) -> list[Cadre]:
    """Who answers for a courtyard, nearest level first: its cadres, its community's, then the town's.

    With no courtyard known, the town cadres (triage) come first.
    """
    yard = session.get(Courtyard, courtyard_id) if courtyard_id is not None else None
    if yard is None:
        return list(town_cadres(session=session))
    community = yard.community_id

    def of_community(c: Cadre) -> bool:
        return community is not None and c.community_id == community and c.role == Role.COMMUNITY

    # One query for the three levels, split here as three queries would return them.
    rows = session.exec(
        select(Cadre)
        .where(
            col(Cadre.active),
            or_(
                col(Cadre.courtyard_id) == yard.id,
                and_(col(Cadre.community_id) == community, col(Cadre.role) == Role.COMMUNITY),
                col(Cadre.role) == Role.TOWN,
            ),
        )
        .order_by(col(Cadre.id))
    ).all()
    return (
        [c for c in rows if c.courtyard_id == yard.id]
        + [c for c in rows if of_community(c)]
        + [c for c in rows if c.role == Role.TOWN]
    )


def has_org_chart(*, session: Session) -> bool:
    return session.exec(select(Town.id)).first() is not None


def cadre_by_name(*, session: Session, name: str) -> Cadre | None:
    return session.exec(select(Cadre).where(Cadre.name == name, col(Cadre.active))).first()


def cadre_by_invite_code(*, session: Session, code: str) -> Cadre | None:
    return session.exec(select(Cadre).where(Cadre.invite_code == code, col(Cadre.active))).first()


def set_invite(*, session: Session, cadre: Cadre, code: str, expires_at: datetime) -> None:
    cadre.invite_code, cadre.invite_expires_at = code, expires_at
    session.add(cadre)
    session.flush()


def bind_openid(*, session: Session, cadre: Cadre, openid: str) -> Cadre | None:
    """Give cadre this openid and use up their invitation; returns the cadre who held it before, if any."""
    previous = session.exec(select(Cadre).where(Cadre.openid == openid, Cadre.id != cadre.id)).first()
    if previous is not None:
        previous.openid = None
        session.add(previous)
        session.flush()
    cadre.openid, cadre.invite_code, cadre.invite_expires_at = openid, None, None
    session.add(cadre)
    session.flush()
    bump_revision(session=session)
    return previous


def community_cadres(*, session: Session, community_id: int) -> Sequence[Cadre]:
    return session.exec(
        select(Cadre)
        .where(Cadre.community_id == community_id, Cadre.role == Role.COMMUNITY, col(Cadre.active))
        .order_by(col(Cadre.id))
    ).all()


def town_cadres(*, session: Session) -> Sequence[Cadre]:
    return session.exec(select(Cadre).where(Cadre.role == Role.TOWN, col(Cadre.active)).order_by(col(Cadre.id))).all()


def get_community(*, session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def policy_document(*, session: Session) -> dict[str, object]:
    """The `policy:` section of the imported org chart ({} when there is none)."""
    text = session.exec(select(Town.policy).order_by(col(Town.id))).first()
    return dict(json.loads(text)) if text else {}


def cadres_with_role(*, session: Session, role: Role) -> Sequence[Cadre]:
    return session.exec(select(Cadre).where(Cadre.role == role, col(Cadre.active)).order_by(col(Cadre.id))).all()


def courtyard_name_of(*, session: Session, courtyard_id: int | None) -> str | None:
    yard = get_courtyard(session=session, courtyard_id=courtyard_id)
    return yard.name if yard else None


def courtyards_in(*, session: Session, community_id: int | None) -> Sequence[Courtyard]:
    """The courtyards of one community, or of the whole town when community_id is None."""
    query = select(Courtyard).order_by(col(Courtyard.id))
    if community_id is not None:
        query = query.where(Courtyard.community_id == community_id)
    return session.exec(query).all()


def cadres_in(*, session: Session, community_id: int | None) -> Sequence[Cadre]:
    """Active cadres of one community (its courtyards included) and the town's, or every cadre when None."""
    query = select(Cadre).where(col(Cadre.active)).order_by(col(Cadre.id))
    if community_id is not None:
        query = query.where(or_(col(Cadre.community_id) == community_id, col(Cadre.role) == Role.TOWN))
    return session.exec(query).all()
