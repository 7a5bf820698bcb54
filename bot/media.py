"""Photos residents sent, fetched from WeChat's media API: errcodes mapped to what the photo sweep does next."""

from __future__ import annotations

from bot.wechat_api import MediaTooLarge, WeChatAPI, WeChatAPIError, WeChatTransportError
from handlers.ports import MediaError, MediaFailure

INVALID_MEDIA_ID = 40007  # invalid media_id: never issued, or dropped after its 3 days


class WeChatMedia:
    """The MediaSource of handlers/photos.py over the WeChat API client."""

    def __init__(self, api: WeChatAPI) -> None:
        self._api = api

    def fetch(self, media_id: str, *, limit: int) -> tuple[str, bytes]:
        try:
            return self._api.get_media(media_id, limit=limit)
        except WeChatAPIError as exc:
            if exc.errcode == INVALID_MEDIA_ID:
                raise MediaError(MediaFailure.GONE, "微信已不再保存这张照片（errcode 40007）") from None
            # Busy, quota, a token refused twice, a permission not granted yet: tried again while WeChat keeps it.
            raise MediaError(MediaFailure.RETRY, f"微信拒绝（errcode {exc.errcode}：{exc.errmsg}）"[:300]) from None
        except MediaTooLarge:
            raise MediaError(MediaFailure.REFUSED, f"照片超过 {limit // (1024 * 1024)} MB，未保存") from None
        except WeChatTransportError as exc:
            raise MediaError(MediaFailure.RETRY, f"连接微信失败（{exc}）"[:300]) from None
