"""Our WeChat Official Account API client: access-token cache, error codes, and message sends."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests
import urllib3

log = logging.getLogger(__name__)

# Codes that mean "this access token is no good": invalid (40001), expired (42001), not a token (40014).
TOKEN_ERRCODES = frozenset({40001, 42001, 40014})

_SECRET_IN_URL = re.compile(r"((?:secret|access_token)=)[^&\s\"']+")


class WeChatError(Exception):
    """Anything that went wrong talking to the WeChat API."""


class WeChatAPIError(WeChatError):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatTokenError(WeChatAPIError):
    """The token endpoint refused to issue an access token (bad appid/secret, IP not allowed, busy)."""


class WeChatTransportError(WeChatError):
    """No usable answer: timeout, connection error, HTTP 5xx or a body that is not a JSON object.

    maybe_delivered: the request went out and no answer came (a read timeout, a connection cut
    mid-answer), so WeChat may have acted on it.
    """

    def __init__(self, message: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class MediaTooLarge(WeChatError):
    """A media file larger than the caller accepts (not read further)."""


class EndpointMissing(WeChatTransportError):
    """The API answered 404: this server does not offer that endpoint (a stand-in without stable_token)."""


@dataclass(frozen=True)
class AccessToken:
    """An access token and the moment WeChat said it stops working."""

    value: str
    expires_at: datetime


class TokenStore(Protocol):
    """Where the current access token lives; shared by every client of one AppID.

    refreshing() is held while a client fetches a new token, so that one client fetches and the
    others then find the new token stored; invalidate() forgets a token WeChat refused, for all.
    """

    def get(self) -> AccessToken | None: ...

    def set(self, token: str, expires_at: datetime) -> None: ...

    def invalidate(self, token: str) -> None: ...

    def refreshing(self) -> AbstractContextManager[object]: ...


class InMemoryTokenStore:
    """A TokenStore for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refresh = threading.Lock()
        self._token: AccessToken | None = None

    def get(self) -> AccessToken | None:
        """Return the stored token, if any."""
        with self._lock:
            return self._token

    def set(self, token: str, expires_at: datetime) -> None:
        """Replace the stored token."""
        with self._lock:
            self._token = AccessToken(token, expires_at)

    def invalidate(self, token: str) -> None:
        """Forget token unless another one replaced it already."""
        with self._lock:
            if self._token is not None and self._token.value == token:
                self._token = None

    def refreshing(self) -> AbstractContextManager[object]:
        """One fetch at a time among the clients sharing this store."""
        return self._refresh


class _RedactSecrets(logging.Filter):
    """Blanks `secret=` and `access_token=` in urllib3's debug lines, which print full request URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_IN_URL.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _redact_urllib3_logs() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())


def _was_sent(exc: requests.ConnectionError) -> bool:
    """Whether a connection error came after the request went out (not a refused or failed connect)."""
    reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
    return not isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WeChatAPI:
    """Client for the parts of the WeChat API we use; every URL lives under `base_url`."""

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        timeout: float = 5.0,
        token_store: TokenStore | None = None,
        refresh_margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._secret = app_secret
        self._timeout = timeout
        self._store: TokenStore = token_store if token_store is not None else InMemoryTokenStore()
        self._margin = refresh_margin
        self._clock = clock
        self._token_lock = threading.Lock()
        self._session = requests.Session()
        _redact_urllib3_logs()

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def send_text(self, openid: str, text: str) -> None:
        """Send a customer-service text message (only works inside the person's 48-hour window)."""
        self._post(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    def send_template(self, openid: str, template_id: str, data: Mapping[str, str]) -> None:
        """Send a template message; `data` maps the template's keywords to their values."""
        self._post(
            "/cgi-bin/message/template/send",
            {
                "touser": openid,
                "template_id": template_id,
                "data": {key: {"value": value} for key, value in data.items()},
            },
        )

    def get_media(self, media_id: str, *, limit: int) -> tuple[str, bytes]:
        """A temporary media file a person sent (GET /cgi-bin/media/get): its Content-Type and bytes.

        Raises WeChatAPIError with WeChat's errcode (40007: invalid or expired media_id), MediaTooLarge
        past limit bytes, WeChatTransportError on network trouble. A refused token is replaced once.
        """
        token = self.access_token()
        try:
            return self._download(token, media_id, limit)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            log.warning("WeChat refused the access token (errcode %d); fetching a new one", exc.errcode)
        return self._download(self._replace_token(token), media_id, limit)

    def _download(self, token: str, media_id: str, limit: int) -> tuple[str, bytes]:
        where = "GET /cgi-bin/media/get"
        try:
            with self._session.get(
                self._base + "/cgi-bin/media/get",
                params={"access_token": token, "media_id": media_id},
                timeout=self._timeout,
                stream=True,
            ) as response:
                if response.status_code == 404 or response.status_code >= 500:
                    raise WeChatTransportError(f"{where}: HTTP {response.status_code}")
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise MediaTooLarge(f"{where}: more than {limit} bytes")
        except requests.RequestException as exc:
            raise WeChatTransportError(f"{where}: {type(exc).__name__}") from None
        if kind in ("application/json", "text/plain", "text/json") or body[:1] == b"{":
            # WeChat answers a refusal with a JSON object instead of the file.
            try:
                answer = json.loads(bytes(body))
            except ValueError:
                answer = None
            if isinstance(answer, dict) and isinstance(answer.get("errcode"), int) and answer["errcode"]:
                raise WeChatAPIError(answer["errcode"], str(answer.get("errmsg", "")))
        return kind, bytes(body)

    def access_token(self) -> str:
        """Return a token that is not about to expire, fetching one if needed (one fetch at a time)."""
        token = self._fresh_token()
        if token is not None:
            return token
        with self._token_lock, self._store.refreshing():
            return self._fresh_token() or self._fetch_token()

    def _fresh_token(self) -> str | None:
        token = self._store.get()
        if token is not None and self._clock() + self._margin < token.expires_at:
            return token.value
        return None

    def _replace_token(self, rejected: str) -> str:
        """Fetch a new token after WeChat rejected `rejected` (forgotten for every client), unless
        another caller already did."""
        self._store.invalidate(rejected)
        with self._token_lock, self._store.refreshing():
            fresh = self._fresh_token()
            if fresh is not None and fresh != rejected:
                return fresh
            return self._fetch_token(rejected=rejected)

    def _fetch_token(self, *, rejected: str | None = None) -> str:
        """Fetch from stable_token, which hands every caller the same token while it is valid (so a
        fetch never retires a token another server still uses); forced after WeChat refused one,
        which it would otherwise hand back while it thinks it valid."""
        now = self._clock()
        try:
            value, expires_in = self._stable_token(force=rejected is not None)
        except EndpointMissing:
            log.warning("the WeChat API offers no /cgi-bin/stable_token: using GET /cgi-bin/token")
            value, expires_in = self._token()
        self._store.set(value, now + timedelta(seconds=expires_in))
        log.info("fetched a WeChat access token valid for %d s", expires_in)
        return value

    def _stable_token(self, *, force: bool) -> tuple[str, int]:
        payload = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret}
        body = self._request(
            "POST",
            "/cgi-bin/stable_token",
            data=json.dumps(payload | {"force_refresh": force}).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        return _token_of(body, "POST /cgi-bin/stable_token")

    def _token(self) -> tuple[str, int]:
        """The classic endpoint (DESIGN §4): each call issues a new token and retires the last one."""
        body = self._request(
            "GET",
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret},
        )
        return _token_of(body, "GET /cgi-bin/token")

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        """POST JSON with the access token; on a token errcode, refresh once and retry once."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        token = self.access_token()
        try:
            self._checked_post(path, token, body)
            return
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            log.warning("WeChat refused the access token (errcode %d); fetching a new one", exc.errcode)
        self._checked_post(path, self._replace_token(token), body)

    def _checked_post(self, path: str, token: str, body: bytes) -> None:
        answer = self._request(
            "POST",
            path,
            delivers=True,
            params={"access_token": token},
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        if answer["errcode"]:
            raise WeChatAPIError(answer["errcode"], str(answer.get("errmsg", "")))

    def _request(self, method: str, path: str, *, delivers: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Do one HTTP call and return its JSON object, `errcode` filled in (0 when absent).

        delivers: the call sends a message, so an answer that never came means it may have been
        delivered. Errors never carry the URL: it holds the secret or the token.
        """
        where = f"{method} {path}"
        try:
            response = self._session.request(method, self._base + path, timeout=self._timeout, **kwargs)
        except requests.ConnectTimeout:
            raise WeChatTransportError(f"{where}: no connection within {self._timeout} s") from None
        except requests.Timeout:
            raise WeChatTransportError(
                f"{where}: no answer within {self._timeout} s", maybe_delivered=delivers
            ) from None
        except requests.ConnectionError as exc:
            # Refused or unreachable: nothing was sent. Cut off later: it may have been acted on.
            raise WeChatTransportError(
                f"{where}: {type(exc).__name__}", maybe_delivered=delivers and _was_sent(exc)
            ) from None
        except requests.RequestException as exc:
            raise WeChatTransportError(f"{where}: {type(exc).__name__}") from None
        if response.status_code == 404:
            raise EndpointMissing(f"{where}: HTTP 404")
        if response.status_code >= 500:
            raise WeChatTransportError(f"{where}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.setdefault("errcode", 0), int):
            raise WeChatTransportError(f"{where}: HTTP {response.status_code}, not a WeChat JSON answer")
        return answer


def _token_of(body: dict[str, Any], where: str) -> tuple[str, int]:
    """The token and its lifetime from a token endpoint's answer."""
    if body["errcode"]:
        raise WeChatTokenError(body["errcode"], str(body.get("errmsg", "")))
    value, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(value, str) or not value or not isinstance(expires_in, int):
        raise WeChatTransportError(f"{where}: answer without access_token/expires_in")
    return value, expires_in
