"""The simulator's stand-in for the WeChat server: signed (and in safe mode encrypted) XML posted to /wechat,
and a Sender that delivers pushes to simulator personas onto their phone screens instead of WeChat."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

import requests
import xmltodict
from werobot.crypto import MessageCrypt
from werobot.utils import get_signature

from handlers.ports import DeliveryError, Failure, Sender

CHANNEL_LABELS = {"custom": "客服消息", "template": "模板消息", "held": "暂存"}
POST_TIMEOUT_SECONDS = 10.0
_ENTRIES_PER_PERSONA = 300
_PERSONAS_KEPT = 2000
_TAB_ALIVE = timedelta(seconds=10)


class StandInError(Exception):
    """The webhook did not take the message; the text says why, for the page."""


@dataclass(frozen=True)
class Account:
    """The official account as WeChat knows it: what the webhook checks signatures and decrypts with."""

    token: str
    app_id: str | None = None
    encoding_aes_key: str | None = None
    name: str = "gh_courtyard_simulator"


def cdata(text: str) -> str:
    """text as CDATA; a `]]>` inside is split across two sections so any text stays well-formed."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(fields: dict[str, str | int | float]) -> str:
    inner = "".join(
        f"<{key}>{value if isinstance(value, (int, float)) else cdata(value)}</{key}>" for key, value in fields.items()
    )
    return f"<xml>{inner}</xml>"


class WeChatStandIn:
    """Posts a persona's message to the webhook exactly as WeChat would, and reads the passive reply."""

    def __init__(self, account: Account, *, timeout: float = POST_TIMEOUT_SECONDS) -> None:
        self._account = account
        self._timeout = timeout
        self._crypt = (
            MessageCrypt(token=account.token, encoding_aes_key=account.encoding_aes_key, app_id=account.app_id)
            if account.encoding_aes_key
            else None
        )

    def send(self, url: str, openid: str, msg_type: str, fields: dict[str, str | int | float]) -> str:
        """Post one message (MsgId added unless it is an event); the reply text, "" when the bot stays silent."""
        body: dict[str, str | int | float] = {
            "ToUserName": self._account.name,
            "FromUserName": openid,
            "CreateTime": int(time.time()),  # real time: the webhook refuses replays by it
            "MsgType": msg_type,
            **fields,
        }
        if msg_type != "event":
            body["MsgId"] = secrets.randbits(62)  # unique across restarts, as the inbound log dedupes on it
        return self._post(url, message_xml(body))

    def _post(self, url: str, xml: str) -> str:
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": get_signature(self._account.token, timestamp, nonce),
        }
        data = xml
        if self._crypt is not None:
            envelope = xmltodict.parse(self._crypt.encrypt_message(xml, timestamp=timestamp, nonce=nonce))["xml"]
            query |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
            data = message_xml({"ToUserName": self._account.name, "Encrypt": envelope["Encrypt"]})
        try:
            response = requests.post(
                f"{url}?{urlencode(query)}",
                data=data.encode("utf-8"),
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise StandInError(f"连不上 /wechat：{exc.__class__.__name__}") from None
        text = response.text.strip()
        if response.status_code != 200:
            raise StandInError(f"/wechat 回答 HTTP {response.status_code}：{text[:200]}")
        if not text.startswith("<xml>"):
            return ""  # "success": WeChat shows nothing
        return self._content(text)

    def _content(self, text: str) -> str:
        fields: dict[str, Any] = xmltodict.parse(text)["xml"]
        if "Encrypt" in fields and self._crypt is not None:
            plain = self._crypt.decrypt_message(
                timestamp=fields["TimeStamp"],
                nonce=fields["Nonce"],
                msg_signature=fields["MsgSignature"],
                encrypt_msg=fields["Encrypt"],
            )
            fields = xmltodict.parse(plain)["xml"]
        return str(fields.get("Content") or "")


@dataclass(frozen=True)
class Entry:
    """One bubble on a persona's screen."""

    seq: int
    side: str  # me, bot, push, note
    kind: str  # text, voice, image, location
    text: str
    at: str  # local time of the (possibly time-machined) clock
    channel: str | None = None  # for pushes: custom, template
    image: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "side": self.side,
            "kind": self.kind,
            "text": self.text,
            "at": self.at,
            "channel": self.channel,
            "channel_label": CHANNEL_LABELS.get(self.channel or ""),
            "image": self.image,
        }


class Feeds:
    """Each persona's screen, in memory and bounded, shared by every tab showing that persona."""

    def __init__(self, *, clock: Callable[[], datetime], tz: tzinfo) -> None:
        self._clock = clock
        self._tz = tz
        self._lock = threading.Lock()
        self._seq = 0
        self._screens: OrderedDict[str, deque[Entry]] = OrderedDict()
        self._tabs: dict[str, dict[str, float]] = {}

    def add(
        self, openid: str, side: str, kind: str, text: str, *, channel: str | None = None, image: str | None = None
    ) -> Entry:
        at = f"{self._clock().astimezone(self._tz):%m-%d %H:%M}"
        with self._lock:
            self._seq += 1
            entry = Entry(self._seq, side, kind, text, at, channel, image)
            screen = self._screens.pop(openid, None) or deque(maxlen=_ENTRIES_PER_PERSONA)
            screen.append(entry)
            self._screens[openid] = screen
            while len(self._screens) > _PERSONAS_KEPT:
                dropped, _ = self._screens.popitem(last=False)
                self._tabs.pop(dropped, None)
            return entry

    def since(self, openid: str, after: int) -> list[Entry]:
        with self._lock:
            return [e for e in self._screens.get(openid, ()) if e.seq > after]

    def seen(self, openid: str, tab: str) -> int:
        """Note that tab shows openid; how many other tabs showed it in the last few seconds."""
        now = time.monotonic()
        with self._lock:
            tabs = self._tabs.setdefault(openid, {})
            tabs[tab] = now
            for other, when in list(tabs.items()):
                if now - when > _TAB_ALIVE.total_seconds():
                    del tabs[other]
            return len(tabs) - 1


def template_text(data: dict[str, str]) -> str:
    """A template message's values as the card shows them: heading, ticket number, the rest."""
    parts = [data.get("first", ""), data.get("keyword1", ""), data.get("remark", "")]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return "\n".join(seen)


class ScreenSender:
    """A Sender whose pushes land on the persona's simulated phone, channel included."""

    def __init__(self, feeds: Feeds) -> None:
        self._feeds = feeds

    def send_text(self, openid: str, text: str) -> None:
        self._feeds.add(openid, "push", "text", text, channel="custom")

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        self._feeds.add(openid, "push", "text", template_text(data), channel="template")


class RoutingSender:
    """Pushes to simulator personas go to their screens; the rest to WeChat, or nowhere.

    `real` is None without WeChat credentials: a push to anybody else is then held until that
    person writes again (as when their 48-hour window is closed), never marked sent. `blocked(text)`
    says a push names a ticket only simulator personas reported: such a push never goes to a real openid.
    """

    def __init__(
        self,
        *,
        screens: Sender,
        real: Sender | None,
        is_persona: Callable[[str], bool],
        blocked: Callable[[str], bool],
    ) -> None:
        self._screens = screens
        self._real = real
        self._is_persona = is_persona
        self._blocked = blocked

    def _target(self, openid: str, text: str) -> Sender:
        if self._is_persona(openid):
            return self._screens
        if self._real is None:
            raise DeliveryError(Failure.WINDOW_CLOSED, "no WeChat credentials: held until the person writes again")
        if self._blocked(text):
            raise DeliveryError(Failure.PERMANENT, "about a simulator ticket: not sent to a real WeChat user")
        return self._real

    def send_text(self, openid: str, text: str) -> None:
        self._target(openid, text).send_text(openid, text)

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        self._target(openid, template_text(data)).send_template(openid, template_id, data)
