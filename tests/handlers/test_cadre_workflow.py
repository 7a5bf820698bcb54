"""Cadres work tickets in chat and residents hear back: whole conversations through the real webhook."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlmodel import select

from handlers.binding import invite
from storage.models import Ticket, TicketEvent, TicketStatus
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import events, number_in, say, ticket

RESIDENT = "o_resident_a"
LIFANG = "o_lifang"  # 桂花苑's courtyard cadre in the demo town
CHENGANG = "o_chengang"  # 银杏院's courtyard cadre (same community)
ZHANGLI = "o_zhangli"  # 翠竹苑 (another community)
WANGMING = "o_wangming"  # 幸福社区's community cadre
ZHAOQIANG = "o_zhaoqiang"  # town cadre


def pushed(server: Running, fake: FakeWeChat, openid: str) -> list[str]:
    """Drain the outbox and return what openid received so far."""
    server.drain()
    return fake.texts_for(openid)



def test_full_loop_with_reopen(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花院子3栋门口的路灯坏了，晚上黑黢黢的"))
    task = pushed(server, fake_wechat, LIFANG)[-1]
    assert f"编号 {n}" in task and "桂花苑" in task and "路灯" in task

    assert f"编号 {n}" in say(server, LIFANG, "任务")
    assert "已受理" in say(server, LIFANG, f"受理 {n}")
    assert (
        pushed(server, fake_wechat, RESIDENT)[-1]
        == f"您反映的问题（编号 {n}）已受理，负责人正在处理，有进展会再告诉您。"
    )

    assert "进展" in say(server, LIFANG, f"进展 {n} 已联系电工，明天上午来修")
    assert pushed(server, fake_wechat, RESIDENT)[-1] == f"您反映的问题（编号 {n}）有新进展：已联系电工，明天上午来修"

    assert "已办结" in say(server, LIFANG, f"办结 {n} 路灯已更换")
    resolved, survey = pushed(server, fake_wechat, RESIDENT)[-2:]
    assert resolved == f"您反映的问题（编号 {n}）已办结：路灯已更换"
    assert f"编号 {n}" in survey and "1 满意" in survey and "3 不满意" in survey

    assert "重新办理" in say(server, RESIDENT, "3 晚上还是不亮")
    assert ticket(server, n).status == TicketStatus.ACCEPTED
    assert f"【重办】编号 {n}" in pushed(server, fake_wechat, LIFANG)[-1]
    community = fake_wechat.texts_for(WANGMING)[-1]
    assert f"编号 {n}" in community and "不满意" in community and "李芳" in community

    say(server, LIFANG, f"办结 {n} 重新换了灯泡和线路，已亮")
    assert "编号" in pushed(server, fake_wechat, RESIDENT)[-1]
    assert "感谢您的评价（满意）" in say(server, RESIDENT, "1")
    assert say(server, RESIDENT, "1").startswith("目前没有需要您评价的问题")
    closed = ticket(server, n)
    assert (closed.status, closed.satisfaction) == (TicketStatus.CLOSED, "satisfied")
    assert events(server, n) == [
        "created", "routed", "accepted", "progress", "resolved", "survey", "reopened", "resolved", "survey",
    ]  # fmt: skip
    detail = say(server, LIFANG, f"详情 {n}")
    for words in ("受理（李芳）", "进展（李芳）：已联系电工", "居民评价（居民）：不满意：晚上还是不亮", "评价：满意"):
        assert words in detail, detail


def test_strangers_change_nothing_and_learn_nothing(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑2单元楼道堆满了杂物，消防通道堵了"))
    for stranger_says in (f"受理 {n}", f"详情 {n}", f"办结 {n} 好了"):
        reply = say(server, "o_stranger", stranger_says)
        assert "杂物" not in reply and "负责干部" in reply
    assert "没有找到您名下" in say(server, "o_stranger", f"查询 {n}")
    # A cadre of another courtyard hears the same as for a ticket that does not exist.
    assert say(server, CHENGANG, f"受理 {n}") == say(server, CHENGANG, "受理 99999").replace("99999", str(n))
    assert ticket(server, n).status == TicketStatus.NEW
    assert events(server, n) == ["created", "routed"]


def test_mistakes_get_a_hint(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑的垃圾桶满了没人清"))
    assert "加上编号" in say(server, LIFANG, "受理 abc")
    assert "办理结果" in say(server, LIFANG, f"办结 {n}")
    say(server, RESIDENT, f"撤回 {n}")
    assert "已撤回" in say(server, LIFANG, f"受理 {n}") and "不能再受理" in say(server, LIFANG, f"受理 {n}")


def test_resolve_before_accept_implies_accept(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑门口井盖松了，走上去咣当响"))
    say(server, LIFANG, f"办结 {n}。已找人加固")
    assert events(server, n) == ["created", "routed", "accepted", "resolved"]
    texts = pushed(server, fake_wechat, RESIDENT)
    assert [t for t in texts if "已受理" in t] and [t for t in texts if "已办结：已找人加固" in t]


def test_cadre_free_text_needs_confirmation(server: Running) -> None:
    assert "确认" in say(server, LIFANG, "受里 3")  # a typo of 受理 is not filed silently
    with server.db.transaction() as session:
        assert session.exec(select(Ticket)).all() == []
    assert "取消" in say(server, LIFANG, "取消")
    say(server, LIFANG, "我家楼上漏水了，桂花苑5栋")
    n = number_in(say(server, LIFANG, "确认"))
    assert ticket(server, n).text == "我家楼上漏水了，桂花苑5栋"
    assert "没有等待确认" in say(server, LIFANG, "确认")


def test_transfer_within_community_and_not_beyond(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑旁边银杏院的围墙裂了"))
    assert "转给银杏院" in say(server, LIFANG, f"转办 {n} 银杏院子")
    assert f"【转办】编号 {n}" in pushed(server, fake_wechat, CHENGANG)[-1]
    to_resident = fake_wechat.texts_for(RESIDENT)[-1]
    assert "转交" in to_resident and "陈刚" not in to_resident
    assert "不在您可以转办的范围" in say(server, CHENGANG, f"转办 {n} 翠竹苑")
    assert "没有找到“火星院”" in say(server, CHENGANG, f"转办 {n} 火星院")
    assert ticket(server, n).courtyard_id == 2


def test_escalate_courtyard_to_community_to_town(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑物业不作为，电梯坏了一个月"))
    assert "上报王明" in say(server, LIFANG, f"上报 {n} 物业不配合，需要社区协调")
    assert "物业不配合" in pushed(server, fake_wechat, WANGMING)[-1]
    assert "上报赵强" in say(server, WANGMING, f"上报 {n} 需要镇里约谈物业公司")
    assert f"【上报】编号 {n}" in pushed(server, fake_wechat, ZHAOQIANG)[-1]
    assert "镇一级" in say(server, ZHAOQIANG, f"上报 {n} 再往上")


def test_enter_for_resident_then_close(server: Running) -> None:
    reply = say(server, LIFANG, "代录 5栋王大爷反映楼道扶手松动")
    n = number_in(reply)
    assert "桂花苑" in reply
    assert ticket(server, n).entered_by_cadre_id is not None
    assert "归档" in say(server, LIFANG, f"办结 {n} 已加固扶手")
    assert ticket(server, n).status == TicketStatus.CLOSED


def test_binding_by_invitation_code(server: Running) -> None:
    now = server.clock()
    code, _ = invite(db=server.db, name="周伟", now=now)
    assert "负责干部" in say(server, "o_zhouwei", "任务")
    assert "绑定成功，周伟您好" in say(server, "o_zhouwei", f"绑定 {code.lower()}")
    assert "没有待办" in say(server, "o_zhouwei", "任务")
    assert "无效" in say(server, "o_other", f"绑定 {code}")  # one-time
    code2, _ = invite(db=server.db, name="周伟", now=now)
    say(server, "o_zhouwei_new_phone", f"绑定 {code2}")
    assert "负责干部" in say(server, "o_zhouwei", "任务")  # the old account lost access at once
    expired, _ = invite(db=server.db, name="周伟", now=now - timedelta(days=4))
    assert "过期" in say(server, "o_x", f"绑定 {expired}")


def test_rapid_commands_keep_history_consistent(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑的路灯又坏了"))
    commands = [f"进展 {n} 第{i}次跟进" if i % 3 else f"受理 {n}" for i in range(1000)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda text: server.poster.text(LIFANG, text), commands))
    assert {r.status for r in replies} == {200}
    kinds = events(server, n)
    assert kinds.count("accepted") == 1
    assert kinds.count("progress") == sum(1 for c in commands if c.startswith("进展"))
    with server.db.transaction() as session:
        ids = [e.id for e in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == n)).all()]
    assert len(ids) == len(set(ids)) == len(kinds)
    assert ticket(server, n).status == TicketStatus.ACCEPTED


def test_unsure_category_goes_to_the_triage_cadre_who_sets_it(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花院子来了几个人说要收钱 也不说收啥子钱"))
    assert ticket(server, n).category == "其他"
    task = pushed(server, fake_wechat, LIFANG)[-1]
    assert f"编号 {n}" in task and "类别待确认" in task  # the courtyard still gets the work at once
    triage = fake_wechat.texts_for(ZHAOQIANG)[-1]
    assert triage.startswith(f"【待归类】编号 {n}（桂花苑）") and f"归类 {n} " in triage and "收钱" in triage

    assert say(server, ZHANGLI, f"归类 {n} 商贸") == f"没有找到您负责范围内的编号 {n}，未做处理。请发送“任务”核对编号。"
    assert say(server, RESIDENT, f"归类 {n} 商贸").startswith("“归类”是负责干部使用的指令")
    assert "请在编号后面写上类别" in say(server, ZHAOQIANG, f"归类 {n}")
    unknown = say(server, ZHAOQIANG, f"归类 {n} 火星事务")
    assert "没有“火星事务”这个类别" in unknown and "城乡建设、环境保护" in unknown
    assert ticket(server, n).category == "其他"

    done = say(server, ZHAOQIANG, f"归类 {n} 商贸")
    assert done.startswith(f"编号 {n} 已归为“商贸旅游”，办理期限 ")
    row = ticket(server, n)
    assert row.category == "商贸旅游" and row.due_at is not None and row.due_at > row.created_at
    assert events(server, n)[-1] == "categorized"
    assert "归类（赵强）：类别待确认 → 商贸旅游" in say(server, LIFANG, f"详情 {n}")


def test_category_names_cadres_type() -> None:
    from handlers.cadre import category_named

    assert category_named("城建") == "城乡建设"
    assert category_named("劳动") == "劳动和社会保障"
    assert category_named("“环境保护”") == "环境保护"
    assert category_named("其他") == "其他"
    assert category_named("火星") is None
