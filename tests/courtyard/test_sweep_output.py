"""`courtyard sweep` tells the operator what became of the pushes it decided, true for each configuration."""

from __future__ import annotations

import re
from pathlib import Path

from courtyard.runtime import demo_org_path
from tests.courtyard.test_cli import DATA, run
from tests.fake_wechat import FakeWeChat

TUESDAY_WALK = "2026-12-08T10:00"  # the courtyard-walk digests and the leader digest fall due


def waiting(output: str) -> int:
    found = re.search(r"发件箱里有 (\d+) 条在等待", output)
    assert found, output
    return int(found.group(1))


def test_demo_without_credentials_says_the_simulator_gets_them(tmp_path: Path) -> None:
    assert run(tmp_path, "org", "import", str(demo_org_path())).returncode == 0
    swept = run(tmp_path, "sweep", "--at", TUESDAY_WALK)
    assert swept.returncode == 0, swept.stderr
    assert "院落走访简报 3 份、领导周报 1 份" in swept.stdout
    assert "演示组织架构" in swept.stdout and "送到聊天模拟器" in swept.stdout
    assert "设置这两项后" not in swept.stdout and "已发出" not in swept.stdout
    assert waiting(swept.stdout) == 4


def test_own_org_chart_without_credentials_says_nothing_went_out(tmp_path: Path) -> None:
    assert run(tmp_path, "org", "import", str(DATA / "org_small.yaml")).returncode == 0
    swept = run(tmp_path, "sweep", "--at", TUESDAY_WALK)
    assert "推送一条也没有发出" in swept.stdout and "设置这两项后" in swept.stdout
    assert "聊天模拟器" not in swept.stdout and "已发出" not in swept.stdout
    assert waiting(swept.stdout) >= 1


def test_with_credentials_it_sends_and_says_how(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    credentials = {
        "WECHAT_APP_ID": fake_wechat.app_id,
        "WECHAT_APP_SECRET": fake_wechat.app_secret,
        "WECHAT_API_BASE": fake_wechat.base_url,
    }
    assert run(tmp_path, "org", "import", str(demo_org_path()), **credentials).returncode == 0
    swept = run(tmp_path, "sweep", "--at", TUESDAY_WALK, **credentials)
    assert swept.returncode == 0, swept.stderr
    assert "发件箱：已发出（客服消息）4 条" in swept.stdout, swept.stdout
    assert "未设置" not in swept.stdout and "在等待" not in swept.stdout and "没到发送时间" not in swept.stdout
    assert len(fake_wechat.messages) == 4
