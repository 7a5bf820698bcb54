"""Answers that are true, through the real /wechat: 转办 keeps the problem's courtyard, no-op commands say so
and write nothing, a progress question naming its topic finds that ticket."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlmodel import select

from storage.models import Ticket, TicketStatus
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import events, number_in, say, ticket
from tests.support.usecase import open_chat

RESIDENT = "o_resident_t"
LIFANG, CHENGANG, ZHANGLI = "o_lifang", "o_chengang", "o_zhangli"
WANGMING, ZHAOQIANG = "o_wangming", "o_zhaoqiang"
GUIHUA, YINXING = 1, 2  # courtyard ids of the demo town



def pushed(server: Running, fake: FakeWeChat, openid: str) -> list[str]:
    server.drain()
    return fake.texts_for(openid)


# --- 转办 --------------------------------------------------------------------------------------------


def test_transfer_to_a_cadre_keeps_the_problems_courtyard(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑3栋门口的路灯坏了"))
    assert ticket(server, n).courtyard_id == GUIHUA

    reply = say(server, LIFANG, f"转办 {n} 陈刚")
    assert reply == f"编号 {n}（桂花苑）已转给陈刚，对方会收到推送。"
    moved = ticket(server, n)
    assert (moved.courtyard_id, moved.status) == (GUIHUA, TicketStatus.NEW)
    task = pushed(server, fake_wechat, CHENGANG)[-1]
    assert task.startswith(f"【转办】编号 {n}") and "院落：桂花苑" in task

    # The town sends it to a cadre of another community: still 桂花苑's problem, now 张丽 handles it.
    assert "已转给张丽" in say(server, ZHAOQIANG, f"转办 {n} 张丽")
    moved = ticket(server, n)
    assert moved.courtyard_id == GUIHUA and moved.community_id == 1
    assert "院落：桂花苑" in pushed(server, fake_wechat, ZHANGLI)[-1]
    assert "已受理编号" in say(server, ZHANGLI, f"受理 {n}")
    assert f"编号 {n}" in say(server, LIFANG, f"详情 {n}")  # still in 桂花苑's reach
    assert f"编号 {n}" in say(server, WANGMING, f"详情 {n}")


def test_transfer_to_a_courtyard_moves_the_ticket_there(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑旁边银杏院的围墙裂了"))
    assert say(server, LIFANG, f"转办 {n} 银杏院子").startswith(f"编号 {n}（银杏院）已转给银杏院（陈刚）")
    assert ticket(server, n).courtyard_id == YINXING


def test_transfer_that_cannot_be_done_changes_nothing(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑5栋楼道灯不亮了"))
    before, assignee = events(server, n), ticket(server, n).assignee_id

    out_of_reach = say(server, LIFANG, f"转办 {n} 张丽")
    assert "“张丽”不在您可以转办的范围内" in out_of_reach and f"上报 {n}" in out_of_reach
    assert "陈刚" in out_of_reach and "银杏院" in out_of_reach  # what she may choose instead

    unknown = say(server, LIFANG, f"转办 {n} 李四")
    assert unknown.startswith("没有找到“李四”这个院落或干部") and "陈刚" in unknown

    same = say(server, LIFANG, f"转办 {n} 李芳")
    assert same == f"编号 {n} 已经由李芳负责了。"
    after = ticket(server, n)
    assert (after.courtyard_id, after.assignee_id, after.status) == (GUIHUA, assignee, TicketStatus.NEW)
    assert events(server, n) == before


def test_transfer_to_a_cadre_without_wechat_says_to_phone(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "翠竹苑2栋的垃圾桶满了没人收"))
    reply = say(server, ZHAOQIANG, f"转办 {n} 周伟")
    assert "已转给周伟" in reply and "还没有绑定微信" in reply and "会收到推送" not in reply
    assert ticket(server, n).courtyard_id == 3  # 翠竹苑, not 周伟's 东风院


def test_an_unplaced_ticket_takes_the_place_of_the_cadre_it_is_sent_to(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "小区门口的路灯坏了好几天了"))
    assert ticket(server, n).courtyard_id is None
    assert "已转给李芳" in say(server, ZHAOQIANG, f"转办 {n} 李芳")
    placed = ticket(server, n)
    assert (placed.courtyard_id, placed.community_id) == (GUIHUA, 1)


SHARED_NAMES = """
town: 柳街镇
communities:
  - name: 幸福社区
    cadres:
      - {name: 王明, role: community, openid: o_wangming}
    courtyards:
      - name: 桂花苑
        cadres:
          - {name: 张伟（桂花苑）, role: courtyard, openid: o_zw1}
      - name: 银杏院
        aliases: [银杏小区]
        cadres:
          - {name: 张伟（银杏院）, role: courtyard, openid: o_zw2}
  - name: 和平社区
    courtyards:
      - name: 翠竹苑
        cadres:
          - {name: 张伟（翠竹苑）, role: courtyard, openid: o_zw3}
town_cadres:
  - {name: 赵强, role: town, openid: o_zhaoqiang}
"""


def test_a_name_two_cadres_share_lists_them(
    start_server: Callable[..., Running], tmp_path: Path, fake_wechat: FakeWeChat
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(SHARED_NAMES, encoding="utf-8")
    server = start_server(org=org)
    n = number_in(say(server, RESIDENT, "桂花苑3栋门口的路灯坏了"))
    before = events(server, n)

    shared = say(server, WANGMING, f"转办 {n} 张伟")
    assert shared.startswith(
        "有 3 位干部都叫“张伟”：张伟（桂花苑）、张伟（银杏院）、张伟（翠竹苑）（不在您可转办的范围）"
    )
    assert f"编号 {n} 未转办" in shared and f"转办 {n} 桂花苑张伟" in shared
    assert events(server, n) == before

    reply = say(server, WANGMING, f"转办 {n} 银杏小区张伟")
    assert "已转给张伟（银杏院）" in reply
    assert ticket(server, n).courtyard_id == 1
    assert f"【转办】编号 {n}" in pushed(server, fake_wechat, "o_zw2")[-1]


# --- commands sent twice, or that would change nothing ---------------------------------------------


def test_repeated_and_no_op_commands_say_so_and_write_nothing(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑3栋门口的路灯坏了"))
    m = number_in(say(server, "o_neighbour", "桂花苑5栋的垃圾桶满了没人收"))
    category = ticket(server, n).category

    def unchanged(command: str, openid: str = LIFANG) -> str:
        """The reply to a command that must leave ticket n's (and m's) history and the outbox as they were."""
        before = (events(server, n), events(server, m), len(pushed(server, fake_wechat, RESIDENT)))
        reply = say(server, openid, command)
        assert (events(server, n), events(server, m), len(pushed(server, fake_wechat, RESIDENT))) == before, reply
        return reply

    assert unchanged(f"归类 {n} {category}") == f"编号 {n} 已经是“{category}”了，未做改动。"
    assert "归类" not in say(server, LIFANG, f"详情 {n}")

    assert "已受理编号" in say(server, LIFANG, f"受理 {n}")
    assert unchanged(f"受理 {n}").startswith(f"您已受理过编号 {n}，不用再发")
    assert unchanged(f"受理 {n}", WANGMING).startswith(f"编号 {n} 已由李芳受理，正在办理，不用再受理")

    assert "已记录" in say(server, LIFANG, f"进展 {n} 已联系电工")
    assert "已经记录过了" in unchanged(f"进展 {n} 已联系电工")
    assert "已记录" in say(server, LIFANG, f"进展 {n} 电工明天上午来")  # a new note is news

    assert "上报王明" in say(server, LIFANG, f"上报 {n} 要换线路，需要社区出钱")
    assert unchanged(f"上报 {n} 要换线路").startswith(f"编号 {n} 现在已由王明负责，不用再上报")

    assert "已办结" in say(server, WANGMING, f"办结 {n} 路灯已更换")
    assert unchanged(f"办结 {n} 路灯已更换", WANGMING).startswith(f"编号 {n} 已于")
    assert "正在等居民评价" in unchanged(f"办结 {n} 好了", LIFANG)

    assert "不能把编号" in unchanged(f"合并 {m} {m}")
    third = number_in(say(server, "o_third", "桂花苑5栋垃圾桶满了 臭得很"))
    if third == m:  # joined as 附议: file one the merge can take
        third = number_in(say(server, "o_third", "代录 桂花苑6栋门口垃圾桶满了没人收"))
    assert "已把编号" in say(server, LIFANG, f"合并 {third} {m}")
    assert unchanged(f"合并 {third} {m}") == f"编号 {third} 已经并入编号 {m} 了，不用再合并。"
    assert unchanged(f"合并 {n} {third}") == f"编号 {third} 已并入编号 {m}。要合并，请发“合并 {n} {m}”。"

    assert "无需办理" in say(server, LIFANG, f"无效 {m} 垃圾已清运，居民说不用再管")
    assert unchanged(f"无效 {m} 已清运").startswith(f"编号 {m} 已于")


def test_withdrawing_twice_says_it_is_done(server: Running) -> None:
    n = number_in(say(server, RESIDENT, "桂花苑3栋门口的路灯坏了"))
    assert "已撤回" in say(server, RESIDENT, f"撤回 {n}")
    assert say(server, RESIDENT, f"撤回 {n}").startswith(f"编号 {n} 已经撤回了，不用再撤回")
    assert events(server, n).count("withdrawn") == 1

    shared = number_in(say(server, RESIDENT, "桂花苑5栋的路灯坏了"))
    assert number_in(say(server, "o_neighbour", "桂花苑5栋的路灯坏了，晚上好黑")) == shared
    assert "还有 1 位邻居" in say(server, "o_neighbour", f"撤回 {shared}")
    assert say(server, "o_neighbour", f"撤回 {shared}").startswith(f"您已经撤回过对编号 {shared} 的反映了")
    assert events(server, shared).count("reporter_left") == 1
    assert "没有找到您名下" in say(server, "o_stranger", f"撤回 {shared}")


# --- a progress question that names its topic --------------------------------------------------------


def test_a_progress_question_shows_the_ticket_it_names_first(server: Running) -> None:
    lamp = number_in(say(server, RESIDENT, "桂花苑3栋门口的路灯坏了"))
    rubbish = number_in(say(server, RESIDENT, "桂花苑5栋的垃圾桶满了没人收"))
    hallway = number_in(say(server, RESIDENT, "桂花苑7栋楼道灯不亮了"))
    say(server, LIFANG, f"进展 {lamp} 电工明天上午来换灯")

    reply = say(server, RESIDENT, "我反映的路灯修得咋样了")
    assert reply.startswith(f"您问的“路灯”，是这一件：\n编号 {lamp}"), reply
    assert "电工明天上午来换灯" in reply and f"编号 {rubbish}" not in reply

    reply = say(server, RESIDENT, "上次说的垃圾桶有人管没得")
    assert reply.startswith(f"您问的“垃圾桶”，是这一件：\n编号 {rubbish}"), reply

    lights = say(server, RESIDENT, "灯的事情怎么样了")
    assert lights.startswith("和“灯”有关的有 2 件：")
    first_lines = lights.split("\n")[1:3]
    assert {number_in(line) for line in first_lines} == {lamp, hallway}
    assert f"其他问题（1件）：\n编号 {rubbish}" in lights

    none = say(server, RESIDENT, "电梯修好没有")
    assert none.startswith("您反映过的问题里没有找到和“电梯”有关的。")
    assert all(f"编号 {n}" in none for n in (lamp, rubbish, hallway))

    everything = say(server, RESIDENT, "我的问题处理得怎么样了")  # no topic: all of mine, as before
    assert everything.startswith("您反映过的问题（最近3件）")
    assert len(tickets_of(server)) == 3  # none of the questions was filed


def tickets_of(server: Running) -> list[Ticket]:
    with server.db.transaction() as session:
        return list(session.exec(select(Ticket)).all())


# --- the cadre's phone: long lists in pages, long histories folded -----------------------------------

PROBLEMS = ("楼道灯不亮了", "垃圾桶满了没人收", "化粪池堵了 臭得很", "下水道返臭", "单元门禁坏了关不上")


def test_tasks_come_in_pages_that_fit_a_phone(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    numbers = [number_in(chat.say(f"o_r{i}", f"桂花苑{i + 1}栋{PROBLEMS[i % len(PROBLEMS)]}")) for i in range(23)]
    first = chat.say(LIFANG, "任务")
    assert first.startswith("您有23件待办（紧急和最早的在前），第1/3页：")
    assert "……后面还有13件，发“任务 2”看下一页。" in first
    second, third = chat.say(LIFANG, "任务 2"), chat.say(LIFANG, "任务3")
    assert "第2/3页" in second and "后面还有3件，发“任务 3”" in second and "后面还有" not in third
    listed = [number_in(line) for page in (first, second, third) for line in page.split("\n") if "｜" in line]
    assert sorted(listed) == numbers  # every task once, none left out
    assert "｜桂花苑｜" not in first  # her own courtyard is not repeated on every line
    assert all(len(page.encode()) <= 2048 for page in (first, second, third))
    assert "没有第9页，这是最后一页" in chat.say(LIFANG, "任务 9")

    mistyped = chat.say(LIFANG, "受理 999")
    assert "编号 999，未做处理" in mistyped and "等（共23件，发“任务”查看）" in mistyped


def test_detail_folds_a_run_of_seconding_into_one_line(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    n = number_in(chat.say("o_first", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    for i in range(30):
        assert number_in(chat.say(f"o_second{i}", "桂花苑门口路灯坏了 晚上好黑")) == n
    detail = chat.say(LIFANG, f"详情 {n}")
    assert "（31人反映）" in detail and "30 位居民附议，最近一条：桂花苑门口路灯坏了 晚上好黑" in detail
    assert detail.count("附议") == 1 and len(detail.encode()) < 1024
