"""courtyard.environment reads COURTYARD_DB_URL exactly as the Settings model does."""

from __future__ import annotations

from pathlib import Path

import pytest

from courtyard.environment import DEFAULT_DB_URL, database_url
from courtyard.settings import load_settings


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURTYARD_DB_URL", raising=False)
    return tmp_path


def test_default_without_environment_or_env_file(bare: Path) -> None:
    assert database_url() == DEFAULT_DB_URL == load_settings().courtyard_db_url


def test_env_file_is_read(bare: Path) -> None:
    (bare / ".env").write_text('WECHAT_TOKEN=t\nCOURTYARD_DB_URL="sqlite:///from-dotenv.db"\n', encoding="utf-8")
    assert database_url() == "sqlite:///from-dotenv.db" == load_settings().courtyard_db_url


def test_environment_wins_over_env_file(bare: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (bare / ".env").write_text("COURTYARD_DB_URL=sqlite:///from-dotenv.db\n", encoding="utf-8")
    monkeypatch.setenv("COURTYARD_DB_URL", "sqlite:///from-environment.db")
    assert database_url() == "sqlite:///from-environment.db" == load_settings().courtyard_db_url
