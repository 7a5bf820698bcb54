"""Issue 12's tries, replayed through the real /wechat: a transcript of both sides with every push, then counts.

Usage: python bench/chat_tour.py [--out FILE]

Starts `courtyard serve` on a temporary SQLite file with the demo org chart and the fake WeChat API of
the tests on loopback (so every push the server decides is recorded as WeChat would receive it), sends
signed message XML as residents and cadres, moves the demo's clock with the simulator's time machine,
and runs `courtyard sweep --at` for three silent days (serve stopped meanwhile: it holds the scheduler
lock). Prints the transcript, a check of every reply and push (size, English words), and the counts
issue 12's "Done when" asks for.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.faults import Serve
from tests.fake_wechat import FakeWeChat
from tests.support.wechat_client import WeChatPoster

TOKEN = "tourtoken"
COURTYARD = str(Path(sys.executable).parent / "courtyard")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMIT = 2048
PHONE_LINES = 25  # more lines than this is more than a phone screen or two
CADRES = {
    "o_lifang": "李芳（桂花苑）",
    "o_chengang": "陈刚（银杏院）",
    "o_zhangli": "张丽（翠竹苑）",
    "o_wangming": "王明（幸福社区）",
    "o_liuyang": "刘洋（和平社区）",
    "o_zhaoqiang": "赵强（镇）",
}
NUMERALS = "一二三四五六七八九十"
PROBLEMS = [
    "楼道灯不亮了",
    "下水道堵了污水冒出来",
    "门口垃圾堆了三天没人收",
    "电梯坏了老人上不去",
    "外墙皮掉下来差点砸到人",
    "水管漏水把楼道淹了",
    "单元门禁坏了关不上",
    "楼下路灯不亮晚上黑黢黢的",
    "化粪池满了臭得很",
    "楼顶漏雨屋里都湿了",
]


def chinese_number(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


class Tour:
    """Sends messages, waits for the pushes they cause, and writes both down."""

    def __init__(self, fake: FakeWeChat, db_url: str) -> None:
        self.fake = fake
        self.engine = create_engine(db_url)
        self.lines: list[str] = []
        self.seen = 0
        self.replies: list[tuple[str, str]] = []
        self.pushes: list[tuple[str, str]] = []
        self.serve: Serve | None = None
        self.poster: WeChatPoster | None = None

    def name(self, openid: str) -> str:
        return CADRES.get(openid, "居民" + openid.removeprefix("o_"))

    def attach(self, serve: Serve) -> None:
        self.serve, self.poster = serve, WeChatPoster(serve.base, token=TOKEN)

    def say(self, openid: str, message: str, *, quiet: bool = False, settle: float = 0.0) -> str:
        assert self.poster is not None
        reply = self.poster.text(openid, message)
        content = reply.content or f"（HTTP {reply.status}，没有回复）"
        self.replies.append((message, content))
        if not quiet:
            shown = message if len(message) <= 80 else f"{message[:40]}……（共 {len(message)} 字）"
            self.lines.append(f"{self.name(openid)} ▸ {shown}")
            self.lines += ["    公众号 ◂ " + line for line in content.split("\n")]
        self.collect(quiet=quiet, settle=settle)
        return content

    def collect(self, *, quiet: bool = False, settle: float = 0.0) -> list[tuple[str, str]]:
        """Wait until the pushes decided so far have gone (and, with settle, until nothing more arrives for
        that many seconds: a held push released by a message is due on the server's clock, which the
        ledger does not show), then record those delivered since the last look."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self._waiting():
            time.sleep(0.05)
        quiet_since, count = time.monotonic(), len(self.fake.messages)
        while settle and time.monotonic() - quiet_since < settle and time.monotonic() < deadline:
            time.sleep(0.05)
            if len(self.fake.messages) != count:
                quiet_since, count = time.monotonic(), len(self.fake.messages)
        fresh = self.fake.messages[self.seen :]
        self.seen += len(fresh)
        delivered = [(m.openid, m.text or _template_text(m.data)) for m in fresh]
        self.pushes += delivered
        if not quiet:
            for openid, pushed in delivered:
                first, *rest = pushed.split("\n")
                self.lines.append(f"        ⟶ 推送给 {self.name(openid)}：{first}")
                self.lines += [f"          {line}" for line in rest]
        return delivered

    def _waiting(self) -> bool:
        """A push due by the server's clock (as far as the ledger shows it) that the drain has not settled yet."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, attempts, next_attempt_at FROM outbox WHERE status IN ('pending', 'sending')")
            ).all()
            moments = [
                connection.execute(text(f"SELECT max({column}) FROM {table}")).scalar_one()
                for table, column in (("outbox", "created_at"), ("inboundmessage", "received_at"))
            ]
        now = max((_moment(m) for m in moments if m is not None), default=None)
        return any(
            status == "sending" or (attempts == 0 and now is not None and _moment(due) <= now)
            for status, attempts, due in rows
        )

    def note(self, heading: str) -> None:
        self.lines += ["", f"## {heading}"]

    def time_machine(self, step: str) -> str:
        assert self.serve is not None
        answer = requests.post(
            self.serve.base + "/simulator/api/time-machine",
            json={"step": step},
            headers={"X-Simulator": "1"},
            timeout=60,
        ).json()
        self.lines.append(f"（时光机 {step} → {answer.get('now', answer)}）")
        self.collect()
        return str(answer.get("now"))

    def count_to(self, openid: str, since: int) -> list[str]:
        return [pushed for who, pushed in self.pushes[since:] if who == openid]


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _template_text(data: dict[str, str] | None) -> str:
    data = data or {}
    return "（模板消息）" + "\n".join(v for k, v in data.items() if k in ("first", "keyword1", "remark"))


def number_in(reply: str) -> int:
    match = re.search(r"编号 (\d+)", reply)
    if match is None:
        raise SystemExit(f"no 编号 in {reply!r}")
    return int(match.group(1))


def sweep_at(workdir: Path, env: dict[str, str], moment: datetime, tour: Tour) -> None:
    done = subprocess.run(
        [COURTYARD, "sweep", "--at", moment.isoformat(timespec="minutes")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    tour.lines.append(f"$ courtyard sweep --at {moment.isoformat(timespec='minutes')}")
    tour.lines += ["  " + line for line in (done.stdout + done.stderr).strip().splitlines()]
    tour.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, help="Also write the transcript to this file.")
    args = parser.parse_args()
    fake = FakeWeChat().start()
    with tempfile.TemporaryDirectory(prefix="chat-tour-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite:///{workdir / 'tour.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
        env |= {
            "COURTYARD_DB_URL": db_url,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": fake.app_id,
            "WECHAT_APP_SECRET": fake.app_secret,
            "WECHAT_API_BASE": fake.base_url,
        }
        tour = Tour(fake, db_url)
        serve = Serve(workdir, env)
        tour.attach(serve)
        try:
            counts = run_tour(tour, workdir, env)
        finally:
            if tour.serve is not None:
                tour.serve.stop()
            tour.engine.dispose()
            fake.close()
    report = "\n".join([*tour.lines, "", "## 检查", *check(tour), "", "## 计数", *counts])
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


def run_tour(tour: Tour, workdir: Path, env: dict[str, str]) -> list[str]:
    counts: list[str] = []
    tour.note("开始：演示镇柳街镇，时光机拨到下周二 09:30；干部们先各发一条“任务”（打开 48 小时窗口）")
    tour.time_machine("tuesday")
    for openid in CADRES:
        tour.say(openid, "任务", quiet=True)
    tour.collect(quiet=True)

    tour.note("1. 50 位居民、两个院落、十类问题、50 栋楼：不同楼的同类问题不合并；同楼同问题才附议")
    before = len(tour.pushes)
    numbers: list[int] = []
    for i in range(50):
        yard, building = ("桂花苑", i // 2 + 1) if i % 2 == 0 else ("银杏院", i // 2 + 1)
        reply = tour.say(f"o_b{i + 1:02d}", f"{yard}{chinese_number(building)}号楼{PROBLEMS[i % 10]}", quiet=i >= 4)
        numbers.append(number_in(reply))
    if len(numbers) > 4:
        tour.lines.append(f"（其余 {len(numbers) - 4} 位居民的消息略；共得到 {len(set(numbers))} 个不同编号）")
    seconds = [
        tour.say("o_s1", f"桂花苑一号楼{PROBLEMS[0]}，好几天了"),
        tour.say("o_s2", f"桂花苑1号楼{PROBLEMS[0]}"),
        tour.say("o_s3", "银杏院二号楼的电梯又坏了，老人上不去"),
    ]
    seconded_into = [number_in(s) for s in seconds]
    batch_pushes = Counter(who for who, _ in tour.pushes[before:])
    seconded_pushes = [p for who, p in tour.pushes[before:] if p.startswith("【附议】")]
    counts.append(
        f"50 位居民（50 栋楼）→ {len(set(numbers))} 个编号；3 条同楼同问题 → 附议到编号 "
        f"{'、'.join(map(str, seconded_into))}；给干部的【附议】推送 {len(seconded_pushes)} 条；"
        f"推送条数：{dict(batch_pushes)}"
    )

    tour.note("2. 翠竹苑：先有人反映垃圾桶满了，又有人报垃圾桶着火冒烟")
    bins = number_in(tour.say("o_c1", "翠竹苑的垃圾桶满了好几天没人清理"))
    fire_reply = tour.say("o_c2", "翠竹苑的垃圾桶被人点火烧了 现在还在冒烟")
    fire = number_in(fire_reply)
    counts.append(f"着火的报告：编号 {fire}（原垃圾桶问题编号 {bins}）；回复开头：{fire_reply.splitlines()[0][:40]}")

    tour.note("3. 同一盏路灯三人反映；首报人撤回，附议的邻居还能查询")
    lamp = number_in(tour.say("o_d1", "翠竹苑3号楼门口的路灯坏了"))
    tour.say("o_d2", "翠竹苑3号楼门口路灯不亮，晚上看不见路")
    tour.say("o_d3", "翠竹苑三号楼门口的路灯坏了好几天了")
    tour.say("o_d1", f"撤回 {lamp}")
    tour.say("o_d2", f"查询 {lamp}")
    tour.say("o_d2", "查询")

    tour.note("4. 不是投诉的话：感谢、问进展、开场白")
    tour.say("o_d2", "谢谢你们 路灯亮了 巴适")
    tour.say("o_d3", "我反映的路灯修得咋样了")
    tour.say("o_e1", "我想反映个事情")
    tour.say("o_e1", "你好")

    tour.note("5. 一条 5000 字的投诉（桂花苑）")
    before = len(tour.pushes)
    long_text = "桂花苑二十六号楼的下水道堵了，" + "污水从井盖里冒出来流到路上，老人小孩出门都要绕着走，" * 200
    long_text = long_text[:5000]
    long_reply = tour.say("o_f1", long_text)
    long_number = number_in(long_reply)
    to_lifang = tour.count_to("o_lifang", before)
    counts.append(
        f"5000 字投诉（编号 {long_number}）：李芳收到推送 {len(to_lifang)} 条，最长 "
        f"{max((len(p.encode()) for p in to_lifang), default=0)} 字节；居民收到的回复 {len(long_reply.encode())} 字节"
    )
    tour.say("o_lifang", f"详情 {long_number}")

    tour.note("6. 干部命令：转办到不存在的院落、一次受理两件、合并、无效")
    tour.say("o_lifang", f"转办 {numbers[0]} 荷花苑")
    tour.say("o_lifang", f"受理 {numbers[2]}、{numbers[4]}")
    tour.say("o_lifang", f"受理 {numbers[6]}、{numbers[1]}、999")
    tour.say("o_lifang", f"进展 {numbers[2]} 已联系物业，明天上午换灯")
    tour.say("o_zhangli", f"合并 {lamp} {lamp}")
    tour.say("o_zhangli", f"无效 {bins}")
    tour.say("o_lifang", "收到")

    tour.note("7. 晚上 21:30 受理：居民的通知等到早上 8 点")
    for _ in range(3):
        tour.time_machine("hours4")
    tour.say("o_lifang", f"受理 {numbers[8]}")
    tour.say("o_lifang", f"办结 {numbers[2]} 灯已换好")

    tour.note("8. 干部三天不说话：serve 停下，courtyard sweep --at 每天跑一次")
    assert tour.serve is not None
    tour.serve.stop()
    tour.serve = None
    with tour.engine.connect() as connection:
        latest = connection.execute(text("SELECT max(at) FROM ticketevent")).scalar_one()
    start = _moment(latest).replace(tzinfo=_moment(latest).tzinfo or ZoneInfo("UTC")).astimezone(SHANGHAI)
    first_day = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    silent_from = len(tour.pushes)
    for day in range(3):
        for hour in (9, 11, 15):
            sweep_at(workdir, env, first_day + timedelta(days=day, hours=hour), tour)
    during = Counter(who for who, _ in tour.pushes[silent_from:])
    counts.append(f"三天里实际发出的推送：{dict(during) or '无'}")
    tour.note("9. 重启 serve（演示时钟接着台账的最后时刻），王明看任务，李芳问“在吗”")
    serve = Serve(workdir, env)
    tour.attach(serve)
    tour.collect(quiet=True)
    tour.say("o_wangming", "任务", settle=2.5)
    before = len(tour.pushes)
    tour.say("o_lifang", "在吗", settle=2.5)
    after_silence = tour.count_to("o_lifang", before)
    shown = [f"（{p.splitlines()[0][:30]}……，{len(p.encode())} 字节）" for p in after_silence[:1]]
    counts.append(f"李芳三天没说话后发“在吗”：收到推送 {len(after_silence)} 条{''.join(shown)}")
    tour.say("o_lifang", "任务")
    return counts


def check(tour: Tour) -> list[str]:
    """Every reply and push: within 2 048 bytes, no English words, fits a phone."""
    found = []
    for kind, items in (("回复", [r for _, r in tour.replies]), ("推送", [p for _, p in tour.pushes])):
        sizes = [len(t.encode()) for t in items]
        english = [t for t in items if re.search(r"\b[A-Za-z]{4,}\b", re.sub(r"/[\w/]+", "", t))]  # not web paths
        long = [t for t in items if t.count("\n") + 1 > PHONE_LINES]
        found.append(
            f"{kind} {len(items)} 条：最大 {max(sizes, default=0)} 字节（上限 {LIMIT}），超限 "
            f"{sum(s > LIMIT for s in sizes)} 条；含英文单词 {len(english)} 条；超过 {PHONE_LINES} 行 {len(long)} 条"
        )
        found += [f"  英文：{t[:80]!r}" for t in english[:5]]
    return found


if __name__ == "__main__":
    main()
