"""Two simulated weeks around National Day 2026: reminders, 督办, follow-ups, survey and digests, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from scheduler.jobs import run_all
from storage.models import Cadre, Outbox, OutboxStatus, Resident, Ticket
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORG = Path(__file__).parent.parent / "data" / "org_demo_policy.yaml"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def transcript(server: Running, since_id: int = 0) -> list[tuple[str, str, str, str]]:
    """(local time, kind, who, text) of every push sent, in order."""
    with server.db.transaction() as session:
        names = {c.openid: c.name for c in session.exec(select(Cadre)).all() if c.openid}
        names |= {r.openid: "居民" for r in session.exec(select(Resident)).all() if r.openid not in names}
        rows = session.exec(
            select(Outbox)
            .where(col(Outbox.id) > since_id, Outbox.status == OutboxStatus.SENT)
            .order_by(col(Outbox.sent_at), col(Outbox.id))
        ).all()
        return [
            (
                f"{r.sent_at.astimezone(SHANGHAI):%m-%d %H:%M}",
                f"{r.kind}/{r.channel}",
                names.get(r.openid, r.openid),
                r.text,
            )  # type: ignore[union-attr]
            for r in rows
        ]


def sweep_hourly(server: Running, start: datetime, end: datetime) -> None:
    moment = start
    while moment <= end:
        run_all(server.sweep_deps, moment)
        moment += timedelta(hours=1)


# What a ticket left alone in the demo town brings, hour by hour, from Tuesday 29 September 2026:
# National Day (1–7 October) is no working time, Saturday 10 October is a make-up working day, and
# the holiday Tuesday (6 October) has no courtyard-walk digest. (time, kind/channel, person, opening)
# The system begins with this ticket: no digest covers the week before it, nor this Tuesday's walk (08:30).
EXPECTED = [
    ("09-29 11:00", "new_task/custom", "李芳", "【新任务】编号 1（"),
    ("09-29 17:00", "reminder/custom", "李芳", "【提醒】编号 1（桂花苑）分派给您已有一段时间，还没有受理。"),
    (
        "09-30 11:00",
        "escalation/custom",
        "王明",
        "【督办】编号 1（桂花苑）分派给李芳已超过1个工作日仍未受理，请督促办理。",
    ),
    (
        "10-08 11:00",
        "escalation/custom",
        "赵强",
        "【督办】编号 1（桂花苑）分派给李芳已超过2个工作日仍未受理，请督促办理。",
    ),
    ("10-09 11:00", "status/template", "居民", "您反映的问题（编号 1）目前已登记，待受理。"),
    ("10-10 09:00", "reminder/custom", "李芳", "【即将到期】编号 1（桂花苑）将于 10-12 10:00 到期"),
    ("10-12 09:00", "digest/custom", "赵强", "【每周民情简报】10月5日—10月11日"),
    ("10-12 11:00", "escalation/custom", "李芳", "【已超期】编号 1（桂花苑）已超过办理期限（10-12 10:00）"),
    ("10-12 11:00", "escalation/custom", "王明", "【超期督办】编号 1（桂花苑）由李芳办理，已超过期限（10-12 10:00）"),
    ("10-13 09:00", "digest/custom", "李芳", "【走院子提醒】10月13日（周二） 桂花苑"),
    ("10-13 09:00", "digest/custom", "陈刚", "【走院子提醒】10月13日（周二） 银杏院"),
    ("10-13 09:00", "digest/custom", "张丽", "【走院子提醒】10月13日（周二） 翠竹苑"),
    ("10-13 10:00", "accepted/template", "居民", "您反映的问题（编号 1）已受理"),
    ("10-13 10:00", "resolved/template", "居民", "您反映的问题（编号 1）已办结：路灯已更换"),
    ("10-13 10:00", "survey/template", "居民", "请为编号 1 的办理打个分"),
    ("10-14 10:00", "survey/template", "居民", "您反映的问题（编号 1）已办结，还差您一个评价"),
    ("10-19 09:00", "digest/custom", "赵强", "【每周民情简报】10月12日—10月18日"),
    ("10-20 09:00", "digest/template", "李芳", "【走院子提醒】10月20日（周二） 桂花苑"),
    ("10-20 09:00", "digest/custom", "陈刚", "【走院子提醒】10月20日（周二） 银杏院"),
    ("10-20 09:00", "digest/custom", "张丽", "【走院子提醒】10月20日（周二） 翠竹苑"),
]


def test_a_ticket_left_alone_then_worked(start_server, fake_wechat: FakeWeChat) -> None:
    server = start_server(org=ORG, wechat_template_task="TPL_TASK", wechat_template_status="TPL_STATUS")
    server.clock.set(at("2026-09-29T10:00"))
    n = number_in(server.poster.text("o_resident_a", "桂花苑门口的路灯坏了三天了").content)
    sweep_hourly(server, at("2026-09-29T10:00"), at("2026-10-13T09:00"))
    server.clock.set(at("2026-10-13T09:59"))  # a minute before the next drain: sent then, not a backlog
    server.poster.text("o_lifang", f"办结 {n} 路灯已更换")
    sweep_hourly(server, at("2026-10-13T10:00"), at("2026-10-21T10:00"))

    sent = transcript(server)
    assert [(when, kind, who) for when, kind, who, _ in sent] == [e[:3] for e in EXPECTED]
    for (*_, text), (*_, opening) in zip(sent, EXPECTED, strict=True):
        assert text.startswith(opening), (text, opening)
    walk = sent[9][3]
    assert "待办 1 件（超期 1 件）" in walk and "【超期】编号 1｜已登记，待受理｜截止 10-12 10:00" in walk
    # Every push reached the fake WeChat API, by the channel recorded.
    assert len(fake_wechat.messages) == len(sent)
    assert {m.template_id for m in fake_wechat.messages if m.kind == "template"} == {"TPL_TASK", "TPL_STATUS"}
    # The survey went unanswered: closed as 未评价 seven days after 办结.
    with server.db.transaction() as session:
        ticket = session.get(Ticket, n)
        assert ticket is not None and (ticket.status, ticket.satisfaction, ticket.overdue) == ("closed", "none", True)
        assert f"{ticket.closed_at.astimezone(SHANGHAI):%m-%d %H:%M}" == "10-20 10:00"  # type: ignore[union-attr]


def test_sweeping_the_same_hours_again_does_nothing(start_server, fake_wechat: FakeWeChat) -> None:
    server = start_server(org=ORG)
    server.clock.set(at("2026-09-29T10:00"))
    server.poster.text("o_resident_a", "桂花苑门口的路灯坏了三天了")
    sweep_hourly(server, at("2026-09-29T10:00"), at("2026-10-13T10:00"))
    before = transcript(server)
    sweep_hourly(server, at("2026-09-29T10:00"), at("2026-10-13T10:00"))
    run_all(server.sweep_deps, at("2026-10-08T11:00"))
    assert transcript(server) == before
    assert len(fake_wechat.messages) == len(before)
