"""`courtyard serve` from nothing, as the README's first command runs it: it says where to go next."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import requests

from tests.courtyard.test_cli import COURTYARD, env_for


def test_serve_ends_start_up_with_three_chinese_lines(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    del env["WECHAT_TOKEN"]
    process = subprocess.Popen(
        [COURTYARD, "serve", "--port", "0"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (lines and lines[-1].startswith("接入微信")):
            lines.append(process.stdout.readline().rstrip("\n"))
        simulator, dashboard, wechat = lines[-3:]
        assert simulator.startswith("聊天模拟器：http://127.0.0.1:") and "/simulator" in simulator, lines
        assert dashboard.startswith("管理后台：http://127.0.0.1:") and "演示账号 demo，密码 courtyard-demo" in dashboard
        assert "/wechat" in wechat and "WECHAT_TOKEN" in wechat, lines
        url = simulator.removeprefix("聊天模拟器：").split()[0]
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and "聊天模拟器" in page.text
        assert all(len(line.encode()) < 300 for line in lines[-3:])
    finally:
        process.terminate()
        process.wait(timeout=10)
