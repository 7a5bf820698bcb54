"""Classification, urgency, small talk and odd input through Analyzer.analyze."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from nlp import CATEGORIES, OTHER, Analysis, Analyzer
from nlp.analyzer import reading_length, settle


def test_the_issue_example_lands_under_urban_construction_in_the_right_courtyard(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze("桂花院子3栋那个化粪池又堵起了臭得很")
    assert analysis.category == "城乡建设"
    assert analysis.courtyard == "桂花苑"
    assert not analysis.urgent and not analysis.is_small_talk
    assert "桂花院子" in analysis.tokens and "化粪池" in analysis.tokens


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("小区门口的路灯坏了一个星期，晚上黑得很", "城乡建设"),
        ("楼下烧烤摊半夜还在吵，油烟熏得窗子都打不开", "环境保护"),
        ("出租车不打表，乱喊价", "交通运输"),
        ("幼儿园又乱收费，喊交什么兴趣班的钱", "教育文体"),
        ("老板欠了我们半年工资不发", "劳动和社会保障"),
        ("超市卖的米过期了还在卖", "商贸旅游"),
        ("社区医院的医生看病不认真还乱开药", "卫生计生"),
    ],
)
def test_colloquial_complaints_get_their_department(analyzer: Analyzer, text: str, category: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.category == category
    assert 0.0 <= analysis.confidence <= 1.0


@pytest.mark.parametrize(
    "text", ["你好", "您好！", "在吗？", "谢谢你们", "测试", "好的收到", "👍👍", "哈哈哈", "ok", "早上好"]
)
def test_small_talk_is_other(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.category == OTHER and analysis.is_small_talk
    assert not analysis.urgent and not analysis.needs_triage


def test_a_greeting_before_a_complaint_is_still_a_complaint(analyzer: Analyzer) -> None:
    assert analyzer.analyze("你好，我们院子的下水道堵了").category == "城乡建设"


@pytest.mark.parametrize(
    ("text", "hotline"),
    [
        ("楼道里好大一股煤气味", "燃气"),
        ("厨房闻到天然气的味道，好浓", "燃气"),
        ("3栋着火了，好大的烟", "119"),
        ("楼下电瓶车在冒烟", "119"),
        ("配电箱那里有人触电了", "120"),
        ("电线掉下来垂在路上了", "95598"),
        ("我妈在院坝里摔倒了起不来", "120"),
        ("房子墙上裂了好大的缝，怕是要垮", "119"),
        ("水管爆了，水淹进屋了", "供水"),
        ("娃儿在小区门口走丢了", "110"),
        ("门口有人拿刀打架", "110"),
    ],
)
def test_danger_now_is_urgent_with_the_number_to_call(analyzer: Analyzer, text: str, hotline: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.urgent
    assert analysis.hotline == hotline
    assert analysis.urgent_reason
    assert analysis.category in CATEGORIES  # an emergency is always a ticket


@pytest.mark.parametrize(
    "text",
    [
        "上次煤气费交错了，咋个退",
        "天然气开户费太贵了",
        "燃气灶想换个新的在哪里办",
        "老旧电线有火灾隐患，请来检查",
        "路太滑了，老年人容易摔倒",
        "去年着火那栋楼还没修好",
        "担心娃儿放学走丢，门口能不能安排个人",
        "楼下烧烤摊冒烟熏得很",
        "旁边厂子天天排黑烟",
        "楼道里没有煤气味了，谢谢",
        "一下雨巷子里就淹了，好多年了",
        "消防演练什么时候搞",
    ],
)
def test_look_alikes_are_not_urgent(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert not analysis.urgent
    assert analysis.urgent_reason is None and analysis.hotline is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😀😀",
        "🙏",
        "12345678",
        "！！！？？",
        "hello world",
        "路" * 20_000,
        "桂花院子 " * 4000,
        "WiFi坏了好几天 wifi broken",
        "社區醫院的醫生態度好差",
        "\x00\x01",
        "0x1F600",
    ],
)
def test_odd_input_gets_a_valid_answer(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert isinstance(analysis, Analysis)
    assert analysis.category in (*CATEGORIES, OTHER)
    assert 0.0 <= analysis.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "12345678", "hello world"])
def test_content_free_input_is_other(analyzer: Analyzer, text: str) -> None:
    assert analyzer.analyze(text).category == OTHER


def test_traditional_characters_are_understood(analyzer: Analyzer) -> None:
    assert analyzer.analyze("社區醫院的醫生態度好差，亂開藥").category == "卫生计生"
    assert analyzer.analyze("樓道裡好大一股煤氣味").urgent


def test_an_unsure_complaint_goes_to_triage(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze("那边那个东西一直没弄好，麻烦看一下")
    assert analysis.category in CATEGORIES
    assert analysis.needs_triage == (analysis.confidence < 0.5)


def test_analyzers_share_the_loaded_model_and_answer_the_same(analyzer: Analyzer) -> None:
    text = "银杏院子门口的路灯坏了"
    assert Analyzer().analyze(text).category == analyzer.analyze(text).category


def test_concurrent_use_from_threads_is_consistent(analyzer: Analyzer) -> None:
    texts = ["楼道里好大一股煤气味", "桂花院子的化粪池堵了", "你好", "老板拖欠工资"] * 25
    expected = [analyzer.analyze(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(analyzer.analyze, texts)) == expected


def test_small_talk_is_read_only_in_chat_length_messages() -> None:
    """A letter that thanks or chases (formal board letters) files its problem; a chat line does not."""
    intents = {"complaint": 0.1, "smalltalk": 0.6, "progress": 0.1, "prelude": 0.05, "question": 0.15}
    chat = [0.5, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]  # LABELS order, 其他 last
    settings = {"blend": 0.0, "half_length": 50.0, "chat_intent_below": 40.0}
    letter = "周局长您好非常感谢您在百忙之中帮我解决了去年反映的工程款问题但是还剩一万多元至今没有结清希望您再督促一下"
    assert reading_length(letter) >= 40
    assert settle(letter, intents, chat, None, False, settings)[:2] == ("question", "城乡建设")
    assert settle("谢谢你们 路灯亮了 巴适", intents, chat, None, False, settings)[:2] == ("smalltalk", OTHER)
    assert reading_length("thank you so much for fixing the street light!") == 9
