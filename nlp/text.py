"""Text normalisation and n-gram features shared by training and inference."""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

import opencc

# OpenCC's Traditional → Simplified conversion (phrases and characters; the data ships in the wheel).
_CONVERTER = opencc.OpenCC("t2s")
# Whitespace is dropped (the corpus has none) except between two Latin letters or digits, so
# `street light` stays two words and `3 栋` becomes `3栋`.
_SPACE = re.compile(r"\s+")
_KEPT_SPACE = re.compile(r"(?<=[0-9a-z])\s+(?=[0-9a-z])")
_GAP = "\x00"
# Control and format characters (C0/C1 controls but whitespace, zero-width spaces and joiners, bidi
# marks, BOM) are dropped, as are unpaired surrogates.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize(text: str) -> str:
    """The form every part of nlp reads: valid Unicode, NFKC (full-width → half-width), Traditional
    → Simplified, lower case, control characters gone, whitespace dropped except between Latin words.

    Never raises: lone surrogates are dropped and any string gives a string.
    """
    text = text.encode("utf-8", "ignore").decode("utf-8")
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if not text.isascii():
        text = _CONVERTER.convert(text)
    text = _KEPT_SPACE.sub(_GAP, text.lower())
    return _SPACE.sub("", text).replace(_GAP, " ")


def has_cjk(text: str) -> bool:
    """Whether the text contains at least one Chinese character."""
    return _CJK.search(text) is not None


def char_ngrams(text: str, low: int = 1, high: int = 3) -> list[str]:
    """All character n-grams of the (already normalised) text, low ≤ n ≤ high."""
    grams: list[str] = []
    for n in range(low, high + 1):
        if n == 1:
            grams.extend(text)
        elif n == 2:  # the common case, and the one a message's latency feels
            grams.extend(map(operator.add, text, text[1:]))
        else:
            grams.extend([text[i : i + n] for i in range(len(text) - n + 1)])
    return grams


SUBJECT_MARK = "\x01"  # prefixes n-grams of the opening characters, so they are features of their own


def model_grams(
    text: str, char_range: tuple[int, int], subject_chars: int, subject_range: tuple[int, int]
) -> list[str]:
    """The classifier's features: character n-grams of the whole text, and marked n-grams of its
    first `subject_chars` characters, where a board message's subject and a chat message's gist are.
    """
    grams = char_ngrams(text, *char_range)
    if subject_chars:
        grams.extend(map(SUBJECT_MARK.__add__, char_ngrams(text[:subject_chars], *subject_range)))
    return grams


def word_ngrams(tokens: Iterable[str]) -> list[str]:
    """Word unigrams and bigrams (joined by a space) of a token sequence."""
    words = [t for t in tokens if t.strip()]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


# English words residents mix into chat, glossed in Chinese so that the models and rules, which
# know Chinese, see what they mean. Appended to the text the models read; tokens keep the original.
_GLOSSARY: dict[str, str] = {
    "street light": "路灯", "streetlight": "路灯", "light": "灯", "lights": "灯", "lamp": "灯", "broken": "坏了",
    "not working": "坏了", "fix": "修", "repair": "修", "leak": "漏", "leaking": "漏", "water": "水", "pipe": "水管",
    "power": "电", "electricity": "电", "blackout": "停电", "outage": "停电", "gas": "燃气", "lift": "电梯",
    "elevator": "电梯", "stairwell": "楼道", "building": "楼", "roof": "屋顶", "sewer": "下水道", "drain": "下水道",
    "blocked": "堵", "pothole": "坑", "road": "路", "property management": "物业", "rubbish": "垃圾",
    "garbage": "垃圾", "trash": "垃圾", "noise": "噪音", "noisy": "吵", "loud": "吵", "smell": "味道", "stink": "臭",
    "smoke": "烟", "dust": "粉尘", "factory": "工厂", "pollution": "污染", "river": "河", "bus": "公交车",
    "bus stop": "公交站", "taxi": "出租车", "traffic": "交通", "parking": "停车", "car": "车", "driver": "司机",
    "school": "学校", "kindergarten": "幼儿园", "teacher": "老师", "fees": "费", "fee": "费", "class": "班",
    "library": "图书室", "gym": "健身", "salary": "工资", "wage": "工资", "wages": "工资", "paid": "工资",
    "boss": "老板", "pension": "养老金", "social insurance": "社保", "insurance": "保险", "job": "工作",
    "hospital": "医院", "clinic": "诊所", "doctor": "医生", "vaccine": "疫苗", "medicine": "药", "sick": "病",
    "shop": "商店", "store": "商店", "supermarket": "超市", "expired": "过期", "price": "价格", "refund": "退款",
    "restaurant": "餐馆", "food": "食物", "tourist": "游客", "ticket": "门票", "hotel": "酒店", "dog": "狗",
    "fire": "火", "trapped": "被困", "stuck": "卡住", "fell": "摔倒", "injured": "受伤", "hurt": "受伤",
    "capsized": "翻船", "overturned": "翻车", "vomiting": "呕吐",
    "thanks": "谢谢", "thank": "谢谢", "hello": "你好", "hi": "你好", "update": "进展", "progress": "进展",
    "complaint": "投诉", "report": "反映", "how": "怎么", "where": "哪里", "when": "什么时候",
    # the kinds of CATEGORIES.md in English: facilities and standing hazards, nuisances, people and danger
    "manhole": "井盖", "manhole cover": "井盖", "loose": "松了", "missing": "不见了", "cracked": "裂了",
    "crack": "裂缝", "wall": "墙", "ceiling": "天花板", "sewage": "污水", "septic tank": "化粪池", "flooding": "淹",
    "flooded": "淹", "wire": "电线", "wires": "电线", "cable": "电线", "sparking": "打火", "power cut": "停电",
    "no water": "停水", "water bill": "水费", "heating": "暖气", "stray dog": "流浪狗", "stray dogs": "流浪狗",
    "illegal": "违建", "vendor": "摆摊", "vendors": "摆摊", "stall": "摊", "tree": "树", "trees": "树",
    "fire lane": "消防通道", "fire exit": "消防通道", "hydrant": "消防栓", "charging": "充电", "e-bike": "电瓶车",
    "ebike": "电瓶车", "scooter": "电瓶车", "construction": "施工", "renovation": "装修", "drilling": "装修",
    "square dancing": "广场舞", "dancing": "跳舞", "music": "音乐", "karaoke": "ktv", "neighbour": "邻居",
    "neighbor": "邻居", "barbecue": "烧烤", "bbq": "烧烤", "fumes": "烟", "burning": "烧", "chemical": "化工",
    "ditch": "沟", "pig farm": "养猪场", "traffic light": "红绿灯", "traffic lights": "红绿灯", "crossing": "路口",
    "speeding": "飙车", "accident": "事故", "crash": "车祸", "parked": "停车", "jam": "堵车", "route": "线路",
    "homework": "作业", "tuition": "补课", "tutoring": "补课", "enrolment": "入学", "enrollment": "入学",
    "unpaid": "欠薪", "owed": "欠薪", "owes": "欠薪", "contract": "合同", "overtime": "加班", "unemployment": "失业",
    "retirement": "退休", "subsidy": "补贴", "allowance": "补贴", "medical insurance": "医保", "reimbursement": "报销",
    "pharmacy": "药店", "vaccination": "疫苗", "nurse": "护士", "rotten": "变质", "fake": "假", "overcharged": "多收钱",
    "scam": "骗", "market": "菜市场", "membership card": "会员卡", "prepaid": "预付卡", "tour": "旅行团",
    "scenic": "景区", "kid": "孩子", "kids": "孩子", "child": "孩子", "children": "孩子", "son": "儿子",
    "daughter": "女儿", "home": "家", "upstairs": "楼上", "downstairs": "楼下", "flat": "家", "apartment": "家",
    "fainted": "晕倒", "collapsed": "晕倒", "bleeding": "流血", "unconscious": "昏迷", "poisoning": "中毒",
    "drowning": "溺水", "fight": "打架", "knife": "刀", "jump": "跳楼", "robot": "机器人", "bot": "机器人",
    "office hours": "上班时间",
}
_GLOSS = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _GLOSSARY), key=len, reverse=True)) + r")\b")
_LATIN_WORD = re.compile(r"[a-z]{2,}")


# Separates the gloss from the text (normalize drops control characters, so no message holds it).
GLOSS_MARK = "\x02"


def gloss(text: str) -> str:
    """A normalised text with the Chinese of its English words appended (unchanged without any)."""
    if _LATIN_WORD.search(text) is None:
        return text
    words = [_GLOSSARY[m] for m in _GLOSS.findall(text)]
    return text + GLOSS_MARK + "，".join(words) if words else text


def unglossed(text: str) -> str:
    """The text without its gloss: the situation rules judge what was written, with its tense and
    negation ("nobody has been hurt"), not a list of glossed words."""
    return text.partition(GLOSS_MARK)[0]
