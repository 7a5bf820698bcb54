"""The chat's rules as use cases, in process: Conversation.handle with a test clock and a recording sender."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers import lifecycle
from handlers.binding import invite
from handlers.commands import Audience, chinese_number, read_numbers
from handlers.conversation import REGISTRY
from handlers.followups import Sweeper
from handlers.resident import COMMANDS as RESIDENT_COMMANDS
from storage.models import Cadre, Ticket, TicketStatus
from tests.support.chat import number_in
from tests.support.usecase import Chat, open_chat

LIFANG, CHENGANG, WANGMING, ZHAOQIANG = "o_lifang", "o_chengang", "o_wangming", "o_zhaoqiang"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return open_chat(tmp_path)


def new_tasks(chat: Chat, openid: str) -> list[str]:
    return [t for t in chat.pushes(openid) if t.startswith(("【新任务】", "【紧急任务】"))]


# --- commands the phone way ------------------------------------------------------------------------


def test_numbers_are_read_the_phone_way() -> None:
    assert read_numbers("17、18") == ((17, 18), "")
    assert read_numbers("十七和十八") == ((17, 18), "")
    assert read_numbers("12 3栋灯修好了") == ((12,), "3栋灯修好了")
    assert read_numbers("编号12号，已修好") == ((12,), "已修好")
    assert read_numbers("一下") == ((), "一下")
    assert [chinese_number(t) for t in ("二十一", "一〇二", "十", "两百零五", "x")] == [21, 102, 10, 205, None]


def test_help_is_generated_from_the_registry(chat: Chat) -> None:
    cadre_help = chat.say(LIFANG, "帮助")
    for line in REGISTRY.help_lines(Audience.CADRE):
        assert line in cadre_help
    assert "合并 N M" in cadre_help and "无效 N 原因" in cadre_help
    resident_help = chat.say("o_a", "帮助")
    for declared in RESIDENT_COMMANDS:
        assert declared.help in resident_help


def test_a_numbered_word_runs_its_own_command_only(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    assert "请在“查询”后面加上编号" in chat.say("o_a", "查询 abc")
    assert chat.ticket(n).status == TicketStatus.NEW
    assert "一次只能写一个编号" in chat.say(LIFANG, f"详情 {n}、{n + 1}")


def test_lifecycle_refuses_illegal_transitions(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    with chat.db.transaction() as session:
        ticket = session.get(Ticket, n)
        cadre = session.get(Cadre, 1)
        assert ticket is not None and cadre is not None
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.reopen(session=session, ticket=ticket, reason="", cal=chat.ctx.calendar, now=chat.clock())
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.merge(session=session, ticket=ticket, into=ticket, by=cadre, cal=chat.ctx.calendar, now=chat.clock())
        lifecycle.withdraw(session=session, ticket=ticket, actor="o_a", now=chat.clock())
        assert ticket.closed_at is not None and ticket.nudge_at is None and ticket.followup_at is None
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.accept(session=session, ticket=ticket, by=cadre, now=chat.clock())


# --- 附议 -----------------------------------------------------------------------------------------


def test_same_problem_in_different_buildings_stays_apart(chat: Chat) -> None:
    one = number_in(chat.say("o_a", "银杏小区一号楼楼道灯不亮了"))
    twenty_one = number_in(chat.say("o_b", "银杏院子二十一号楼楼道灯不亮了"))
    again = chat.say("o_c", "银杏院1栋楼道灯坏了")
    assert one != twenty_one and number_in(again) == one and "共 2 位居民反映" in again
    assert chat.ticket(one).building == "1栋" and chat.ticket(twenty_one).building == "21栋"


def test_a_week_later_it_is_a_new_ticket(chat: Chat) -> None:
    first = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    chat.later(days=8)
    assert number_in(chat.say("o_b", "桂花苑3栋的路灯坏了")) != first


def test_an_urgent_report_is_never_hidden_in_a_quiet_ticket(chat: Chat) -> None:
    full = number_in(chat.say("o_a", "翠竹苑的垃圾桶满了 好几天没人收"))
    reply = chat.say("o_b", "翠竹苑的垃圾桶被人点火烧了 现在还在冒烟")
    fire = number_in(reply)
    assert reply.startswith("情况紧急请先拨打119") and fire != full and chat.ticket(fire).urgent
    for cadre in ("o_zhangli", "o_liuyang"):  # the courtyard and the community, at once
        assert any(t.startswith(f"【紧急任务】编号 {fire}") for t in chat.pushes(cadre)), cadre
    assert number_in(chat.say("o_c", "翠竹苑的垃圾桶被人点火烧了 现在还在冒烟")) == fire  # neighbours join the fire
    # A cadre who merges the fire into the quiet ticket makes that one urgent, with the urgent pushes.
    chat.say("o_zhangli", f"合并 {fire} {full}")
    assert chat.ticket(full).urgent and "urgent" in chat.events(full)
    assert any(t.startswith(f"【紧急任务】编号 {full}") for t in chat.pushes("o_liuyang"))


def test_every_reporter_is_a_party_and_withdraws_only_themselves(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    assert number_in(chat.say("o_b", "桂花小区门口那个路灯不亮了")) == n
    assert f"编号 {n}" in chat.say("o_b", "查询") and f"编号 {n}" in chat.say("o_b", f"查询 {n}")
    withdrawn = chat.say("o_a", f"撤回 {n}")
    assert "还有 1 位邻居" in withdrawn
    assert chat.ticket(n).status == TicketStatus.NEW and chat.ticket(n).resident_id is not None
    assert "没有找到您名下" in chat.say("o_a", f"查询 {n}")
    assert "已登记，待受理" in chat.say("o_b", f"查询 {n}")
    chat.say(LIFANG, f"受理 {n}")
    assert chat.pushes("o_b")[-1].startswith(f"您反映的问题（编号 {n}）已受理")
    assert not any("已受理" in t for t in chat.pushes("o_a"))
    assert chat.say("o_b", f"撤回 {n}").startswith(f"编号 {n} 已撤回")  # the last reporter: the ticket ends
    assert chat.ticket(n).status == TicketStatus.WITHDRAWN


def test_seconders_make_one_push_per_hour_with_the_count(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    for i in range(6):
        chat.say(f"o_s{i}", "桂花苑门口的路灯坏了 晚上好黑")
    seconded = [t for t in chat.pushes(LIFANG) if t.startswith("【附议】")]
    assert seconded == [seconded[0]] and "共 7 人反映" in seconded[0]
    chat.say("o_s7", "桂花苑门口路灯不亮")
    chat.say("o_s8", "桂花苑门口路灯不亮了")
    assert len([t for t in chat.pushes(LIFANG) if t.startswith("【附议】")]) == 1  # within the hour: waits
    chat.later(hours=1, minutes=1)
    seconded = [t for t in chat.pushes(LIFANG) if t.startswith("【附议】")]
    assert len(seconded) == 2 and "共 9 人反映" in seconded[1]
    assert n


def test_a_flood_of_the_same_complaint_joins_the_senders_own_ticket(chat: Chat) -> None:
    replies = [chat.say("o_a", "桂花苑5栋楼道堆满杂物 消防通道都堵了") for _ in range(5)]
    assert len({number_in(r) for r in replies}) == 1
    assert all("已经反映过了" in r for r in replies[1:])
    assert len(chat.tickets()) == 1 and len(new_tasks(chat, LIFANG)) == 1


def test_the_survey_goes_to_every_reporter_and_the_first_answer_decides(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    chat.say("o_b", "桂花小区门口那个路灯不亮了")
    chat.say(LIFANG, f"办结 {n} 路灯已更换")
    for reporter in ("o_a", "o_b"):
        assert chat.pushes(reporter)[-1].startswith(f"请为编号 {n}")
    assert "感谢您的评价（满意）" in chat.say("o_b", "1")
    late = chat.say("o_a", "3 还是不亮")
    assert "已由一起反映的邻居评价并完结" in late and "转告了负责人" in late
    assert any("另一位反映的居民评价：不满意" in t for t in chat.pushes(LIFANG))


def test_a_mistyped_command_word_is_pointed_to_the_command(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    assert chat.say(LIFANG, f"受里 {n}").startswith(f"您是不是想发“受理 {n}”？")
    assert chat.ticket(n).status == TicketStatus.NEW
    assert "不会登记" in chat.say(LIFANG, "取消")
    assert chat.say(LIFANG, "任物").startswith("您是不是想发“任务”？")
    assert "您是不是想" not in chat.say(LIFANG, f"办理 {n}")  # 受理 or 办结: no guess
    assert "您是不是想" not in chat.say(LIFANG, "上班")  # 上报 takes a number: chat, not a command
    assert chat.say("o_a", f"查寻 {n}").startswith(f"您是不是想发“查询 {n}”？")
    assert chat.say("o_a", f"撤销 {n}").startswith(f"您是不是想发“撤回 {n}”？")
    assert chat.ticket(n).status == TicketStatus.NEW and len(chat.tickets()) == 1


def test_due_soon_on_a_ticket_nobody_accepted_asks_to_accept_it(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    sweeper = Sweeper(chat.db, chat.ctx.calendar)
    for day in (24, 25, 26):
        sweeper.run(datetime(2026, 11, day, 17, 0, tzinfo=SHANGHAI))
    sent = chat.pushes(LIFANG, at=datetime(2026, 11, 26, 17, 1, tzinfo=SHANGHAI))
    [due] = [t for t in sent if t.startswith(f"【即将到期】编号 {n}")]
    assert f"还没有受理。请尽快回复“受理 {n}”" in due and "办结" not in due


def test_a_reopened_ticket_does_not_show_the_rejected_result_as_its_result(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋门口的路灯坏了"))
    chat.say(LIFANG, f"办结 {n} 路灯已更换")
    assert "办理结果：路灯已更换" in chat.say("o_a", f"查询 {n}")
    chat.say("o_a", "3 还是不亮")
    shown = chat.say("o_a", f"查询 {n}")
    assert "\n办理结果：" not in shown and "正在重新办理（上次的办理结果：路灯已更换）" in shown, shown
    chat.say(LIFANG, f"进展 {n} 电工明天来")
    assert "最新进展：电工明天来" in chat.say("o_a", f"查询 {n}")


def test_a_number_out_of_reach_is_not_said_to_be_left_untouched_by_a_command_that_only_shows(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "银杏院2栋的路灯坏了"))
    assert chat.say(LIFANG, f"详情 {n}").startswith(f"没有找到您负责范围内的编号 {n}。")
    assert f"编号 {n}，未做处理" in chat.say(LIFANG, f"受理 {n}")


# --- not every message is a ticket ------------------------------------------------------------------


def test_chat_is_answered_not_filed(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋门口的路灯坏了"))
    assert f"编号 {n}" in chat.say("o_a", "我反映的路灯修得咋样了")
    assert "不客气" in chat.say("o_a", "谢谢你们 路灯亮了 巴适")
    assert "您请说" in chat.say("o_a", "我想反映个事情")
    assert "请直接说说遇到了什么问题" in chat.say("o_a", "你好")  # a greeting is not the details: still waiting
    filed = chat.say("o_a", "就是楼下")  # after a prelude the next message is the complaint, however short
    assert number_in(filed) != n and len(chat.tickets()) == 2
    assert "收到" in chat.say(LIFANG, "收到") and "收到" in chat.say(LIFANG, "好的")
    assert len(chat.tickets()) == 2


@pytest.mark.parametrize("opener", ["在吗", "在吗？", "在不在", "有人吗", "有人在吗？", "喂，在吗", "您好 在么", "人呢"])
def test_are_you_there_is_answered_as_an_office_would(chat: Chat, opener: str) -> None:
    """"在吗" asks whether somebody is listening: we are here, tell us what happened; never 收到, never a ticket."""
    reply = chat.say("o_a", opener)
    assert reply.startswith("在的") and "什么事" in reply, reply
    cadre_reply = chat.say(LIFANG, opener)
    assert cadre_reply.startswith("在的，李芳您好") and "任务" in cadre_reply and "收到" not in cadre_reply
    assert chat.tickets() == []


def test_are_you_there_after_a_prelude_keeps_waiting_for_the_details(chat: Chat) -> None:
    assert "您请说" in chat.say("o_a", "我想反映个事情")
    assert chat.say("o_a", "在吗").startswith("在的")
    n = number_in(chat.say("o_a", "桂花苑3栋楼道灯不亮"))
    assert [t.id for t in chat.tickets()] == [n]


# --- cadre commands ---------------------------------------------------------------------------------


def test_merge_moves_the_reporters_and_refuses_nonsense(chat: Chat) -> None:
    a = number_in(chat.say("o_a", "桂花苑3栋的化粪池堵了 臭得很"))
    b = number_in(chat.say("o_b", "桂花苑三栋门口下水道冒水 好臭"))
    assert "不能把编号" in chat.say(LIFANG, f"合并 {a} {a}")
    assert "没有找到您负责范围内的编号 999" in chat.say(LIFANG, f"合并 {b} 999")
    merged = chat.say(LIFANG, f"合并 {b} {a}")
    assert f"已把编号 {b} 并入编号 {a}" in merged and "现共 2 位居民反映" in merged
    assert chat.ticket(b).status == TicketStatus.MERGED and chat.ticket(b).merged_into_id == a
    assert any(f"已合并到编号 {a}" in t for t in chat.pushes("o_b"))
    assert f"编号 {a}" in chat.say("o_b", f"查询 {a}")
    chat.say(LIFANG, f"办结 {a} 已疏通")
    assert chat.pushes("o_b")[-2] == f"您反映的问题（编号 {a}）已办结：已疏通"
    c = number_in(chat.say("o_c", "桂花苑8栋电梯坏了"))
    assert "不能再并入" in chat.say(LIFANG, f"合并 {c} {a}")


def test_invalid_needs_a_reason_and_tells_the_resident_politely(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑的橘子好甜 要买的找我 13800000000 有问题吗"))
    assert "请在编号后面写上原因" in chat.say(LIFANG, f"无效 {n}")
    reply = chat.say(LIFANG, f"无效 {n} 这是卖橘子的广告，不属于民情诉求")
    assert "无需办理" in reply and chat.ticket(n).status == TicketStatus.INVALID
    told = chat.pushes("o_a")[-1]
    assert told.startswith("您好，您发来的内容") and "卖橘子" in told and "请为" not in told
    assert "不能再" in chat.say(LIFANG, f"受理 {n}")


def test_several_numbers_each_answered(chat: Chat) -> None:
    a = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    b = number_in(chat.say("o_b", "桂花苑5栋的垃圾桶满了没人清"))
    reply = chat.say(LIFANG, f"受理 {a}、{b}、999")
    assert f"已受理编号 {a}" in reply and f"已受理编号 {b}" in reply and "编号 999，未做处理" in reply


def test_accepting_at_night_says_when_the_resident_hears(tmp_path: Path) -> None:
    chat = open_chat(tmp_path, datetime(2026, 11, 24, 22, 30, tzinfo=SHANGHAI))
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    reply = chat.say(LIFANG, f"受理 {n}")
    assert "已通知居民" not in reply and "明天早上8点" in reply
    assert not chat.pushes("o_a")
    assert chat.pushes("o_a", datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI))


def test_the_previous_assignee_hears_of_a_takeover_and_a_transfer(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    chat.say(WANGMING, f"受理 {n}")
    assert any(t.startswith(f"【已接手】编号 {n} 已由王明接手") for t in chat.pushes(LIFANG))
    chat.say(WANGMING, f"转办 {n} 银杏院")
    assert any(t.startswith(f"【转办】编号 {n}") for t in chat.pushes(CHENGANG))
    assert "不在您可以转办的范围" in chat.say(CHENGANG, f"转办 {n} 翠竹苑")
    unknown = chat.say(CHENGANG, f"转办 {n} 荷花苑")
    assert "没有找到“荷花苑”" in unknown and "桂花苑" in unknown and "王明" in unknown


def test_tasks_show_what_was_escalated_to_me(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    assert "没有待办" in chat.say(WANGMING, "任务")
    sweeper = Sweeper(chat.db, chat.ctx.calendar)  # 督办 is the sweeps' work: a reminder, then the community
    for day in (24, 25, 26):
        sweeper.run(datetime(2026, 11, day, 17, 0, tzinfo=SHANGHAI))
    tasks = chat.say(WANGMING, "任务")
    assert "督办或上报给您" in tasks and f"编号 {n}" in tasks and "办理人：李芳" in tasks
    assert "受理 编号" not in tasks and "请督促办理人" in tasks  # nothing of his own to accept


def test_own_entry_is_accepted_and_never_chased_to_accept(chat: Chat) -> None:
    reply = chat.say(LIFANG, "代录 5栋王大爷反映楼道扶手松动")
    n = number_in(reply)
    assert "由您受理" in reply and f"办结 {n}" in reply
    sweeper = Sweeper(chat.db, chat.ctx.calendar)
    for day in (24, 25, 26):
        sweeper.run(datetime(2026, 11, day, 17, 0, tzinfo=SHANGHAI))
    detail = chat.say(LIFANG, f"详情 {n}")
    assert "已受理" in detail and "督办" not in detail  # before: 未受理督办 to 王明, then to 赵强


def test_own_entry_does_not_push_back_and_rebinding_says_bound(chat: Chat) -> None:
    reply = chat.say(LIFANG, "代录 5栋王大爷反映楼道扶手松动")
    assert number_in(reply)
    assert not new_tasks(chat, LIFANG)

    code, _ = invite(db=chat.db, name="周伟", now=chat.clock())
    assert "绑定成功" in chat.say("o_zhouwei", f"绑定 {code}")
    assert "已经绑定为周伟" in chat.say("o_zhouwei", f"绑定 {code}")


# --- fits a phone -----------------------------------------------------------------------------------


def test_a_long_complaint_is_one_push_and_every_reply_fits(chat: Chat) -> None:
    long_text = "桂花苑3栋楼道的灯坏了，" + "晚上上下楼黑黢黢的很不方便，" * 300
    reply = chat.say("o_a", long_text)
    n = number_in(reply)
    pushes = chat.pushes(LIFANG)
    assert len(pushes) == 1 and f"详情 {n}" in pushes[0] and len(pushes[0]) < 400
    for text in (chat.say(LIFANG, f"详情 {n}"), chat.say("o_a", f"查询 {n}"), chat.say(LIFANG, "任务")):
        assert len(text.encode("utf-8")) <= 2048


def test_history_names_people_never_openids(chat: Chat) -> None:
    n = number_in(chat.say("oRESlaowang123", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    chat.say("oRESneighbour", "桂花小区门口那个路灯不亮了")
    chat.say(LIFANG, f"办结 {n} 换了灯泡")
    chat.say("oRESneighbour", "2 还行")
    detail = chat.say(LIFANG, f"详情 {n}")
    assert "oRES" not in detail
    assert "登记（居民）" in detail and "受理（李芳）" in detail and "居民附议：桂花小区" in detail
    assert "居民评价（居民（附议））：基本满意：还行" in detail


def test_a_resident_out_of_the_48_hour_window_is_not_said_to_be_told(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    chat.later(days=3)
    reply = chat.say(LIFANG, f"受理 {n}")
    assert "已通知居民" not in reply and "下次发消息时就会收到" in reply


def test_merge_asks_for_two_numbers(chat: Chat) -> None:
    assert "要写两个编号" in chat.say(LIFANG, "合并 1")
    assert "要写两个编号" in chat.say(LIFANG, "合并 1 2 3")


def test_the_weekly_figures_leave_out_what_was_not_a_problem(chat: Chat) -> None:
    kept = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    junk = number_in(chat.say("o_b", "桂花苑5栋的垃圾桶满了没人清"))
    gone = number_in(chat.say("o_c", "桂花苑8栋电梯坏了"))
    dup = number_in(chat.say("o_d", "桂花苑9栋门口井盖松了"))
    chat.say(LIFANG, f"无效 {junk} 已当面说明")
    chat.say("o_c", f"撤回 {gone}")
    chat.say(LIFANG, f"合并 {dup} {kept}")
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    Sweeper(chat.db, chat.ctx.calendar).run(monday)
    digest = [t for t in chat.pushes(ZHAOQIANG, monday) if t.startswith("【每周民情简报】")]
    assert digest and "收到诉求 1 件" in digest[-1]


def test_a_shared_place_does_not_make_two_problems_one(chat: Chat) -> None:
    lift = number_in(chat.say("o_a", "银杏小区二十一号楼电梯坏了好几天了"))
    pothole = number_in(chat.say("o_b", "银杏小区二十一号楼门口路面有个大坑"))
    assert lift != pothole
    assert number_in(chat.say("o_c", "银杏院21栋电梯坏了 好几天了")) == lift


def test_a_sweep_takes_every_step_that_is_due_and_a_second_run_as_of_the_same_moment_does_nothing(chat: Chat) -> None:
    n = number_in(chat.say("o_a", "桂花苑3栋的路灯坏了"))
    sweeper = Sweeper(chat.db, chat.ctx.calendar)
    a_week_later = datetime(2026, 12, 2, 17, 0, tzinfo=SHANGHAI)  # past the reminder, the community's and the town's 督办
    first = sweeper.run(a_week_later)
    assert {"unaccepted_reminder", "unaccepted_to_community", "unaccepted_to_town"} <= set(first.counts), first.counts
    assert sweeper.run(a_week_later).total == 0  # DESIGN §4: run twice with the same --at, the second does nothing
    assert any(f"编号 {n}" in t for t in chat.pushes(WANGMING, a_week_later))
    assert any(f"编号 {n}" in t for t in chat.pushes(ZHAOQIANG, a_week_later))
