"""The settings object: with courtyard.environment, the only code that reads the environment (and `.env`)."""

from __future__ import annotations

import base64
import binascii
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from courtyard.environment import DEFAULT_DB_URL, ENV_FILE

DEVELOPMENT_TOKEN = "courtyard-dev"


class SettingsError(ValueError):
    """A setting has a value the program cannot use; the message names the variable."""


class Settings(BaseSettings):
    """Every variable of DESIGN.md §4, with its default."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    courtyard_db_url: str = DEFAULT_DB_URL
    courtyard_tz: str = "Asia/Shanghai"
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_encoding_aes_key: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_template_task: str = ""
    wechat_template_status: str = ""
    # Where messages wait when the database cannot take them (default: beside a SQLite file, else ./).
    courtyard_journal: str = ""
    # Secure flag of the web pages' cookies: unset = exactly when the request came over HTTPS (directly or
    # through a proxy's X-Forwarded-Proto); true or false to force it.
    courtyard_cookie_secure: bool | None = None

    @field_validator("courtyard_db_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("应是数据库地址，例如 sqlite:///courtyard.db 或 postgresql+psycopg://…")
        return value

    @field_validator("courtyard_tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"不认识的时区 {value!r}（例如 Asia/Shanghai）") from None
        return value

    @field_validator("courtyard_cookie_secure", mode="before")
    @classmethod
    def _cookie_secure(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("wechat_api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("应以 http:// 或 https:// 开头")
        return value.rstrip("/")

    @field_validator("wechat_encoding_aes_key")
    @classmethod
    def _aes_key(cls, value: str) -> str:
        if not value:
            return value
        try:
            key = base64.b64decode(value + "=", validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(value) != 43 or len(key) != 32:
            raise ValueError("应是公众号后台“基本配置”里 43 个字符的消息加解密密钥（EncodingAESKey）")
        return value

    @model_validator(mode="after")
    def _safe_mode_needs_app_id(self) -> Settings:
        if self.wechat_encoding_aes_key and not self.wechat_app_id:
            raise ValueError("设置了 WECHAT_ENCODING_AES_KEY（安全模式），但没有设置 WECHAT_APP_ID")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.courtyard_tz)

    @property
    def token(self) -> str:
        return self.wechat_token or DEVELOPMENT_TOKEN

    @property
    def secure_cookies(self) -> bool | None:
        return self.courtyard_cookie_secure

    @property
    def can_push(self) -> bool:
        return bool(self.wechat_app_id and self.wechat_app_secret)


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one message that names each variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
            problems.append(f"{name}：{error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("设置有误（环境变量或 .env 文件）：\n  " + "\n  ".join(problems)) from None
