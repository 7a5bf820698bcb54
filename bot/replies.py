"""Passive reply XML that stays valid whatever the text contains."""

from __future__ import annotations

import re
import time

# Characters XML 1.0 forbids even inside CDATA (most C0 controls, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_TEXT_REPLY = (
    "<xml><ToUserName>{to}</ToUserName><FromUserName>{source}</FromUserName>"
    "<CreateTime>{time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content>{content}</Content></xml>"
)


def cdata(text: str) -> str:
    """Wrap text in CDATA, dropping characters XML forbids and splitting `]]>` so the section cannot end early."""
    clean = _NOT_XML.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(*, to_user: str, from_user: str, content: str, sent_at: int | None = None) -> str:
    """A passive text reply (WeRoBot's TextReply would break on `]]>` in the content)."""
    return _TEXT_REPLY.format(
        to=cdata(to_user),
        source=cdata(from_user),
        time=int(time.time()) if sent_at is None else sent_at,
        content=cdata(content),
    )


REPLY_LIMIT_BYTES = 2048
_ELLIPSIS = "…"


def fit_reply(text: str, limit: int = REPLY_LIMIT_BYTES) -> str:
    """Text cut on a character boundary to at most limit UTF-8 bytes, ending with … when cut.

    A last resort: handlers should write replies that fit; this keeps a passive reply within
    WeChat's limit whatever they return.
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(_ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + _ELLIPSIS
