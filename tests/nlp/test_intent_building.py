"""Intent before category, and the building/unit/door a message names."""

from __future__ import annotations

import pytest

from nlp import INTENTS, OTHER, Analyzer
from nlp.building import chinese_number, find_building
from nlp.text import normalize as analyzer_normalize


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", "smalltalk"),
        ("谢谢你们 路灯亮了 巴适", "smalltalk"),
        ("好的收到", "smalltalk"),
        ("我反映的路灯修得咋样了", "progress"),
        ("上次说的化粪池处理了没有", "progress"),
        ("我想反映个事情", "prelude"),
        ("你好，我要投诉", "prelude"),
        ("请问社保卡在哪里办", "question"),
        ("桂花院子3栋那个化粪池又堵起了臭得很", "complaint"),
        ("路灯坏了怎么没人管？", "complaint"),
        ("灯亮了 巴适", "smalltalk"),  # thanks and praise without the usual words
        ("下水道通了 不臭了", "smalltalk"),
        ("我那个事情有下文没得", "progress"),
        ("说好今天来修 人呢", "progress"),
        ("谢谢 但是水还是没来", "complaint"),  # thanks, then a problem still there
    ],
)
def test_intent(analyzer: Analyzer, text: str, intent: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.intent == intent
    assert analysis.intent in INTENTS


@pytest.mark.parametrize(
    "text",
    ["你好", "谢谢你们 路灯亮了 巴适", "我反映的路灯修得咋样了", "我想反映个事情", "灯亮了 巴适", "我那个事情有下文没得",
     "路灯修好了 谢谢", "我上回说的那个下水道弄得咋样了", "你们是机器人吗", "重阳节到了 祝老人家身体健康"],
)
def test_what_is_not_a_complaint_files_no_ticket(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.is_small_talk and analysis.category == OTHER


@pytest.mark.parametrize("text", ["灯还是不亮", "谢谢 但是水还是没来", "路灯修好了又坏了"])
def test_a_problem_still_there_is_filed(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert not analysis.is_small_talk and analysis.category != OTHER


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("路灯修好了 谢谢", "smalltalk"),
        ("我上回说的那个下水道弄得咋样了", "progress"),
        ("投诉了一个星期了一点动静都没有", "progress"),
        ("前天说的那个坑今天路过还是老样子啊", "progress"),
        ("加班费那个事劳动局怎么答复的", "progress"),
        ("重阳节到了 祝院子里的老人家身体健康", "smalltalk"),
        ("happy new year to all the staff", "smalltalk"),
        ("自家果园的脐橙熟了 包邮 需要的私聊", "smalltalk"),
        ("李主任 借的桌子已经还到活动室了 跟您说一声", "smalltalk"),
        ("刚才发错了 算了不用了", "smalltalk"),
        ("转人工", "smalltalk"),
        ("出租车不打表", "complaint"),  # 出租 of a taxi is no advert
        ("电梯停在五楼跟六楼之间 我妈关在里头按警铃没人理", "complaint"),
        ("加油站加了两百块的油 油表才走了一格", "complaint"),
    ],
)
def test_intent_rules(text: str, intent: str) -> None:
    from nlp.intent import detect_intent

    assert detect_intent(analyzer_normalize(text)) == intent


def test_label_and_intent_agree_in_training() -> None:
    from nlp.train_chat import consistent

    assert consistent("交通运输", "smalltalk") == (OTHER, "smalltalk")  # thanks after a handled accident
    assert consistent("城乡建设", "prelude") == (OTHER, "prelude")
    assert consistent("城乡建设", "progress") == ("城乡建设", "complaint")  # chasing, and it is worse now
    assert consistent(OTHER, "progress") == (OTHER, "progress")
    assert consistent("城乡建设", "question") == ("城乡建设", "question")


def test_an_urgent_message_is_always_a_complaint(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze("你好，楼道里好大一股煤气味")
    assert analysis.urgent and analysis.intent == "complaint" and not analysis.is_small_talk


@pytest.mark.parametrize(
    ("text", "building", "number"),
    [
        ("桂花院子3栋那个化粪池又堵起了", "3栋", "3"),
        ("三号楼的电梯又坏了", "3栋", "3"),
        ("东风小区3幢2单元门禁坏了", "3栋2单元", "3"),
        ("5-2-301屋顶漏雨", "5栋2单元301", "5"),
        ("十二栋楼下好吵", "12栋", "12"),
        ("2单元楼道灯不亮", "2单元", None),
        ("3楼楼道灯不亮", None, None),
        ("路灯坏了", None, None),
        ("the lift in building 3 is broken", "3栋", "3"),
        ("Bldg. 3, unit 2, room 301 no water", "3栋2单元301", "3"),
        ("block 7 has no power", "7栋", "7"),
        ("guihuayuan 3 dong ting dian le", "3栋", "3"),
        ("No.5 building lift stuck", "5栋", "5"),
        ("the drain is blocked 3 days", None, None),  # blocked is not block
        ("wo bu dong zenme ban", None, None),
    ],
)
def test_building(analyzer: Analyzer, text: str, building: str | None, number: str | None) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.building == building
    assert analysis.building_number == number
    assert find_building(analyzer_normalize(text)) == building


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("3", "三", "十", "十二", "二十三", "两", "x")] == [3, 3, 10, 12, 23, 2, None]
