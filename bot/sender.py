"""Delivers pushes through the WeChat API: long texts split at WeChat's limit, errcodes mapped to Failure."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from bot.wechat_api import (
    TOKEN_ERRCODES,
    WeChatAPI,
    WeChatAPIError,
    WeChatTokenError,
    WeChatTransportError,
)
from handlers.ports import DeliveryError, Failure

# WeChat documents 2048 bytes as the safe size of a customer-service text's content.
TEXT_LIMIT_BYTES = 2048

WINDOW_CLOSED_ERRCODES = frozenset({45015, 45047})  # 48-hour window shut; too many pushes since last message
RETRY_ERRCODES = frozenset({-1, 45009}) | TOKEN_ERRCODES  # system busy; rate limit; token refused twice

# A sentence runs up to and including its end marks and any closing quotes or brackets after them.
_SENTENCE = re.compile(r"[^。！？\n]*[。！？\n]+[”’」』）)]*|[^。！？\n]+")
_CLAUSE = re.compile(r"[^，；：、,;]*[，；：、,;]+|[^，；：、,;]+")

_MAX_REMEMBERED = 1024


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_by_characters(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        char_size = _size(char)
        if current and size + char_size > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += char_size
    pieces.append("".join(current))
    return pieces


def _units(text: str, limit: int) -> list[str]:
    """Sentences of `text`; one too long is cut at clause marks, and a clause too long by characters."""
    units: list[str] = []
    for sentence in _SENTENCE.findall(text):
        if _size(sentence) <= limit:
            units.append(sentence)
            continue
        for clause in _CLAUSE.findall(sentence):
            units.extend([clause] if _size(clause) <= limit else _cut_by_characters(clause, limit))
    return units


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Split `text` into pieces of at most `limit` UTF-8 bytes, preferring sentence boundaries.

    The pieces joined give back `text`, except a trailing run of whitespace that would be a piece alone.
    """
    if _size(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        if current and _size(current) + _size(unit) > limit:
            pieces.append(current)
            current = ""
        current += unit
    if current.strip():
        pieces.append(current)
    return pieces


def delivery_error(exc: WeChatAPIError | WeChatTransportError) -> DeliveryError:
    """Translate a WeChat API failure into what the outbox should do about it."""
    if isinstance(exc, WeChatTransportError):
        return DeliveryError(Failure.UNCERTAIN if exc.maybe_delivered else Failure.RETRY, str(exc))
    if isinstance(exc, WeChatTokenError):
        # Our credentials or IP allow-list, not the recipient: worth retrying once an operator fixes it.
        return DeliveryError(Failure.NO_TOKEN, f"access token: {exc}", exc.errcode)
    if exc.errcode in WINDOW_CLOSED_ERRCODES:
        return DeliveryError(Failure.WINDOW_CLOSED, str(exc), exc.errcode)
    if exc.errcode in RETRY_ERRCODES:
        return DeliveryError(Failure.RETRY, str(exc), exc.errcode)
    return DeliveryError(Failure.PERMANENT, str(exc), exc.errcode)


class WeChatSender:
    """The handlers' Sender, backed by the WeChat API.

    A text longer than WeChat's limit goes out as several messages. When a later piece fails, the
    pieces already delivered are remembered (in this process), so the outbox's retry of the same
    text to the same person sends only the rest.
    """

    def __init__(self, api: WeChatAPI, *, limit: int = TEXT_LIMIT_BYTES) -> None:
        self._api = api
        self._limit = limit
        self._lock = threading.Lock()
        self._delivered: OrderedDict[tuple[str, str], int] = OrderedDict()

    def send_text(self, openid: str, text: str) -> None:
        """Send `text` as one or more customer-service messages; raise DeliveryError on refusal."""
        pieces = split_text(text, self._limit)
        key = (openid, text)
        with self._lock:
            done = self._delivered.pop(key, 0)
        for index in range(done, len(pieces)):
            try:
                self._api.send_text(openid, pieces[index])
            except (WeChatAPIError, WeChatTransportError) as exc:
                error = delivery_error(exc)
                if index and error.failure is not Failure.PERMANENT:
                    # An uncertain piece counts as not delivered: its resend is the one allowed.
                    self._remember(key, index)
                raise error from exc

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        """Send a template message; raise DeliveryError on refusal."""
        try:
            self._api.send_template(openid, template_id, data)
        except (WeChatAPIError, WeChatTransportError) as exc:
            raise delivery_error(exc) from exc

    def _remember(self, key: tuple[str, str], delivered: int) -> None:
        with self._lock:
            self._delivered[key] = delivered
            while len(self._delivered) > _MAX_REMEMBERED:
                self._delivered.popitem(last=False)
