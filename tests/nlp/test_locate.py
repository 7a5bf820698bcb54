"""Segmentation of org-chart names and finding the courtyard a message is about."""

from __future__ import annotations

import pytest

from nlp import Analyzer
from nlp.segment import shared_tokenizer


@pytest.mark.parametrize("name", ["桂花苑", "桂花院子", "老粮站宿舍", "幸福社区", "王明", "桂花苑二期"])
def test_org_chart_names_are_single_tokens(analyzer: Analyzer, name: str) -> None:
    assert name in analyzer.tokens(f"我住在{name}3栋，门口路灯坏了")


def test_org_chart_names_do_not_leak_into_the_shared_dictionary(analyzer: Analyzer) -> None:
    assert "老粮站宿舍" not in shared_tokenizer().FREQ
    assert "老粮站宿舍" not in Analyzer().tokens("老粮站宿舍门口")


@pytest.mark.parametrize(
    ("text", "courtyard"),
    [
        ("桂花苑门口的垃圾没人收", "桂花苑"),
        ("桂花小区停水了", "桂花苑"),
        ("桂花院子3栋那个化粪池又堵起了臭得很", "桂花苑"),
        ("银杏院子2单元楼道灯坏了", "银杏院"),
        ("老粮站宿舍5号门口积水", "东风院"),
        ("桂花苑二期的路灯不亮", "桂花苑二期"),  # the longest match wins over 桂花苑
        ("我们桂花新苑3栋漏水", "桂花苑二期"),
        ("ＹＩＮ杏 银杏小区 ３栋", "银杏院"),  # full-width and spaces are normalised away
    ],
)
def test_locate_by_name_alias_and_building(analyzer: Analyzer, text: str, courtyard: str) -> None:
    assert analyzer.locate(text) == courtyard


@pytest.mark.parametrize(
    ("text", "courtyard"), [("桂化苑门口路灯坏了", "桂花苑"), ("银杏园门口堵车", None), ("银幸院门口堵车", "银杏院")]
)
def test_locate_accepts_one_wrong_character_but_not_in_the_suffix(
    analyzer: Analyzer, text: str, courtyard: str | None
) -> None:
    assert analyzer.locate(text) == courtyard


@pytest.mark.parametrize(
    "text", ["学院门口堵车", "医院里排队好久", "公园的厕所坏了", "东风路上有个坑", "桂花开了好香", ""]
)
def test_locate_does_not_take_ordinary_words_for_a_courtyard(analyzer: Analyzer, text: str) -> None:
    assert analyzer.locate(text) is None


def test_nearest_courtyard_within_radius(analyzer: Analyzer) -> None:
    assert analyzer.nearest(30.9901, 103.6201) == "桂花苑"
    assert analyzer.nearest(30.9934, 103.6250) == "银杏院"
    assert analyzer.nearest(31.5, 104.0) is None
    assert analyzer.nearest(30.9901, 103.6201, max_km=0.001) is None
