"""A fake WeChat API: a real HTTP server on loopback that issues tokens, records pushes, serves the media
residents sent (GET /cgi-bin/media/get), fails on demand."""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

Kind = Literal["token", "custom", "template", "media"]
# "any" is any send, never the token endpoint nor a media download
FailKind = Literal["token", "custom", "template", "media", "any"]

TEXT_LIMIT_BYTES = 2048

_PATHS: dict[str, Kind] = {
    "/cgi-bin/token": "token",
    "/cgi-bin/stable_token": "token",
    "/cgi-bin/message/custom/send": "custom",
    "/cgi-bin/message/template/send": "template",
}
_ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44004: "empty content",
    45002: "content size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}
# An odd run of backslashes before `u` is a JSON \\uXXXX escape.
_JSON_UNICODE_ESCAPE = re.compile(r"(\\+)u")


class Fault(StrEnum):
    """Failures that are not an errcode."""

    HTTP_500 = "http_500"  # answer HTTP 500 with an HTML body
    NOT_JSON = "not_json"  # answer HTTP 200 with an HTML body
    HANG = "hang"  # answer nothing until the client gave up (or the fake closes)
    DELIVER_THEN_HANG = "deliver_then_hang"  # record the message as delivered, then hang
    LATE = "late"  # deliver, and say so after `late_seconds` (WeChat has been seen to take 6 s)


Outcome = int | Fault  # an errcode (0 = delivered) or a Fault


@dataclass(frozen=True)
class Message:
    """A push the fake accepted."""

    kind: Literal["custom", "template"]
    openid: str
    text: str | None  # custom text content
    template_id: str | None
    data: dict[str, str] | None  # template keyword -> value
    at: datetime


@dataclass(frozen=True)
class Attempt:
    """A send request the fake received, whatever became of it."""

    kind: Literal["custom", "template"]
    openid: str | None
    payload: dict[str, Any] | None
    outcome: Outcome
    at: datetime


@dataclass
class _Planned:
    outcome: Outcome
    times: int
    kind: FailKind
    after: int


@dataclass
class _State:
    tokens: dict[str, tuple[datetime, int]] = field(default_factory=dict)  # token -> expiry, revoked errcode
    planned: list[_Planned] = field(default_factory=list)
    closed_windows: set[str] = field(default_factory=set)
    unsubscribed: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    token_requests: int = 0
    stable_token: str | None = None  # what /cgi-bin/stable_token hands out until it expires or is revoked
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media_id -> bytes, Content-Type
    media_requests: list[str] = field(default_factory=list)  # media ids asked for, valid token or not


class FakeWeChat:
    """The WeChat API endpoints Courtyard uses, served on 127.0.0.1 from a daemon thread.

    Tokens, pushes and refusals follow WeChat's documented behaviour; a JSON body with
    `\\uXXXX` escapes is recorded with the escapes shown literally, as WeChat displays them.
    """

    def __init__(
        self,
        *,
        app_id: str = "wx_fake_app",
        app_secret: str = "fake-secret-0123456789",
        expires_in: int = 7200,
        template_ids: Iterable[str] | None = None,
        hang_seconds: float = 5.0,
        offers_stable_token: bool = True,  # False: an older stand-in that answers 404 to stable_token
    ) -> None:
        self.offers_stable_token = offers_stable_token
        self.app_id = app_id
        self.app_secret = app_secret
        self.expires_in = expires_in
        self.template_ids = set(template_ids) if template_ids is not None else None
        self.hang_seconds = hang_seconds
        self.late_seconds = 6.0  # how late Fault.LATE answers
        self.send_seconds = 0.0  # how long every push takes to be answered (a slow API, for benches)
        self._state = _State()
        self._changed = threading.Condition(threading.RLock())
        self._closing = threading.Event()
        self._random: random.Random | None = None
        self._random_rate = 0.0
        self._random_codes: tuple[Outcome, ...] = ()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-wechat", daemon=True
        )

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeWeChat:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release any hanging request."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """What WECHAT_API_BASE should be set to."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- programming failures --------------------------------------------------------------------

    def fail_next(self, code: Outcome, times: int = 1, kind: FailKind = "any", after: int = 0) -> None:
        """Answer `times` matching requests with `code`, once `after` of them went through normally.

        Only requests that carry a valid token count (the token endpoint's own requests for "token").
        """
        with self._changed:
            self._state.planned.append(_Planned(code, times, kind, after))

    def fail_randomly(self, rate: float, *, seed: int = 0, codes: Iterable[Outcome] = (-1,)) -> None:
        """Refuse a seeded-random `rate` of sends (after planned failures), with one of `codes`."""
        with self._changed:
            self._random = random.Random(seed) if rate else None
            self._random_rate = rate
            self._random_codes = tuple(codes)

    def close_window(self, openid: str) -> None:
        """Customer-service messages to `openid` get 45015 until `open_window`."""
        with self._changed:
            self._state.closed_windows.add(openid)

    def open_window(self, openid: str) -> None:
        """Let customer-service messages reach `openid` again."""
        with self._changed:
            self._state.closed_windows.discard(openid)

    def unsubscribe(self, openid: str) -> None:
        """Every push to `openid` gets 43004 until `subscribe`."""
        with self._changed:
            self._state.unsubscribed.add(openid)

    def subscribe(self, openid: str) -> None:
        """Undo `unsubscribe`."""
        with self._changed:
            self._state.unsubscribed.discard(openid)

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Serve data at GET /cgi-bin/media/get?media_id=…; any other media id gets 40007, as WeChat
        answers for one it never issued or dropped after 3 days."""
        with self._changed:
            self._state.media[media_id] = (data, content_type)

    def drop_media(self, media_id: str) -> None:
        """WeChat's 3 days are over for media_id: 40007 from now on."""
        with self._changed:
            self._state.media.pop(media_id, None)

    @property
    def media_requests(self) -> list[str]:
        """The media ids asked for at /cgi-bin/media/get, in order."""
        with self._changed:
            return list(self._state.media_requests)

    def invalidate_tokens(self) -> None:
        """Every token issued so far now gets 40001 (as when another server fetched a new one)."""
        self._revoke_tokens(40001)

    def expire_tokens(self) -> None:
        """Every token issued so far now gets 42001."""
        self._revoke_tokens(42001)

    # --- what was received -----------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        """Pushes delivered, in order of arrival."""
        with self._changed:
            return list(self._state.messages)

    @property
    def requests(self) -> list[Attempt]:
        """Every send request received, delivered or refused, in order of arrival."""
        with self._changed:
            return list(self._state.attempts)

    @property
    def token_requests(self) -> int:
        """How many times /cgi-bin/token or /cgi-bin/stable_token was called."""
        with self._changed:
            return self._state.token_requests

    @property
    def tokens(self) -> list[str]:
        """Every access token issued, oldest first."""
        with self._changed:
            return list(self._state.tokens)

    def texts_for(self, openid: str) -> list[str]:
        """Texts of the customer-service messages delivered to `openid`."""
        return [m.text for m in self.messages if m.openid == openid and m.text is not None]

    def templates_for(self, openid: str) -> list[Message]:
        """Template messages delivered to `openid`."""
        return [m for m in self.messages if m.openid == openid and m.kind == "template"]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds, re-checking whenever a request arrives; False on timeout."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    # --- serving ---------------------------------------------------------------------------------

    def _revoke_tokens(self, code: int) -> None:
        with self._changed:
            for token, (expires_at, _) in list(self._state.tokens.items()):
                self._state.tokens[token] = (expires_at, code)

    def _token_answer(self, query: dict[str, str], *, stable: bool = False) -> dict[str, Any] | Fault:
        """/cgi-bin/token issues a new token each call; /cgi-bin/stable_token hands out the same one
        while it is valid, unless asked to force a refresh."""
        with self._changed:
            self._state.token_requests += 1
            self._changed.notify_all()
            planned = self._take_planned("token")
            if planned is not None:
                return planned if isinstance(planned, Fault) else _refusal(planned)
            if query.get("grant_type") != "client_credential" or query.get("appid") != self.app_id:
                return _refusal(40013)
            if query.get("secret") != self.app_secret:
                return _refusal(40125)
            current = self._state.stable_token
            if stable and current is not None and not query.get("force_refresh") and self._check_token(current) == 0:
                expires_at = self._state.tokens[current][0]
                return {"access_token": current, "expires_in": int((expires_at - _now()).total_seconds())}
            token = secrets.token_urlsafe(24)
            self._state.tokens[token] = (_now() + timedelta(seconds=self.expires_in), 0)
            if stable:
                self._state.stable_token = token
            return {"access_token": token, "expires_in": self.expires_in}

    def _send_answer(self, kind: Literal["custom", "template"], token: str | None, raw: bytes) -> Outcome:
        """Decide what becomes of one send request, record it, and return the outcome."""
        with self._changed:
            payload = _parse_like_wechat(raw)
            openid = payload.get("touser") if payload is not None else None
            outcome: Outcome = self._check_token(token)
            if outcome == 0:
                outcome = self._injected(kind)
            if outcome in (0, Fault.DELIVER_THEN_HANG, Fault.LATE):
                if payload is None:
                    outcome = 47001
                elif refusal := self._validate(kind, payload):
                    outcome = refusal
                else:
                    self._state.messages.append(_message(kind, payload))
            self._state.attempts.append(
                Attempt(kind, openid if isinstance(openid, str) else None, payload, outcome, _now())
            )
            self._changed.notify_all()
            return outcome

    def _check_token(self, token: str | None) -> int:
        if not token:
            return 41001
        issued = self._state.tokens.get(token)
        if issued is None:
            return 40001
        expires_at, revoked = issued
        if revoked:
            return revoked
        return 42001 if _now() >= expires_at else 0

    def _injected(self, kind: Kind) -> Outcome:
        planned = self._take_planned(kind)
        if planned is not None:
            return planned
        if self._random is not None and self._random.random() < self._random_rate:
            return self._random.choice(self._random_codes)
        return 0

    def _take_planned(self, kind: Kind) -> Outcome | None:
        for planned in self._state.planned:
            if planned.kind == kind or (planned.kind == "any" and kind not in ("token", "media")):
                if planned.after:
                    planned.after -= 1
                    return None
                planned.times -= 1
                if planned.times <= 0:
                    self._state.planned.remove(planned)
                return planned.outcome
        return None

    def _validate(self, kind: Literal["custom", "template"], payload: dict[str, Any]) -> int:
        openid = payload.get("touser")
        if not isinstance(openid, str) or not openid:
            return 40003
        if openid in self._state.unsubscribed:
            return 43004
        if kind == "custom":
            if payload.get("msgtype") != "text":
                return 40008
            text = payload.get("text")
            content = text.get("content") if isinstance(text, dict) else None
            if not isinstance(content, str) or not content.strip():
                return 44004
            if len(content.encode("utf-8")) > TEXT_LIMIT_BYTES:
                return 45002
            return 45015 if openid in self._state.closed_windows else 0
        template_id = payload.get("template_id")
        if not isinstance(template_id, str) or (self.template_ids is not None and template_id not in self.template_ids):
            return 40037
        data = payload.get("data")
        if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()
        ):
            return 47001
        return 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeWeChat) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        path, query = self._target()
        if path == "/cgi-bin/media/get":
            self._media(fake, query)
            return
        if _PATHS.get(path) != "token":
            self._reply(404, {"errcode": 404, "errmsg": "not found"})
            return
        answer = fake._token_answer(query)
        if isinstance(answer, Fault):
            self._fault(fake, answer)
        else:
            self._reply(200, answer)

    def do_POST(self) -> None:
        fake = self.server.fake
        path, query = self._target()
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = _PATHS.get(path)
        if path == "/cgi-bin/stable_token" and fake.offers_stable_token:
            self._stable_token(fake, raw)
            return
        if kind not in ("custom", "template"):
            self._reply(404, {"errcode": 404, "errmsg": "not found"})
            return
        if fake.send_seconds:
            fake._closing.wait(fake.send_seconds)
        outcome = fake._send_answer(kind, query.get("access_token"), raw)
        if isinstance(outcome, Fault):
            self._fault(fake, outcome)
        elif outcome == 0 and kind == "template":
            self._reply(200, {"errcode": 0, "errmsg": "ok", "msgid": len(fake.messages)})
        else:
            self._reply(200, _refusal(outcome))

    def _stable_token(self, fake: FakeWeChat, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._reply(200, _refusal(47001))
            return
        query = {k: str(v) for k, v in body.items() if k in ("grant_type", "appid", "secret")}
        if body.get("force_refresh") is True:
            query["force_refresh"] = "1"
        answer = fake._token_answer(query, stable=True)
        if isinstance(answer, Fault):
            self._fault(fake, answer)
        else:
            self._reply(200, answer)

    def _media(self, fake: FakeWeChat, query: dict[str, str]) -> None:
        """The file itself with its Content-Type, or a JSON refusal (WeChat sends those as text/plain)."""
        with fake._changed:
            fake._state.media_requests.append(query.get("media_id", ""))
            code = fake._check_token(query.get("access_token"))
            outcome: Outcome = code or fake._take_planned("media") or 0
            found = fake._state.media.get(query.get("media_id", ""))
            fake._changed.notify_all()
        if isinstance(outcome, Fault):
            self._fault(fake, outcome)
        elif outcome or found is None:
            data = json.dumps(_refusal(outcome or 40007)).encode("utf-8")
            self._send(200, data, "text/plain")
        else:
            self._send(200, found[0], found[1])

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _target(self) -> tuple[str, dict[str, str]]:
        url = urlsplit(self.path)
        return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}

    def _fault(self, fake: FakeWeChat, fault: Fault) -> None:
        if fault is Fault.HTTP_500:
            self._reply(500, b"<html>500 Internal Server Error</html>")
        elif fault is Fault.NOT_JSON:
            self._reply(200, b"<html>upstream busy</html>")
        elif fault is Fault.LATE:
            fake._closing.wait(fake.late_seconds)
            self._reply(200, {"errcode": 0, "errmsg": "ok"})
        else:
            fake._closing.wait(fake.hang_seconds)
            self.close_connection = True

    def _reply(self, status: int, body: dict[str, Any] | bytes) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, bytes) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _now() -> datetime:
    return datetime.now(UTC)


def _refusal(code: int) -> dict[str, Any]:
    return {"errcode": code, "errmsg": _ERRMSG.get(code, "error")}


def _parse_like_wechat(raw: bytes) -> dict[str, Any] | None:
    """Parse a JSON body the way WeChat treats it: UTF-8 only, `\\uXXXX` escapes kept as typed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    literal = _JSON_UNICODE_ESCAPE.sub(lambda m: m.group(1) + ("\\" if len(m.group(1)) % 2 else "") + "u", text)
    try:
        payload = json.loads(literal)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _message(kind: Literal["custom", "template"], payload: dict[str, Any]) -> Message:
    if kind == "custom":
        return Message(kind, payload["touser"], payload["text"]["content"], None, None, _now())
    data = {key: value["value"] for key, value in payload["data"].items()}
    return Message(kind, payload["touser"], None, payload["template_id"], data, _now())
