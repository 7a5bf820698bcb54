"""A WeChat-server stand-in for tests: builds real message XML, signs it, encrypts it in safe mode, posts it."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
import xmltodict
from werobot.crypto import MessageCrypt
from werobot.utils import get_signature

from bot.replies import cdata

_msg_ids = itertools.count(7_000_000_000_000_000_001)


@dataclass(frozen=True)
class Reply:
    """What the webhook answered: HTTP status, raw body, and the reply text when there was one."""

    status: int
    body: str
    content: str | None
    xml: dict[str, Any] | None


def message_xml(fields: dict[str, str | int | float]) -> str:
    parts = []
    for key, value in fields.items():
        inner = str(value) if isinstance(value, (int, float)) else cdata(value)
        parts.append(f"<{key}>{inner}</{key}>")
    return "<xml>" + "".join(parts) + "</xml>"


class WeChatPoster:
    """Posts messages to a Courtyard webhook the way WeChat does."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        app_id: str | None = None,
        aes_key: str | None = None,
        account: str = "gh_courtyard",
    ) -> None:
        self.url = base_url.rstrip("/") + "/wechat"
        self.token = token
        self.account = account
        self.crypt = MessageCrypt(token=token, encoding_aes_key=aes_key, app_id=app_id) if aes_key else None
        self.http = requests.Session()

    def text(self, openid: str, content: str, *, msg_id: int | None = None) -> Reply:
        return self.message(openid, "text", {"Content": content}, msg_id=msg_id)

    def voice(self, openid: str, recognition: str | None, *, msg_id: int | None = None) -> Reply:
        fields: dict[str, str | int | float] = {"MediaId": "media_voice_1", "Format": "amr"}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self.message(openid, "voice", fields, msg_id=msg_id)

    def image(
        self, openid: str, url: str = "http://mmbiz.qpic.cn/photo.jpg", *, media_id: str = "media_photo_1"
    ) -> Reply:
        return self.message(openid, "image", {"PicUrl": url, "MediaId": media_id})

    def location(self, openid: str, lat: float, lon: float, label: str = "") -> Reply:
        fields: dict[str, str | int | float] = {"Location_X": lat, "Location_Y": lon, "Scale": 15, "Label": label}
        return self.message(openid, "location", fields)

    def event(self, openid: str, event: str, key: str | None = None, *, create_time: int | None = None) -> Reply:
        fields: dict[str, str | int | float] = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self.post(self.xml(openid, "event", fields, create_time=create_time))

    def message(
        self, openid: str, msg_type: str, fields: dict[str, str | int | float], *, msg_id: int | None = None
    ) -> Reply:
        body = dict(fields)
        body["MsgId"] = msg_id if msg_id is not None else next(_msg_ids)
        return self.post(self.xml(openid, msg_type, body))

    def xml(
        self, openid: str, msg_type: str, fields: dict[str, str | int | float], *, create_time: int | None = None
    ) -> str:
        head: dict[str, str | int | float] = {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": create_time if create_time is not None else int(time.time()),
            "MsgType": msg_type,
        }
        return message_xml(head | fields)

    def post(
        self,
        xml: str | bytes,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        encrypt: bool = True,
        msg_signature: str | None = None,
        nonce: str | None = None,
    ) -> Reply:
        """Sign (and in safe mode encrypt) xml and post it; overrides let tests break each part.

        Like WeChat, each request gets a fresh nonce unless one is given (a replay reuses one)."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        query = {"timestamp": ts, "nonce": nonce, "signature": signature or get_signature(self.token, ts, nonce)}
        body = xml if isinstance(xml, bytes) else xml.encode("utf-8")
        if self.crypt is not None and encrypt:
            envelope = self.crypt.encrypt_message(body.decode("utf-8"), timestamp=ts, nonce=nonce)
            fields = xmltodict.parse(envelope)["xml"]
            query["encrypt_type"] = "aes"
            query["msg_signature"] = msg_signature or fields["MsgSignature"]
            body = message_xml({"ToUserName": self.account, "Encrypt": fields["Encrypt"]}).encode("utf-8")
        response = self.http.post(
            self.url + "?" + urlencode(query), data=body, headers={"Content-Type": "text/xml"}, timeout=10
        )
        return self._reply(response)

    def _reply(self, response: requests.Response) -> Reply:
        text = response.text.strip()
        if response.status_code != 200 or not text.startswith("<xml>"):
            return Reply(response.status_code, text, None, None)
        fields = xmltodict.parse(text)["xml"]
        if "Encrypt" in fields:
            assert self.crypt is not None
            plain = self.crypt.decrypt_message(
                timestamp=fields["TimeStamp"],
                nonce=fields["Nonce"],
                msg_signature=fields["MsgSignature"],
                encrypt_msg=fields["Encrypt"],
            )
            fields = xmltodict.parse(plain)["xml"]
        return Reply(response.status_code, text, fields.get("Content"), fields)

    def verify_url(self, echostr: str, *, signature: str | None = None) -> requests.Response:
        ts, nonce = str(int(time.time())), "42"
        sig = signature or get_signature(self.token, ts, nonce)
        return self.http.get(self.url, params={"timestamp": ts, "nonce": nonce, "signature": sig, "echostr": echostr})
