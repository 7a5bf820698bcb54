"""The platform-neutral form of one incoming message or event, as handlers see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Inbound:
    """One message or event from a person; `key` is unique per message so retries can be recognised."""

    openid: str
    kind: str  # text, voice, image, location, event, or the platform's name for anything else
    key: str
    sent_at: datetime
    text: str | None = None  # text content, or the platform's transcript of a voice message
    picture_url: str | None = None
    media_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    place_label: str | None = None
    event: str | None = None  # subscribe, unsubscribe, scan, click … for kind == "event"
    event_key: str | None = None

    def content(self) -> str:
        """What the person said, for the inbound log."""
        if self.kind == "location":
            return f"{self.place_label or ''} ({self.lat}, {self.lon})".strip()
        parts = [self.text, self.picture_url, self.event, self.event_key]
        return " ".join(p for p in parts if p)
