"""Binding a cadre's WeChat account: one-time invitation codes and the `绑定 CODE` message."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers import texts
from handlers.commands import Audience, Call, ChatCommand, Numbers
from storage import guards
from storage import org_chart as org_repo
from storage.db import Database
from storage.models import Cadre

INVITE_VALID_FOR = timedelta(days=3)
# Guessing a code: a few wrong ones per person an hour, and a cap on everybody's together (a spray
# from many accounts). 31^8 codes: at these rates a guess succeeds about never.
WRONG_CODES_PER_PERSON = 5
PERSON_WINDOW = timedelta(hours=1)
WRONG_CODES_OVERALL = 30
OVERALL_WINDOW = timedelta(minutes=10)
# No 0/O or 1/I/L: the code is read off a screen and typed on a phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8

log = logging.getLogger(__name__)


class UnknownCadre(LookupError):
    """No active cadre has that name."""


def invite(*, db: Database, name: str, now: datetime) -> tuple[str, datetime]:
    """A fresh one-time code for the named cadre (replacing any earlier one) and when it expires."""
    with db.transaction() as session:
        cadre = org_repo.cadre_by_name(session=session, name=name)
        if cadre is None:
            raise UnknownCadre(name)
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        expires_at = now + INVITE_VALID_FOR
        org_repo.set_invite(session=session, cadre=cadre, code=code, expires_at=expires_at)
        return code, expires_at


def bind(*, session: Session, openid: str, code: str, now: datetime) -> str:
    """Bind openid to the cadre holding code; the cadre's earlier account loses access at once."""
    code = code.strip().upper()
    if not code:
        return texts.BIND_NEEDS_CODE
    if guards.bind_failures_since(session=session, since=now - PERSON_WINDOW, openid=openid) >= WRONG_CODES_PER_PERSON:
        return texts.BIND_TOO_MANY
    if guards.bind_failures_since(session=session, since=now - OVERALL_WINDOW) >= WRONG_CODES_OVERALL:
        log.warning("绑定 refused to everybody: %d wrong codes in %s", WRONG_CODES_OVERALL, OVERALL_WINDOW)
        return texts.BIND_BUSY
    cadre = org_repo.cadre_by_invite_code(session=session, code=code)
    bound = org_repo.active_cadre_by_openid(session=session, openid=openid)
    if bound is not None and (cadre is None or cadre.id == bound.id):  # e.g. the code they already used, again
        return texts.ALREADY_BOUND.format(
            name=bound.name, place=_place(session, bound), role=texts.ROLE_NAMES[bound.role]
        )
    if cadre is None or cadre.invite_expires_at is None or cadre.invite_expires_at < now:
        guards.add_bind_failure(session=session, openid=openid, now=now)
        return texts.BIND_FAILED
    org_repo.bind_openid(session=session, cadre=cadre, openid=openid)
    return texts.BOUND.format(name=cadre.name, place=_place(session, cadre), role=texts.ROLE_NAMES[cadre.role])


def _place(session: Session, cadre: Cadre) -> str:
    if cadre.courtyard_id is not None:
        yard = org_repo.get_courtyard(session=session, courtyard_id=cadre.courtyard_id)
        return yard.name if yard else ""
    if cadre.community_id is not None:
        community = org_repo.get_community(session=session, community_id=cadre.community_id)
        return community.name if community else ""
    return "全镇"


def _bind(call: Call) -> str:
    return bind(session=call.session, openid=call.person.openid, code=call.command.tail, now=call.now)


COMMANDS = (ChatCommand(("绑定",), Audience.ANYONE, Numbers.NONE, _bind, help=""),)
