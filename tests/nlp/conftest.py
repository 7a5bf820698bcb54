"""Shared fixtures: one Analyzer over a small org chart (the jieba dictionary loads once)."""

from __future__ import annotations

import pytest

from nlp import Analyzer, Place

PLACES = (
    Place("桂花苑", ("桂花小区", "桂花院子"), lat=30.9900, lon=103.6200),
    Place("桂花苑二期", ("桂花新苑",)),
    Place("银杏院", ("银杏小区", "银杏院子"), lat=30.9935, lon=103.6251),
    Place("东风院", ("东风小区", "老粮站宿舍")),
)


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer(PLACES, extra_words=("幸福社区", "王明", "李芳"))
