"""What handlers need from the outside world, as protocols the wiring fills in."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Failure(StrEnum):
    """How a failed push should be treated by the outbox."""

    WINDOW_CLOSED = "window_closed"  # 45015/45047: the 48-hour window is shut; try a template or hold
    RETRY = "retry"  # network trouble, -1, 5xx: try again later with backoff
    PERMANENT = "permanent"  # unsubscribed (43004) or any other refusal: give up and record why
    UNCERTAIN = "uncertain"  # sent, but no answer came: it may have arrived; resend at most once
    # No access token (credentials or IP allow-list refused, token endpoint down): nothing can go until
    # that is fixed, so the push waits however long it takes, and what piles up goes as one summary.
    NO_TOKEN = "no_token"


class DeliveryError(Exception):
    """A push the messaging platform did not take."""

    def __init__(self, failure: Failure, reason: str, code: int | None = None) -> None:
        super().__init__(f"{failure}: {reason}")
        self.failure = failure
        self.reason = reason
        self.code = code


class Sender(Protocol):
    """Sends pushes to a person; raises DeliveryError when the platform refuses."""

    def send_text(self, openid: str, text: str) -> None: ...

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None: ...


class MediaFailure(StrEnum):
    """Why a photo could not be fetched from the messaging platform."""

    GONE = "gone"  # the platform no longer has it (WeChat 40007: invalid or expired media_id)
    RETRY = "retry"  # network trouble, a busy platform: try again later
    REFUSED = "refused"  # too large, or any other refusal that trying again will not change


class MediaError(Exception):
    """A photo the platform did not hand over."""

    def __init__(self, failure: MediaFailure, reason: str) -> None:
        super().__init__(f"{failure}: {reason}")
        self.failure = failure
        self.reason = reason


class MediaSource(Protocol):
    """Fetches a photo a person sent (by its media id): its declared content type and at most limit + 1 bytes;
    raises MediaError."""

    def fetch(self, media_id: str, *, limit: int) -> tuple[str, bytes]: ...
