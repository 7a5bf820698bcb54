"""Several processes start together: schema upgrade and org import run one at a time, under a database lock."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.conftest import database_url
from tests.courtyard.test_cli import DATA, env_for
from tests.fake_wechat import FakeWeChat
from tests.support.serve import launch, wait_ready


def start_together(tmp_path: Path, env: dict[str, str], *extra: str, count: int = 2) -> list[tuple[str, str]]:
    """Start count `courtyard serve` at the same instant; each one's (address, output) once it is ready."""
    processes = [launch(tmp_path, env, *extra) for _ in range(count)]
    served = []
    try:
        served = [wait_ready(process) for process in processes]
        for running in served:
            assert requests.get(running.base_url + "/healthz", timeout=5).status_code == 200
        return [(running.base_url, running.started) for running in served]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_two_servers_started_at_once_on_an_empty_database(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    env = env_for(tmp_path, fake_wechat, COURTYARD_DB_URL=database_url(tmp_path))
    outputs = [output for _, output in start_together(tmp_path, env)]
    assert sum("已载入示范镇" in o for o in outputs) == 1
    assert sum("使用数据库中已有的" in o for o in outputs) == 1


def test_two_servers_importing_one_changed_org_file_at_once(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    env = env_for(tmp_path, fake_wechat, COURTYARD_DB_URL=database_url(tmp_path))
    org = tmp_path / "org.yaml"
    org.write_text((DATA / "org_small.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    start_together(tmp_path, env, "--org", str(org), count=1)
    org.write_text(org.read_text(encoding="utf-8").replace("桂花苑", "丹桂苑"), encoding="utf-8")
    outputs = [output for _, output in start_together(tmp_path, env, "--org", str(org))]
    assert sum("没有改动" in o for o in outputs) == 1
