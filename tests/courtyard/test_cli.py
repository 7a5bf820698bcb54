"""The `courtyard` command as an operator runs it: serve, org import, sweep, and clear errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from tests.conftest import TOKEN
from tests.fake_wechat import FakeWeChat
from tests.support.serve import COURTYARD, serving
from tests.support.wechat_client import WeChatPoster

__all__ = ["COURTYARD"]  # imported from here by older tests

DATA = Path(__file__).parent.parent / "data"


def env_for(tmp_path: Path, fake: FakeWeChat | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    env["COURTYARD_DB_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["WECHAT_TOKEN"] = TOKEN
    if fake is not None:
        env |= {"WECHAT_APP_ID": fake.app_id, "WECHAT_APP_SECRET": fake.app_secret, "WECHAT_API_BASE": fake.base_url}
    return env | extra


def run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COURTYARD, *args], cwd=tmp_path, env=env_for(tmp_path, **extra), capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def served(tmp_path: Path, fake_wechat: FakeWeChat) -> Iterator[tuple[str, str]]:
    """`courtyard serve` in a subprocess on a free port; yields (base URL, start-up output)."""
    with serving(tmp_path, env_for(tmp_path, fake_wechat)) as running:
        yield running.base_url, running.started


def test_serve_demo_town_end_to_end(tmp_path: Path, served: tuple[str, str], fake_wechat: FakeWeChat) -> None:
    base_url, output = served
    assert "示范镇“柳街镇”" in output
    assert requests.get(base_url + "/healthz", timeout=5).status_code == 200
    poster = WeChatPoster(base_url, token=TOKEN)
    # 周伟 (东风院) is the demo's one cadre without an invented openid: he binds a real WeChat account.
    invite = run(tmp_path, "cadre", "invite", "周伟")
    assert invite.returncode == 0, invite.stderr
    assert "绑定成功" in (poster.text("o_real_zhouwei", f"绑定 {invite.stdout.split()[-1]}").content or "")
    reply = poster.text("o_newcomer", "东风小区门口的路灯坏了三天了")
    number = re.search(r"编号 (\d+)", reply.content or "")
    assert number, reply
    wanted = f"编号 {number.group(1)}"
    assert fake_wechat.wait_for(lambda: any(wanted in t for t in fake_wechat.texts_for("o_real_zhouwei")), timeout=10)


def test_org_import_is_idempotent_and_reports_bad_lines(tmp_path: Path) -> None:
    first = run(tmp_path, "org", "import", str(DATA / "org_small.yaml"))
    assert first.returncode == 0, first.stderr
    again = run(tmp_path, "org", "import", str(DATA / "org_small.yaml"))
    assert "没有改动" in again.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("town: 柳街镇\ncommunities:\n  - name: A社区\n    cadres:\n      - {role: community}\n", "utf-8")
    failed = run(tmp_path, "org", "import", str(bad))
    assert failed.returncode == 2
    assert f"{bad}:5: 缺少 `name:`" in failed.stderr


def test_bad_settings_name_the_variable(tmp_path: Path) -> None:
    result = run(tmp_path, "org", "import", str(DATA / "org_small.yaml"), COURTYARD_TZ="Mars/Olympus")
    assert result.returncode == 2
    assert "COURTYARD_TZ：不认识的时区 'Mars/Olympus'" in result.stderr
    result = run(tmp_path, "sweep", WECHAT_ENCODING_AES_KEY="short")
    assert result.returncode == 2 and "WECHAT_ENCODING_AES_KEY" in result.stderr


def test_sweep_with_unparsable_date_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "sweep", "--at", "next tuesday")
    assert result.returncode == 2
    assert "--at" in result.stderr and "ISO-8601" in result.stderr


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    for command in ("serve", "org", "sweep"):
        assert command in result.stdout


def test_bad_policy_is_refused_naming_the_field(tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    base = (DATA / "org_small.yaml").read_text(encoding="utf-8")
    for policy, words in (
        ("policy:\n  deadline_days: {城乡建设: -2}\n", "policy.deadline_days.城乡建设: 应是大于 0 的数"),
        ("policy:\n  deadline_days: {火星: 2}\n", "policy.deadline_days.火星: 没有这个类别"),
        ("policy:\n  deadline_days: {城乡建设: }\n", "policy.deadline_days.城乡建设"),
    ):
        org.write_text(base + policy, encoding="utf-8")
        result = run(tmp_path, "org", "import", str(org))
        assert result.returncode == 2 and words in result.stderr, result.stderr
        served = run(tmp_path, "serve", "--port", "0", "--org", str(org))
        assert served.returncode == 2 and words in served.stderr, served.stderr


def test_cadre_invite_prints_a_code(tmp_path: Path) -> None:
    run(tmp_path, "org", "import", str(DATA / "org_small.yaml"))
    result = run(tmp_path, "cadre", "invite", "孙静")
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code) and f"绑定 {code}" in result.stdout
    unknown = run(tmp_path, "cadre", "invite", "无名氏")
    assert unknown.returncode == 2 and "无名氏" in unknown.stderr


def test_classify_prints_one_json_line_per_text(tmp_path: Path) -> None:
    import json

    result = run(
        tmp_path, "classify", "--org", str(DATA / "org_small.yaml"), "桂花院子3栋那个化粪池又堵起了臭得很", "你好"
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert (first["category"], first["courtyard"], first["urgent"]) == ("城乡建设", "桂花苑", False)
    assert "桂花院子" in first["tokens"] and 0 < first["confidence"] <= 1
    assert second["category"] == "其他"
    assert (first["intent"], first["building"], first["hotline"]) == ("complaint", "3栋", None)
    assert (second["intent"], second["building"]) == ("smalltalk", None)
    assert "Building prefix dict" not in result.stderr  # jieba's loading chatter is silenced


def test_classify_answers_the_issue_13_tries(tmp_path: Path) -> None:
    import json

    texts = ("聞到煤氣味了 桂花小區3棟", "Hi, the street light near Guihua garden is broken, 桂花苑3栋门口 please fix asap",
             "谢谢你们 路灯亮了 巴适", "我反映的路灯修得咋样了", "我想反映个事情", "电线掉地上了")
    result = run(tmp_path, "classify", "--org", str(DATA / "org_small.yaml"), *texts)
    assert result.returncode == 0, result.stderr
    gas, english, thanks, progress, prelude, wire = (json.loads(line) for line in result.stdout.splitlines())
    assert (gas["urgent"], gas["hotline"], gas["courtyard"], gas["building"]) == (True, "燃气", "桂花苑", "3栋")
    assert (english["intent"], english["category"], english["courtyard"]) == ("complaint", "城乡建设", "桂花苑")
    assert "street" in english["tokens"] and "light" in english["tokens"]
    assert (thanks["intent"], thanks["category"]) == ("smalltalk", "其他")
    assert (progress["intent"], progress["category"]) == ("progress", "其他")
    assert (prelude["intent"], prelude["category"]) == ("prelude", "其他")
    assert (wire["urgent"], wire["hotline"]) == (True, "95598")


def test_eval_ends_with_accuracy_and_macro_f1(tmp_path: Path) -> None:
    data = tmp_path / "few.csv"
    data.write_text("text,label\n小区路灯坏了好几天了,城乡建设\n学校门口交通太乱了,交通运输\n", encoding="utf-8")
    result = run(tmp_path, "eval", str(data))
    assert result.returncode == 0, result.stderr
    *_, accuracy, macro = result.stdout.strip().splitlines()
    assert re.fullmatch(r"accuracy: [01]\.\d{4}", accuracy) and re.fullmatch(r"macro-F1: [01]\.\d{4}", macro)
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n路灯坏了,火星事务\n", encoding="utf-8")
    refused = run(tmp_path, "eval", str(bad))
    assert refused.returncode == 2 and "2" in refused.stderr and "火星事务" in refused.stderr


def test_classify_reads_courtyards_from_the_configured_database(tmp_path: Path) -> None:
    import json

    assert run(tmp_path, "org", "import", str(DATA / "org_small.yaml")).returncode == 0
    result = run(tmp_path, "classify", "桂花院子门口的路灯坏了")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["courtyard"] == "桂花苑"
    refused = run(tmp_path, "classify", "路灯坏了", COURTYARD_DB_URL="courtyard.db")
    assert refused.returncode == 2 and "COURTYARD_DB_URL" in refused.stderr


def test_serve_without_credentials_says_what_is_held_and_still_runs_the_sweeps(tmp_path: Path) -> None:
    """No AppID/secret, no templates: the operator is told in Chinese, and overdue work is still marked."""
    from courtyard import runtime
    from courtyard.settings import Settings
    from handlers.context import Context
    from handlers.conversation import Conversation
    from handlers.messages import Inbound
    from storage.models import Ticket
    from tests.support.clock import TestClock

    env = env_for(tmp_path)
    settings = Settings(_env_file=None, courtyard_db_url=env["COURTYARD_DB_URL"])  # type: ignore[call-arg]
    db = runtime.open_database(settings)
    runtime.ensure_org_chart(db, None)
    long_ago = TestClock(datetime.now(UTC) - timedelta(days=20))
    conversation = Conversation(Context(db=db, calendar=runtime.build_calendar(settings, db), clock=long_ago))
    conversation.handle(Inbound(openid="o_old", kind="text", key="m1", sent_at=long_ago(), text="桂花苑门口的路灯坏了"))
    with serving(tmp_path, env) as served:
        output = served.started
        for words in (
            "WECHAT_APP_ID / WECHAT_APP_SECRET",
            "WECHAT_TEMPLATE_TASK",
            "WECHAT_TEMPLATE_STATUS",
            "合并成一条",
            "送到聊天模拟器里扮演的人手上",  # the demo: pushes go to the simulator's phones, not nowhere
        ):
            assert words in output, output
        assert "一条也发不出去" not in output
        deadline = time.monotonic() + 60
        overdue = False
        while not overdue and time.monotonic() < deadline:
            with db.transaction() as session:
                overdue = all(t.overdue for t in session.exec(select(Ticket)).all())
            time.sleep(0.2)
        assert overdue, "the ledger sweep did not run inside serve"


def test_without_credentials_an_own_org_chart_is_told_nothing_goes_out() -> None:
    from courtyard import messages
    from courtyard.settings import Settings

    settings = Settings(_env_file=None, wechat_app_id="", wechat_app_secret="")  # type: ignore[call-arg]
    assert messages.NO_CREDENTIALS in messages.push_warnings(settings, demo=False)
    assert messages.NO_CREDENTIALS not in messages.push_warnings(settings, demo=True)


def test_a_busy_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 2
    assert f"端口 {port} 已被占用" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert [line for line in result.stderr.splitlines() if "端口" in line] == [result.stderr.strip().splitlines()[-1]]


def test_what_the_operator_reads_is_chinese(tmp_path: Path) -> None:
    """sweep, export, hot's errors and an org file's field errors: every line meant for a person is Chinese."""
    assert run(tmp_path, "org", "import", str(DATA / "org_small.yaml")).returncode == 0
    swept = run(tmp_path, "sweep", "--at", "2026-11-24T10:00")
    assert swept.returncode == 0, swept.stderr
    assert "  台账：没有到期的事项" in swept.stdout.splitlines()
    assert "定时任务已执行（按 2026-11-24T10:00+08:00 计）" in swept.stdout
    assert "未设置 WECHAT_APP_ID / WECHAT_APP_SECRET" in swept.stdout
    exported = run(tmp_path, "export", "-o", str(tmp_path / "台账.csv"))
    assert exported.stdout.strip() == f"已导出 0 件诉求到 {tmp_path / '台账.csv'}（csv）", exported.stdout
    bad_csv = tmp_path / "messages.csv"
    bad_csv.write_text("编号,内容\n1,路灯坏了\n", encoding="utf-8")
    hot = run(tmp_path, "hot", "--csv", str(bad_csv))
    assert hot.returncode == 2 and "需要 id 列" in hot.stderr, hot.stderr
    bad_org = tmp_path / "bad.yaml"
    bad_org.write_text(
        "town: 柳街镇\ncommunities:\n  - name: A社区\n    courtyards:\n      - name: 桂花苑\n        households: 很多\n",
        encoding="utf-8",
    )
    refused = run(tmp_path, "org", "import", str(bad_org))
    assert refused.returncode == 2
    expected = f"无法导入组织架构：{bad_org}:5: 院落 桂花苑：`households`（户数）应是不小于 0 的整数"
    assert refused.stderr.strip() == expected
    for result in (swept, exported, hot, refused):
        for line in (result.stdout + result.stderr).splitlines():
            assert re.search(r"[\u4e00-\u9fff]", line), f"a line without Chinese: {line!r}"
