"""附议: a neighbour reporting the same problem joins the open ticket instead of filing it twice."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Ticket
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say

LIFANG = "o_lifang"


def test_neighbours_second_the_same_problem(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(say(server, "o_a", "桂花苑大门口的路灯坏了，晚上黑黢黢的"))
    seconded = say(server, "o_b", "桂花小区门口那个路灯不亮了")
    assert number_in(seconded) == n and "共 2 位居民反映" in seconded
    assert "已经反映过了" in say(server, "o_a", "桂花苑大门口的路灯坏了，晚上黑黢黢的")
    other = number_in(say(server, "o_c", "桂花苑5栋的化粪池堵了，臭得很"))
    assert other != n
    with server.db.transaction() as session:
        assert len(session.exec(select(Ticket)).all()) == 2
    server.drain()
    assert any(t.startswith(f"【附议】编号 {n}") and "2 人反映" in t for t in fake_wechat.texts_for(LIFANG))
    assert "（2人反映）" in say(server, LIFANG, "任务")

    say(server, LIFANG, f"办结 {n} 路灯已更换")
    server.drain()
    assert fake_wechat.texts_for("o_b")[-2] == f"您反映的问题（编号 {n}）已办结：路灯已更换"
    for reporter in ("o_a", "o_b"):  # every reporter is asked for the survey
        assert "请为编号" in fake_wechat.texts_for(reporter)[-1]
    assert "居民附议" in say(server, LIFANG, f"详情 {n}")
