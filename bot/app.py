"""The WSGI app: `/wechat` (URL check, signatures, safe mode, replay guard, XML in and out) and `/healthz`."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bottle
import xmltodict
from werobot.crypto import MessageCrypt
from werobot.crypto.exceptions import AppIdValidationError
from werobot.messages.events import WeChatEvent
from werobot.messages.messages import WeChatMessage
from werobot.parser import process_message
from werobot.utils import check_signature, get_signature

from bot.replies import text_reply
from handlers.conversation import Conversation
from handlers.messages import Inbound

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # WeChat's largest messages are a few KB; anything bigger is not WeChat
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


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


def make_app(*, config: WeChatConfig, conversation: Conversation, ready: Callable[[], bool]) -> bottle.Bottle:
    """Build the bottle app serving the webhook and the health check."""
    crypt = (
        MessageCrypt(token=config.token, encoding_aes_key=config.encoding_aes_key, app_id=config.app_id)
        if config.safe_mode
        else None
    )
    app = bottle.Bottle()

    def healthz() -> str:
        if not ready():
            bottle.response.status = 503
            return "starting"
        return "ok"

    def verify_url() -> str:
        query = bottle.request.query
        if not check_signature(config.token, query.timestamp, query.nonce, query.signature):
            return _refuse(403, "bad signature")
        return str(query.echostr)

    def receive() -> str:
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
        reply = conversation.handle(inbound)
        if not reply:
            return "success"  # WeChat's way of saying "nothing to reply"
        bottle.response.content_type = "application/xml; charset=utf-8"
        xml = text_reply(to_user=inbound.openid, from_user=message.target or "", content=reply)
        return crypt.encrypt_message(xml) if crypt else xml

    app.get("/healthz")(healthz)
    app.get("/wechat")(verify_url)
    app.post("/wechat")(receive)
    return app


def _refuse(status: int, reason: str) -> str:
    log.warning("refused %s %s: %s", bottle.request.method, bottle.request.fullpath, reason)
    bottle.response.status = status
    bottle.response.content_type = "text/plain; charset=utf-8"
    return reason


def _check_origin(config: WeChatConfig, timestamp: str, nonce: str, signature: str) -> None:
    if not check_signature(config.token, timestamp, nonce, signature):
        raise Forbidden("bad signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Forbidden("bad timestamp") from None
    if abs(time.time() - sent) > config.max_clock_skew_seconds:
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
        raise BadRequest(f"not XML: {exc}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise BadRequest("no <xml> root")
    return dict(root)


def _parse(body: bytes, crypt: MessageCrypt | None, config: WeChatConfig, query: Any) -> Any:
    fields = _parse_xml(body)
    if crypt is not None:
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
            raise BadRequest(f"cannot decrypt: {exc}") from None
        fields = _parse_xml(plain)
    for required in ("FromUserName", "MsgType", "CreateTime"):
        if not isinstance(fields.get(required), str) or not fields[required].strip():
            raise BadRequest(f"missing {required}")
    fields["raw"] = body
    try:
        message = process_message(fields)
        _ = message.time, message.source
    except Exception as exc:
        raise BadRequest(f"malformed message: {exc}") from None
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
        key = f"msg:{msg_id}" if msg_id else f"msg:{message.source}:{message.time}:{kind}"
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
                lat, lon = message.location
                return Inbound(kind=kind, key=key, lat=lat, lon=lon, place_label=message.label, **common)
            case _:
                return Inbound(kind=kind, key=key, **common)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"malformed {getattr(message, 'type', 'message')}: {exc}") from None


def _text(message: object, field: str) -> str | None:
    value = message.__dict__.get(field)
    return str(value) if value is not None else None
