"""The one setting `courtyard classify` needs, read without loading the settings model.

Importing pydantic-settings costs about 0.3 s, a fifth of the command's measured cold start; the
database URL is read here the way `courtyard.settings.Settings` reads it (environment, then `.env`,
then the default), and everything else still goes through Settings.
"""

from __future__ import annotations

import os

ENV_FILE = ".env"
DB_URL_VARIABLE = "COURTYARD_DB_URL"
DEFAULT_DB_URL = "sqlite:///courtyard.db"


def database_url() -> str:
    """COURTYARD_DB_URL as Settings would see it (not validated: Settings does that)."""
    if DB_URL_VARIABLE in os.environ:
        return os.environ[DB_URL_VARIABLE]
    if os.path.exists(ENV_FILE):
        from dotenv import dotenv_values

        value = dotenv_values(ENV_FILE, encoding="utf-8").get(DB_URL_VARIABLE)
        if value is not None:
            return value
    return DEFAULT_DB_URL
