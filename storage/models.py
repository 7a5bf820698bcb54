"""SQLModel tables: the org chart, residents, tickets with their append-only history, inbound log, outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from storage.clock import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive values are refused, not guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back naive values; they were written as UTC.
        return as_utc(value) if value.tzinfo else value.replace(tzinfo=UTC)


def _when(*, nullable: bool = False, index: bool = False) -> datetime:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))  # type: ignore[no-any-return]


class Role(StrEnum):
    """A cadre's level in the grid."""

    COURTYARD = "courtyard"
    COMMUNITY = "community"
    TOWN = "town"


class TicketStatus(StrEnum):
    """Where a ticket stands in the loop."""

    NEW = "new"  # filed and routed, not yet accepted
    ACCEPTED = "accepted"
    RESOLVED = "resolved"  # 办结, waiting for the resident's survey
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"  # 合并 into another ticket about the same problem (merged_into_id)
    INVALID = "invalid"  # 无效: not a problem to handle, closed without a survey


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.ACCEPTED)
# Not counted as collected problems in the figures: withdrawn, merged into another ticket, or not a problem.
UNCOUNTED_STATUSES = (TicketStatus.WITHDRAWN, TicketStatus.MERGED, TicketStatus.INVALID)


class OutboxStatus(StrEnum):
    """Delivery state of one push."""

    PENDING = "pending"
    SENDING = "sending"
    HELD = "held"  # the person's 48-hour window is closed and no template fits: wait for them to write
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # held, then made stale by a later push or merged into a summary: never sent


class Town(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    policy: str = "{}"  # the `policy:` section of the org chart, as JSON
    # Bumped by every org import that changes something, so running processes rebuild their gazetteer.
    revision: int = 0
    # When the town was first imported: no digest covers time before it (or before the first ticket).
    imported_at: datetime | None = _when(nullable=True)


class Community(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    town_id: int = Field(foreign_key="town.id", index=True)


class Courtyard(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    households: int | None = None
    lat: float | None = None
    lon: float | None = None


class CourtyardAlias(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    alias: str = Field(unique=True)
    courtyard_id: int = Field(foreign_key="courtyard.id", index=True)


class Cadre(SQLModel, table=True):
    """A cadre placed at one level: a courtyard, a community or the town."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: Role = Field(sa_type=String(16))
    phone: str | None = None
    openid: str | None = Field(default=None, unique=True)
    town_id: int = Field(foreign_key="town.id", index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    courtyard_id: int | None = Field(default=None, foreign_key="courtyard.id", index=True)
    active: bool = True
    invite_code: str | None = Field(default=None, unique=True)
    invite_expires_at: datetime | None = _when(nullable=True)


class Resident(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(unique=True)
    courtyard_id: int | None = Field(default=None, foreign_key="courtyard.id")
    subscribed: bool = True
    # WeChat's 48-hour customer-service window is measured from the person's last message.
    last_message_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class Ticket(SQLModel, table=True):
    """One problem from intake to closing; its id is the number people type (编号)."""

    __table_args__ = (
        Index("ix_ticket_courtyard_status", "courtyard_id", "status"),
        # 附议 candidates: the courtyard's recent tickets with the same problem key at the reported building
        # (or naming none), by index seeks.
        Index("ix_ticket_problem_building", "courtyard_id", "problem_key", "building_no", "created_at"),
        Index("ix_ticket_problem_bare_building", "courtyard_id", "problem_key_bare", "building_no", "created_at"),
        # The dashboard counts what was filed, accepted, resolved or fell due in a period, and the open urgent
        # or overdue tickets, from these indexes alone (the status is in them, so no row is read).
        Index("ix_ticket_status_due", "status", "urgent", "overdue", "due_at"),
        Index("ix_ticket_created_status", "created_at", "status"),
        Index("ix_ticket_accepted_status", "accepted_at", "status"),
        Index("ix_ticket_resolved_status", "resolved_at", "status"),
        Index("ix_ticket_due_status", "due_at", "status", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    text: str
    category: str
    confidence: float = 0.0
    urgent: bool = False
    urgent_reason: str | None = None
    status: TicketStatus = Field(default=TicketStatus.NEW, sa_type=String(16))
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    entered_by_cadre_id: int | None = Field(default=None, foreign_key="cadre.id")
    courtyard_id: int | None = Field(default=None, foreign_key="courtyard.id")
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    lat: float | None = None
    lon: float | None = None
    building: str | None = None  # the building/unit the report names ("3栋2单元"), for 附议
    # What finds 附议 candidates without reading the courtyard's tickets: the problem key of the text
    # without courtyard names ("" when it can be nobody's duplicate, NULL when never computed), the
    # same without building words (set when a building is named), and the building and unit numbers.
    problem_key: str | None = Field(default=None, max_length=32)
    problem_key_bare: str | None = Field(default=None, max_length=32)
    building_no: int | None = None
    unit_no: int | None = None
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = _when()  # the ledger's and the statistics' periods
    updated_at: datetime = _when()
    accepted_at: datetime | None = _when(nullable=True)
    resolved_at: datetime | None = _when(nullable=True)
    closed_at: datetime | None = _when(nullable=True)
    due_at: datetime | None = _when(nullable=True)
    satisfaction: str | None = None  # the resident's survey answer: satisfied, basic, unsatisfied, none
    overdue: bool = False  # marked once its deadline passed while it was open
    assigned_at: datetime | None = _when(nullable=True)  # when the current assignee got it
    # Timers for the sweeps: each is the moment the next follow-up of its kind is due, NULL when none
    # is. Sweeps select on them through their indexes, so their work grows with what is due only.
    nudge_at: datetime | None = _when(nullable=True, index=True)  # unaccepted: remind, then 督办 up
    nudge_step: int = 0  # 0 remind the assignee, 1 tell the community, 2 tell the town
    due_soon_at: datetime | None = _when(nullable=True, index=True)
    overdue_at: datetime | None = _when(nullable=True, index=True)
    followup_at: datetime | None = _when(nullable=True, index=True)  # resident status follow-up
    survey_remind_at: datetime | None = _when(nullable=True, index=True)
    survey_close_at: datetime | None = _when(nullable=True, index=True)


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's history; rows are only ever added."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = _when()
    kind: str
    actor: str
    note: str = ""


class InboundMessage(SQLModel, table=True):
    """Every message WeChat delivered, unique on its key so that retries are answered, not re-filed."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # MsgId, or sender + CreateTime + event for events
    openid: str = Field(index=True)
    msg_type: str
    received_at: datetime = _when()
    content: str = ""  # what the person said (text, recognised voice, picture URL, place), kept even on failure
    reply: str = ""
    error: str | None = None  # set when handling failed; the content is kept for a person to follow up
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")


class Outbox(SQLModel, table=True):
    """A push decided by a use case, delivered later by the drain with retries."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_held", "openid", "status"),
        UniqueConstraint("dedupe_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    openid: str
    audience: str  # "cadre" or "resident": picks the template kind outside the 48-hour window
    kind: str  # new_task, status, reminder, escalation, survey, digest …
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    text: str
    dedupe_key: str | None = None
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=String(16))
    created_at: datetime = _when()
    next_attempt_at: datetime = _when()
    attempts: int = 0
    # While SENDING: the claim holds until then, on the database's clock (never a simulated time).
    lease_until: datetime | None = _when(nullable=True)
    # Attempts whose outcome nobody saw (a crash or no answer mid-send): the push may have arrived.
    unknown_fate: int = 0
    channel: str | None = None  # custom, template
    last_error: str | None = None
    sent_at: datetime | None = _when(nullable=True)


class ConversationState(SQLModel, table=True):
    """What the bot is waiting for from one person (e.g. a cadre confirming that free text is a complaint)."""

    openid: str = Field(primary_key=True)
    state: str
    payload: str = ""
    updated_at: datetime = _when()


class SweepAction(SQLModel, table=True):
    """One follow-up a sweep carried out, under a unique key (kind, ticket or person, period).

    Inserted in the same transaction as the pushes it decides: a second sweep, process or restart
    trying the same action hits the unique key and does nothing.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    at: datetime = _when()


class SchedulerLease(SQLModel, table=True):
    """Who runs the sweeps on SQLite: a lease the holder renews by heartbeat (PostgreSQL uses an advisory lock)."""

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)
    expires_at: datetime = _when()
    heartbeat_at: datetime = _when()


class AccessTokenRow(SQLModel, table=True):
    """The WeChat access token every process of one AppID uses, and who is fetching the next one."""

    __tablename__ = "accesstoken"

    app_id: str = Field(primary_key=True, max_length=64)
    value: str | None = None
    expires_at: datetime | None = _when(nullable=True)
    refreshing_by: str | None = Field(default=None, max_length=200)
    refreshing_until: datetime | None = _when(nullable=True)


class Endorsement(SQLModel, table=True):
    """A neighbour's report of a problem already filed (附议): linked to the ticket instead of a new one."""

    __table_args__ = (UniqueConstraint("ticket_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    text: str
    at: datetime = _when()


class SignedRequest(SQLModel, table=True):
    """A signed webhook URL (timestamp, nonce, signature) seen within the replay window, with a hash of
    its body: the same body again is WeChat's retry, another body is a replay and refused."""

    key: str = Field(primary_key=True, max_length=200)
    body_hash: str = Field(max_length=64)
    seen_at: datetime = _when(index=True)


class BindFailure(SQLModel, table=True):
    """A wrong `绑定` code: counted per person and overall to stop guessing."""

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(index=True)
    at: datetime = _when(index=True)


class WebRole(StrEnum):
    """What a web account may see: admins and leaders the whole ledger, a cadre account its cadre's reach."""

    ADMIN = "admin"
    LEADER = "leader"
    CADRE = "cadre"


class WebUser(SQLModel, table=True):
    """An account for the leaders' web pages."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: WebRole = Field(sa_type=String(16))
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")  # set for role cadre
    password_hash: str
    failed_logins: int = 0  # wrong passwords in a row
    locked_until: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie carries a random token, the database only its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    user_id: int = Field(foreign_key="webuser.id", index=True)
    csrf_token: str
    created_at: datetime = _when()
    expires_at: datetime = _when(index=True)


class TicketSearch(SQLModel, table=True):
    """A ticket's text cut into words by nlp's tokenizer, space-separated: what full-text search indexes.

    The migration puts the database's own full-text index over it: an FTS5 table kept in step by
    triggers on SQLite, a GIN index on string_to_array(tokens, ' ') on PostgreSQL.
    """

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    tokens: str  # the words of the first report and of every 附议 (neighbours' own words)
    endorsed_upto: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # latest 附议 in tokens


class PhotoStatus(StrEnum):
    """Where a resident's photo stands: WeChat keeps image media for 3 days, so it is fetched and kept here."""

    PENDING = "pending"  # to be fetched from WeChat's media API (again, after a failed try)
    STORED = "stored"
    EXPIRED = "expired"  # WeChat no longer has it (errcode 40007, or 3 days passed): never tried again
    REFUSED = "refused"  # not an image we keep (wrong type, too large): never tried again


class TicketPhoto(SQLModel, table=True):
    """A photo a resident sent about a ticket (an image message's MediaId), with its bytes once fetched."""

    __table_args__ = (Index("ix_ticketphoto_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    media_id: str = Field(max_length=200)
    pic_url: str = Field(default="", max_length=2000)
    status: PhotoStatus = Field(default=PhotoStatus.PENDING, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    received_at: datetime = _when()
    fetched_at: datetime | None = _when(nullable=True)
    content_type: str | None = Field(default=None, max_length=32)
    size: int | None = None
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
