"""Segmentation of org-chart names and finding the courtyard a message is about."""

from __future__ import annotations

import pytest

from nlp import Analyzer, Place
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


# A town of its own for look-alikes: a community, a road and a school share the courtyards' first words.
LOOKALIKE_TOWN = (
    Place("东风小区", ("东风", "東風院子")),
    Place("梧桐苑", ("Wutong Garden",)),
    Place("梧桐苑二期", ("梧桐新苑",)),
    Place("金桂园", ()),
    Place("金柱园", ()),  # one character from 金桂园: a typo of either is ambiguous
    Place("青石坝", ()),
)


@pytest.fixture(scope="module")
def town() -> Analyzer:
    return Analyzer(LOOKALIKE_TOWN)


@pytest.mark.parametrize(
    ("text", "courtyard"),
    [
        ("東風小區3棟停水了", "东风小区"),  # Traditional text, Simplified name
        ("东风院子门口垃圾没人收", "东风小区"),  # Simplified text, Traditional alias
        ("我住东风，楼道灯坏了", "东风小区"),  # the short alias on its own
        ("东风3栋化粪池堵了", "东风小区"),
        ("the lift at wutong garden is broken", "梧桐苑"),  # a Latin alias, word boundaries kept
        ("梧铜苑5栋漏水", "梧桐苑"),  # one wrong character in the distinctive part
        ("东凤小区停电了", "东风小区"),
        ("梧桐新院门口堵车", None),  # the wrong character is the place ending
        ("金杜园门口有个坑", None),  # a typo both 金桂园 and 金柱园 fit
        ("金桂园门口有个坑", "金桂园"),  # exact names are never ambiguous
        ("青石坝的路灯坏了", "青石坝"),
    ],
)
def test_aliases_in_any_script_and_unambiguous_typos(town: Analyzer, text: str, courtyard: str | None) -> None:
    assert town.locate(text) == courtyard


@pytest.mark.parametrize(
    "text",
    ["东风路上有个大坑", "东风小学门口堵车", "东风社区的书记电话多少", "東風醫院排隊好久", "东风中学的食堂不卫生", "梧桐路的公交站没了"],
)
def test_places_sharing_a_courtyards_first_word_are_not_the_courtyard(town: Analyzer, text: str) -> None:
    assert town.locate(text) is None


# Courtyards named in Latin script: pinyin and English renderings derived from the Chinese names.
LATIN_TOWN = (
    Place("桂花苑", ("桂花小区", "桂花院子")),
    Place("银杏院", ("银杏小区",)),
    Place("东风小区", ("东风",)),
    Place("长安花园", ()),
    Place("绿岛小区", ()),
    Place("老粮站宿舍", ()),
    Place("安苑", ()),
    Place("青石坝", ()),
    Place("金桂园", ()),
    Place("金贵园", ()),  # reads jin gui yuan like 金桂园: only its own characters tell them apart
)


@pytest.fixture(scope="module")
def latin_town() -> Analyzer:
    return Analyzer(LATIN_TOWN)


@pytest.mark.parametrize(
    ("text", "courtyard"),
    [
        ("Hi, the street light near Guihua garden is broken, 桂花苑3栋门口 please fix asap", "桂花苑"),
        ("Hi, the street light near Guihua garden is broken, please fix asap", "桂花苑"),
        ("guihuayuan 3 dong ting dian le", "桂花苑"),
        ("Gui Hua Yuan de lu deng huai le", "桂花苑"),
        ("Guì Huā Yuàn lift broken", "桂花苑"),  # tone marks
        ("gui4hua1yuan4 mei shui", "桂花苑"),  # tone digits
        ("guihua xiaoqu停水了", "桂花苑"),  # any residential ending
        ("Guihua Community has no water", "桂花苑"),
        ("GUIHUA COMPOUND gate broken", "桂花苑"),
        ("yin xing courtyard lift stuck", "银杏院"),
        ("dongfeng 3栋化粪池堵了", "东风小区"),  # a bare name with a building number
        ("dongfeng building 3 no power", "东风小区"),
        ("changan garden lights out", "长安花园"),  # every reading of 长
        ("ludao xiaoqu", "绿岛小区"),  # ü typed as u …
        ("lvdao xiaoqu", "绿岛小区"),  # … or as v
        ("laoliangzhan power cut", "老粮站宿舍"),  # three syllables are a name on their own
        ("anyuan lift", "安苑"),
        ("qingshiba road is broken", "青石坝"),
    ],
)
def test_courtyards_named_in_pinyin_or_english(latin_town: Analyzer, text: str, courtyard: str) -> None:
    assert latin_town.locate(text) == courtyard
    assert latin_town.analyze(text).courtyard == courtyard


@pytest.mark.parametrize(
    "text",
    [
        "the garden is nice, thanks",
        "an estate agent keeps calling",  # one syllable + an English word is not 安苑
        "guihua is blooming",  # a bare two-syllable name without a building
        "xinguihua garden",  # the syllables are the end of another word
        "dongfeng lu you ge keng",  # 东风路, not 东风小区
        "dongfeng shequ de shuji",  # 东风社区, the community, not the courtyard
        "dongfengxincun停水",  # 东风新村 is another place
        "jinguiyuan lu deng huai le",  # 金桂园 and 金贵园 read alike
        "I live in building 3",
    ],
)
def test_latin_text_that_names_no_courtyard(latin_town: Analyzer, text: str) -> None:
    assert latin_town.locate(text) is None


@pytest.mark.parametrize(
    ("text", "courtyard"),
    [
        ("桂花3栋停水了", "桂花苑"),  # a name's own part before a building number
        ("银杏二单元楼道灯坏了", "银杏院"),
        ("银杏小去停水了", "银杏院"),  # the last character typed as a homophone (小区 → 小去)
        ("老粮站宿社化粪池满了", "老粮站宿舍"),
        ("绿岛小去路灯坏了", "绿岛小区"),
        ("桂花开了好香", None),  # the part alone, without a building, is not the courtyard
        ("东风路3栋", None),  # 东风路 is another place, even before a building number
    ],
)
def test_short_names_with_a_building_and_misheard_endings(latin_town: Analyzer, text: str, courtyard: str | None) -> None:
    assert latin_town.locate(text) == courtyard
