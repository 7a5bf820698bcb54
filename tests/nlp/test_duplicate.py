"""Duplicate detection: the same problem reported twice, and different problems kept apart."""

from __future__ import annotations

import pytest

from nlp import Analyzer


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("大门口的路灯坏了", "门口路灯不亮了好几天了"),
        ("3栋化粪池又堵了臭得很", "桂花院子3栋那个化粪池堵起了"),
        ("门口路灯坏了", "门口的路灯坏了，晚上好黑"),
        ("楼下烧烤摊油烟好大", "楼下烧烤摊油烟太大了，窗子都不敢开"),
        ("老板拖欠工资三个月了", "老板拖欠工资三个月了"),
    ],
)
def test_same_problem_is_a_duplicate(analyzer: Analyzer, new: str, old: str) -> None:
    assert analyzer.is_duplicate(new, old)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("3栋化粪池堵了", "5栋化粪池堵了"),  # different buildings
        ("路灯坏了", "路灯太亮了照到我家睡不着"),  # same thing, different problem
        ("门口路灯坏了", "门口垃圾没人收"),
        ("楼上漏水", "停水了"),
        ("化粪池满了", "下水道堵了"),
        ("门口路灯坏了", "老板拖欠工资"),
        ("你好", "你好"),  # small talk is never a ticket to merge into
        ("", ""),
    ],
)
def test_different_problems_are_not_duplicates(analyzer: Analyzer, new: str, old: str) -> None:
    assert not analyzer.is_duplicate(new, old)
