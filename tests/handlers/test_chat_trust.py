"""Issue 12's tries through the real /wechat: no report swallowed, no junk tickets, true answers, no floods.

Run with `-s` to read the transcripts (both sides, pushes included).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from handlers import texts
from handlers.followups import Sweeper
from storage.models import Ticket, TicketStatus
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in
from tests.support.transcript import Transcript

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAMES = {
    "o_lifang": "李芳(桂花苑)",
    "o_chengang": "陈刚(银杏院)",
    "o_zhangli": "张丽(翠竹苑)",
    "o_wangming": "王明(幸福社区)",
    "o_liuyang": "刘洋(和平社区)",
    "o_zhaoqiang": "赵强(镇)",
}
PROBLEMS = ("楼道灯不亮了", "化粪池堵了 臭得很", "电梯坏了好几天了", "垃圾桶满了没人收", "门口路面有个大坑")
BUILDINGS = ("一号楼", "二十一号楼")
COURTYARDS = ("银杏小区", "翠竹苑")


def tickets(server: Running) -> list[Ticket]:
    with server.db.transaction() as session:
        return list(session.exec(select(Ticket).order_by(Ticket.id)).all())  # type: ignore[arg-type]


def test_reports_stay_apart_and_every_reporter_is_a_party(server: Running, fake_wechat: FakeWeChat) -> None:
    """Item 1: different buildings stay apart, a fire is urgent at once, 撤回 by one leaves the others."""
    chat = Transcript(server, fake_wechat, NAMES)
    chat.note("两个院落 × 五类问题 × 两栋楼，各一位居民")
    numbers = set()
    for yard in COURTYARDS:
        for problem in PROBLEMS:
            for building in BUILDINGS:
                reply = chat.say(f"o_{yard}_{building}_{problem[:2]}", f"{yard}{building}{problem}")
                assert "邻居已经反映过" not in reply
                numbers.add(number_in(reply))
    assert len(numbers) == len(COURTYARDS) * len(PROBLEMS) * len(BUILDINGS)

    chat.note("火情：不会并进“垃圾桶满了”的普通问题")
    fire_reply = chat.say("o_fire", "翠竹苑的垃圾桶被人点火烧了 现在还在冒烟")
    fire = number_in(fire_reply)
    assert fire_reply.startswith("情况紧急请先拨打119") and fire not in numbers
    assert any(t.startswith(f"【紧急任务】编号 {fire}") for t in fake_wechat.texts_for("o_zhangli"))
    assert any(t.startswith(f"【紧急任务】编号 {fire}") for t in fake_wechat.texts_for("o_liuyang"))

    chat.note("同一个问题，六位邻居附议；负责人只收到一条带人数的【附议】")
    lamp = number_in(chat.say("o_first", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    for i in range(6):
        assert number_in(chat.say(f"o_second{i}", "桂花苑门口的路灯坏了 晚上好黑")) == lamp
    seconded = [t for t in fake_wechat.texts_for("o_lifang") if t.startswith("【附议】")]
    assert len(seconded) == 1

    chat.note("第一位反映人撤回：只撤回他自己的")
    assert "还有 6 位邻居" in chat.say("o_first", f"撤回 {lamp}")
    assert f"编号 {lamp}" in chat.say("o_second0", "查询")
    assert "已登记，待受理" in chat.say("o_second0", f"查询 {lamp}")
    chat.say("o_lifang", f"受理 {lamp}")
    for i in range(6):
        assert any(t.startswith(f"您反映的问题（编号 {lamp}）已受理") for t in fake_wechat.texts_for(f"o_second{i}"))
    assert not any("已受理" in t for t in fake_wechat.texts_for("o_first"))
    print("\n" + str(chat))


def test_chat_is_answered_not_filed(server: Running, fake_wechat: FakeWeChat) -> None:
    """Item 2: progress questions, thanks and a prelude are answered; a cadre's 收到 is acknowledged."""
    chat = Transcript(server, fake_wechat, NAMES)
    n = number_in(chat.say("o_a", "桂花苑3栋门口的路灯坏了"))
    assert f"编号 {n}" in chat.say("o_a", "我反映的路灯修得咋样了")
    assert "编号" not in chat.say("o_a", "谢谢你们 路灯亮了 巴适")
    assert "您请说" in chat.say("o_a", "我想反映个事情")
    assert "编号" not in chat.say("o_lifang", "收到")
    assert "编号" not in chat.say("o_lifang", "好的")
    assert len(tickets(server)) == 1
    second = number_in(chat.say("o_a", "桂花苑5栋楼下有人乱停车 堵住消防通道"))
    assert second != n and len(tickets(server)) == 2
    print("\n" + str(chat))


def test_cadre_answers_are_true(server: Running, fake_wechat: FakeWeChat) -> None:
    """Items 4 and 5: unknown names, several numbers, 任务 with 督办, 已通知居民, takeovers, 合并, 无效."""
    chat = Transcript(server, fake_wechat, NAMES)
    for i in range(16):
        chat.say(f"o_r{i}", f"{'银杏院' if i % 2 else '翠竹苑'}{i + 1}栋的楼道灯不亮了")
    seventeen = number_in(chat.say("o_r16", "银杏院17栋的楼道灯不亮了"))
    eighteen = number_in(chat.say("o_r17", "翠竹苑18栋的楼道灯不亮了"))
    assert (seventeen, eighteen) == (17, 18)
    unknown = chat.say("o_wangming", "转办 17 荷花苑")
    assert "没有找到“荷花苑”" in unknown and "桂花苑" in unknown and "已经由" not in unknown
    both = chat.say("o_wangming", "受理 17、18")
    assert "已受理编号 17" in both and "编号 18，未做处理" in both
    assert any(t.startswith("【已接手】编号 17 已由王明接手") for t in fake_wechat.texts_for("o_chengang"))
    assert "已受理编号 18" in chat.say("o_zhangli", "受理十八")

    chat.note("张丽两天没受理编号 2：督办到和平社区的刘洋，刘洋的“任务”里看得到")
    sweeper_days = [datetime(2026, 11, day, 17, 0, tzinfo=SHANGHAI) for day in (24, 25, 26)]
    for moment in sweeper_days:
        _sweep(server, moment)
    chat.pushes(sweeper_days[-1])
    tasks = chat.say("o_liuyang", "任务")
    assert "督办或上报给您、现由他人办理的8件（请督促）" in tasks and "办理人：张丽" in tasks and "另有3件未列出" in tasks

    chat.note("合并与无效")
    assert "不能把编号" in chat.say("o_chengang", "合并 2 2")
    assert "已把编号 4 并入编号 2" in chat.say("o_chengang", "合并 4 2")
    assert any("已合并到编号 2" in t for t in fake_wechat.texts_for("o_r3"))
    assert "编号 4 已并入编号 2。要合并，请发“合并 6 2”" in chat.say("o_chengang", "合并 6 4")
    assert "请在编号后面写上原因" in chat.say("o_chengang", "无效 6")
    assert "无需办理" in chat.say("o_chengang", "无效 6 重复登记，已电话说明")
    assert fake_wechat.texts_for("o_r5")[-1].startswith("您好，您发来的内容（编号 6）")
    print("\n" + str(chat))


def test_night_acceptance_says_when_the_resident_hears(server: Running, fake_wechat: FakeWeChat) -> None:
    chat = Transcript(server, fake_wechat, NAMES)
    server.clock.set(datetime(2026, 11, 24, 22, 30, tzinfo=SHANGHAI))
    n = number_in(chat.say("o_night", "桂花苑3栋的路灯坏了"))
    reply = chat.say("o_lifang", f"受理 {n}")
    assert "已通知居民" not in reply and "居民将在明天早上8点收到通知" in reply
    assert not fake_wechat.texts_for("o_night")
    chat.note("次日 08:00")
    chat.pushes(datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI))
    assert fake_wechat.texts_for("o_night")[-1].startswith(f"您反映的问题（编号 {n}）已受理")
    print("\n" + str(chat))


def test_a_5000_character_complaint_fits_a_phone(server: Running, fake_wechat: FakeWeChat) -> None:
    """Item 4: one push per change however long the complaint; no reply over 2 048 bytes; no openid shown."""
    chat = Transcript(server, fake_wechat, NAMES)
    text = ("桂花苑3栋楼道的灯坏了，晚上上下楼黑黢黢的很不方便，" * 200)[:5000]
    before = len(fake_wechat.texts_for("o_lifang"))
    n = number_in(chat.say("oRESlaowang", text))
    cadre_pushes = fake_wechat.texts_for("o_lifang")[before:]
    assert len(cadre_pushes) == 1 and f"详情 {n}" in cadre_pushes[0]
    chat.say("oRESneighbour", "桂花苑3栋楼道的灯坏了 晚上黑黢黢的")
    for moment in (datetime(2026, 11, 24, 17, 0, tzinfo=SHANGHAI), datetime(2026, 11, 25, 17, 0, tzinfo=SHANGHAI)):
        _sweep(server, moment)
        chat.pushes(moment)
    community = [t for t in fake_wechat.texts_for("o_wangming") if f"编号 {n}" in t]
    assert len(community) == 1 and len(community[0]) < 500  # one 督办 push, quoting an excerpt
    detail = chat.say("o_lifang", f"详情 {n}")
    assert len(detail.encode("utf-8")) <= 2048 and "oRES" not in detail and "居民附议：" in detail
    assert len(chat.say("oRESlaowang", f"查询 {n}").encode("utf-8")) <= 2048
    print(f"\n李芳 received {len(cadre_pushes)} push(es) for the 5 000-character complaint")
    print(str(chat))


def _sweep(server: Running, moment: datetime) -> None:
    Sweeper(server.db, server.sweep_deps.calendar).run(moment)


def test_every_status_has_a_name_people_read() -> None:
    assert set(TicketStatus) <= set(texts.STATUS_NAMES)
