"""The WSGI app: `/wechat` (URL check, signatures, safe mode, replay guard, XML in and out) and `/healthz`."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import bottle
import xmltodict
from werobot.messages.events import WeChatEvent
from werobot.messages.messages import WeChatMessage
from werobot.parser import process_message
from werobot.utils import check_signature, get_signature

from bot.replies import fit_reply, text_reply
from handlers import texts
from handlers.conversation import Conversation, NotStored, Refused
from handlers.durability import StoreHealth
from handlers.messages import Inbound
from handlers.replay import ReplayGuard

if TYPE_CHECKING:  # werobot.crypto loads the cryptography library (~7 MB): only safe mode needs it
    from werobot.crypto import MessageCrypt

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # WeChat's largest messages are a few KB; anything bigger is not WeChat
MAX_DEPTH = 4  # <xml> and an event's info blocks (ScanCodeInfo, SendPicsInfo > PicList > item)
# Unix seconds up to the year 2286, and nothing that needs more digits before int() touches it.
_SECONDS = re.compile(r"[0-9]{1,10}")
_MSG_ID = re.compile(r"[0-9]{1,20}")
# Fields WeChat always sends as plain text; a nested element there is not WeChat.
_TEXT_FIELDS = (
    "ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Recognition", "PicUrl",
    "MediaId", "Location_X", "Location_Y", "Scale", "Label", "Event", "EventKey", "Encrypt",
)  # fmt: skip
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
# WeChat tries a message three times; the last try that cannot be stored is told so in words.
DELIVERIES = 3
_REMEMBERED_FAILURES = 4096
# A message waits this long for one of the webhook's slots, then goes to the journal: with every
# slot stuck on the database, threads are soon free again for the next message and /healthz.
SLOT_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class WeChatConfig:
    """What the webhook needs to know about the official account."""

    token: str
    app_id: str | None = None
    encoding_aes_key: str | None = None
    max_clock_skew_seconds: int = 300  # older (or future) requests are refused as replays

    @property
    def safe_mode(self) -> bool:
        return bool(self.encoding_aes_key)


class BadRequest(Exception):
    """The request is not a well-formed WeChat message (400)."""


class Forbidden(Exception):
    """The request is not from WeChat, or not for this account (403)."""


class _Tries:
    """How often each message could not be stored, so the last of WeChat's tries is answered in words."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, int] = OrderedDict()

    def add(self, key: str) -> int:
        with self._lock:
            count = self._counts.pop(key, 0) + 1
            self._counts[key] = count
            while len(self._counts) > _REMEMBERED_FAILURES:
                self._counts.popitem(last=False)
            return count


def make_app(
    *,
    config: WeChatConfig,
    conversation: Conversation,
    ready: Callable[[], bool],
    health: StoreHealth | None = None,
    replay_guard: ReplayGuard | None = None,
    webhook_slots: int = 7,
) -> bottle.Bottle:
    """Build the bottle app serving the webhook and the health check.

    At most webhook_slots requests work on the database at once; a message that finds no slot
    within SLOT_WAIT_SECONDS is kept in the journal, so a stuck database never holds every worker
    thread for long (and /healthz answers).
    """
    crypt = _message_crypt(config) if config.safe_mode else None
    store = health or conversation.health
    slots = threading.BoundedSemaphore(max(1, webhook_slots))
    tries = _Tries()
    app = bottle.Bottle()

    def healthz() -> str:
        bottle.response.content_type = "text/plain; charset=utf-8"
        if not ready():
            bottle.response.status = 503
            return "starting"
        if not store.ok:  # the reason is in the log; this page is public
            bottle.response.status = 503
            return "cannot store messages now"
        return "ok"

    def verify_url() -> str:
        query = bottle.request.query
        if not check_signature(config.token, query.timestamp, query.nonce, query.signature):
            return _refuse(403, "bad signature")
        return str(query.echostr)

    def receive() -> str:
        began = time.perf_counter()
        query = bottle.request.query
        try:
            _check_origin(config, query.timestamp, query.nonce, query.signature)
            body = _read_body()
            message = _parse(body, crypt, config, query)
            inbound = to_inbound(message)
        except Forbidden as exc:
            return _refuse(403, str(exc))
        except BadRequest as exc:
            return _refuse(400, str(exc))
        signed = f"{query.timestamp}:{query.nonce}:{query.signature}"
        body_hash = hashlib.sha256(body).hexdigest()
        outcome = "answered"
        try:
            if _take_slot(slots, store):
                try:
                    if replay_guard is not None and not replay_guard.first_seen(signed, body_hash):
                        return _refuse(403, "signed URL replayed with another body")
                    # The signed URL is recorded in the message's own transaction: one commit for both.
                    guard = replay_guard
                    check = None if guard is None else lambda session: guard.remember(session, signed, body_hash)
                    reply = conversation.handle(inbound, check=check)
                except Refused:
                    return _refuse(403, "signed URL replayed with another body")
                finally:
                    slots.release()
            else:
                if replay_guard is not None and not replay_guard.admit(signed, body_hash, use_database=False):
                    return _refuse(403, "signed URL replayed with another body")
                outcome = "journaled (busy)"
                reply = conversation.keep_for_later(inbound)
        except NotStored:
            if tries.add(inbound.key) < DELIVERIES:
                _log_message(inbound, "NOT STORED, WeChat will retry", began)
                bottle.response.status = 503
                return "cannot store the message now"
            outcome, reply = "NOT STORED, told so", texts.NOT_KEPT
        if reply == texts.KEPT_FOR_LATER:
            outcome = "journaled"
        _log_message(inbound, outcome, began)
        if not reply:
            return "success"  # WeChat's way of saying "nothing to reply"
        bottle.response.content_type = "application/xml; charset=utf-8"
        xml = text_reply(to_user=inbound.openid, from_user=message.target or "", content=fit_reply(reply))
        return crypt.encrypt_message(xml) if crypt else xml

    app.get("/healthz")(healthz)
    app.get("/wechat")(verify_url)
    app.post("/wechat")(receive)
    return app


def _take_slot(slots: threading.BoundedSemaphore, store: StoreHealth) -> bool:
    """Wait for a slot, up to SLOT_WAIT_SECONDS and only while the database is thought to be well."""
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    while not slots.acquire(timeout=0.05):
        if not store.ok or time.monotonic() > deadline:
            return False
    return True


def _log_message(inbound: Inbound, outcome: str, began: float) -> None:
    log.info("message %s %s: %s in %.0f ms", inbound.key, inbound.kind, outcome, (time.perf_counter() - began) * 1000)


def _refuse(status: int, reason: str) -> str:
    log.warning("refused %s %s: %s", bottle.request.method, bottle.request.path, reason)
    bottle.response.status = status
    bottle.response.content_type = "text/plain; charset=utf-8"
    return reason


def _check_origin(config: WeChatConfig, timestamp: str, nonce: str, signature: str) -> None:
    if not _SECONDS.fullmatch(timestamp) or len(nonce) > 64 or len(signature) > 64:
        raise Forbidden("bad timestamp, nonce or signature")
    if not check_signature(config.token, timestamp, nonce, signature):
        raise Forbidden("bad signature")
    if abs(time.time() - int(timestamp)) > config.max_clock_skew_seconds:
        raise Forbidden("timestamp too far from now (replay?)")


def _read_body() -> bytes:
    length = bottle.request.content_length
    if length > MAX_BODY_BYTES:
        raise BadRequest("body too large")
    body: bytes = bottle.request.body.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body too large")
    return body


def _parse_xml(data: bytes) -> dict[str, Any]:
    if _DOCTYPE.search(data):
        raise BadRequest("DTDs and entities are not accepted")
    try:
        document = xmltodict.parse(data, disable_entities=True)
    except Exception as exc:  # expat raises several types for malformed input
        raise BadRequest(f"not XML: {type(exc).__name__}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise BadRequest("no <xml> root")
    _check_shape(root)
    return dict(root)


def _check_shape(root: dict[str, Any]) -> None:
    """WeChat's XML is flat but for a few shallow event blocks: refuse deep or repeated text fields."""
    for name in _TEXT_FIELDS:
        if name in root and root[name] is not None and not isinstance(root[name], str):
            raise BadRequest(f"{name} is not text")
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest("XML nested too deep")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _message_crypt(config: WeChatConfig) -> MessageCrypt:
    from werobot.crypto import MessageCrypt

    return MessageCrypt(token=config.token, encoding_aes_key=config.encoding_aes_key, app_id=config.app_id)


def _parse(body: bytes, crypt: MessageCrypt | None, config: WeChatConfig, query: Any) -> Any:
    fields = _parse_xml(body)
    if crypt is not None:
        from werobot.crypto.exceptions import AppIdValidationError

        encrypted = fields.get("Encrypt")
        if not isinstance(encrypted, str) or not query.msg_signature:
            raise BadRequest("safe mode: expected an encrypted message")
        if get_signature(config.token, query.timestamp, query.nonce, encrypted) != query.msg_signature:
            raise Forbidden("bad msg_signature")
        try:
            plain = crypt.prp_crypto.decrypt(encrypted, config.app_id)
        except AppIdValidationError:
            raise Forbidden("message for another AppID") from None
        except Exception as exc:  # bad base64, padding or length
            raise BadRequest(f"cannot decrypt: {type(exc).__name__}") from None
        fields = _parse_xml(plain)
    for required in ("FromUserName", "MsgType", "CreateTime"):
        if not isinstance(fields.get(required), str) or not fields[required].strip():
            raise BadRequest(f"missing {required}")
    if not _SECONDS.fullmatch(fields["CreateTime"].strip()):
        raise BadRequest("CreateTime is not a time")
    msg_id = fields.get("MsgId")
    if msg_id is not None and not _MSG_ID.fullmatch(msg_id.strip()):
        raise BadRequest("MsgId is not a number")
    if len(fields["FromUserName"]) > 128 or len(fields["MsgType"]) > 64:
        raise BadRequest("FromUserName or MsgType too long")
    fields["raw"] = body
    try:
        message = process_message(fields)
        _ = message.time, message.source
    except Exception as exc:
        raise BadRequest(f"malformed message: {type(exc).__name__}") from None
    return message


def to_inbound(message: WeChatMessage | WeChatEvent) -> Inbound:
    """Translate WeRoBot's parsed message into the handlers' platform-neutral form."""
    try:
        sent_at = datetime.fromtimestamp(int(message.time), UTC)
        kind: str = message.type
        common: dict[str, Any] = dict(openid=message.source, sent_at=sent_at)
        if kind.endswith("_event"):
            event = kind.removesuffix("_event")
            key = f"event:{message.source}:{message.time}:{event}"
            return Inbound(kind="event", key=key, event=event, event_key=_text(message, "EventKey"), **common)
        msg_id = _text(message, "MsgId")
        # The sender is part of the key: a MsgId clash (a bug, a forged retry) never hands one person another's reply.
        key = f"msg:{message.source}:{msg_id}" if msg_id else f"msg:{message.source}:{message.time}:{kind}"
        match kind:
            case "text":
                return Inbound(kind=kind, key=key, text=message.content or "", **common)
            case "voice":
                return Inbound(kind=kind, key=key, text=message.recognition, media_id=message.media_id, **common)
            case "image":
                return Inbound(
                    kind=kind, key=key, picture_url=message.img, media_id=_text(message, "MediaId"), **common
                )
            case "location":
                lat, lon = (float(value) for value in message.location)
                if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
                    raise ValueError("location off the globe")
                return Inbound(kind=kind, key=key, lat=lat, lon=lon, place_label=message.label, **common)
            case _:  # video, shortvideo, link, file …: answered, not filed; what they said is kept in the log
                said = " ".join(v for f in _DESCRIBED if (v := _text(message, f))) or None
                return Inbound(kind=kind, key=key, text=said, media_id=_text(message, "MediaId"), **common)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise BadRequest(f"malformed {getattr(message, 'type', 'message')}: {exc}") from None


# Fields of the types the bot does not handle that say what was sent (a link's title and address, a file's name).
_DESCRIBED = ("Title", "Description", "Url")


def _text(message: object, field: str) -> str | None:
    value = message.__dict__.get(field)
    return str(value) if value is not None else None
