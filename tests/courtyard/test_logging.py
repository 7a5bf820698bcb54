"""Quiet logs: one INFO line per message and per push, and nothing from the periodic ticks."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.conftest import TOKEN
from tests.courtyard.test_cli import DATA, env_for
from tests.fake_wechat import FakeWeChat
from tests.support.serve import serving
from tests.support.wechat_client import WeChatPoster


def serve_one_message(tmp_path: Path, fake: FakeWeChat, *extra: str) -> str:
    """Serve, take one complaint, let its push go out and a few idle ticks pass; everything logged."""
    with serving(tmp_path, env_for(tmp_path, fake), "--org", str(DATA / "org_small.yaml"), *extra) as served:
        reply = WeChatPoster(served.base_url, token=TOKEN).text("o_quiet", "桂花苑门口的路灯坏了", msg_id=4242)
        assert reply.status == 200
        assert fake.wait_for(lambda: len(fake.texts_for("o_lifang")) == 1, timeout=30)
        time.sleep(3)  # idle: the outbox drain ticks every second
    return served.started + "".join(served.rest)


def test_one_line_per_message_and_per_push_and_silence_when_idle(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    log = serve_one_message(tmp_path, fake_wechat)
    info = [line for line in log.splitlines() if " INFO " in line]
    assert len([line for line in info if re.search(r"message msg:\S+:4242 text: answered", line)]) == 1
    assert len([line for line in info if re.search(r"push \d+ new_task to o_lifang: sent \(custom\)", line)]) == 1
    for chatter in ("apscheduler", "alembic", "Running job", "outbox drain", "Building prefix dict"):
        assert chatter not in log, chatter


def test_verbose_lets_the_libraries_speak(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    log = serve_one_message(tmp_path, fake_wechat, "--verbose")
    assert "apscheduler" in log and "DEBUG" in log
