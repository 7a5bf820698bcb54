"""Where the browser tests save their screenshots: under the test's tmp_path, unless a refresh asks for the README's.

`scripts/refresh-screenshots.sh` sets COURTYARD_SCREENSHOTS to docs/screenshots to refresh the committed
pictures deliberately; an ordinary test run never writes into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("COURTYARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
