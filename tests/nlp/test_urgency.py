"""Urgency as a situation happening now, with the hotline CATEGORIES.md names; look-alikes are not urgent."""

from __future__ import annotations

import pytest

from nlp import Analyzer
from nlp.urgency import HOTLINES


@pytest.mark.parametrize(
    ("text", "hotline"),
    [
        ("桂花苑3栋电梯关了个人在里头出不来", "119"),
        ("大货车翻了司机卡在驾驶室里，油还在往外流", "119"),
        ("油罐车侧翻了柴油流到沟里去了", "119"),
        ("有个工人站在楼顶上说不给工钱就跳下去", "110"),
        ("一个民工爬到塔吊上面不下来，喊要结工资", "110"),
        ("我们一家人昨晚在那个馆子吃了饭，现在都在吐", "120"),
        ("娃儿放学三个钟头了还没回来，电话也打不通", "110"),
        ("有个游客翻过护栏掉下去了", "120"),
        ("船翻了，好几个人掉到河里了", "119"),
        ("电线掉地上了", "95598"),
        ("聞到煤氣味了 東風小區3棟", "燃气"),
        ("一辆电瓶车把老人撞倒了", "122"),
        ("幸福里隔壁屋头着火了烟子好大", "119"),
    ],
)
def test_situations_however_phrased(analyzer: Analyzer, text: str, hotline: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.urgent and analysis.hotline == hotline and hotline in HOTLINES
    assert analysis.urgent_reason and analysis.hotline_text
    assert analysis.intent == "complaint" and not analysis.is_small_talk


@pytest.mark.parametrize(
    "text",
    [
        "前几天闻到过煤气味 现在没了",
        "前年摔过一跤",
        "去年那场车祸撞了人，到现在都没赔",
        "要是着火了怎么办",
        "飞线充电很危险",
        "井盖缺了一角",
        "河边没有护栏，娃娃容易掉下去",
        "电梯经常坏，怕哪天把人关在里面",
        "垃圾站天天冒烟熏死人",
        "楼下烧烤摊冒烟熏得很",
    ],
)
def test_past_hypothetical_and_standing_hazards_are_not_urgent(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert not analysis.urgent and analysis.hotline is None and analysis.hotline_text is None


def test_an_urgent_word_in_a_long_letter_is_judged_by_its_sentence(analyzer: Analyzer) -> None:
    letter = "尊敬的领导：我们小区的绿化带多年没人管理。" * 30 + "去年冬天楼下还着过一次火，幸好没有人受伤。" + "希望尽快整改。" * 30
    assert not analyzer.analyze(letter).urgent
    assert analyzer.analyze(letter + "现在3栋楼道里着火了！").urgent


def test_the_gas_and_water_lines_can_name_local_numbers() -> None:
    analyzer = Analyzer(hotline_text={"燃气": "燃气公司抢修电话 96777"})
    analysis = analyzer.analyze("楼道里好大一股煤气味")
    assert analysis.hotline == "燃气" and analysis.hotline_text == "燃气公司抢修电话 96777"
    with pytest.raises(ValueError, match="unknown hotline"):
        Analyzer(hotline_text={"999": "x"})
