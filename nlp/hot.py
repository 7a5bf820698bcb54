"""Hot issues (热点问题): groups of messages about the same thing at the same place, across people and days.

Each message becomes a TF-IDF vector of its words (the subject counted twice); two messages are linked
when their cosine similarity reaches a threshold and they do not name different places; groups are the
linked components. Pure: texts in, frozen dataclasses out.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nlp.segment import Segmenter

SIMILAR = 0.42  # cosine of two messages about one thing (tuned on the public hot-issue corpus, see README)
SIMILAR_AT_PLACE = 0.28  # enough when both name the same place (a compound's shops: smoke, noise, night stalls)
# ... provided the problem itself is alike: the cosine without the words of the place (its name, buildings,
# 门口 …) reaches this. Else, on a short ledger, one courtyard's blocked drain and its pothole would be one issue.
PROBLEM_SIMILAR = 0.08
MAX_DF_SHARE = 0.01  # subject words in more messages than this share do not make candidates
DETAIL_CHARS = 300
TITLE_CHARS = 30
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_PLACE = re.compile(
    r"[\u4e00-\u9fffA-Za-z0-9]{2,12}?(?:小区|花园|家园|公寓|新城|广场|大厦|学院|大学|中学|小学|学校|幼儿园|医院|"
    r"村|镇|街道|社区|大道|路|街|巷|公司|市场|苑|院|园|城)"
)
_DISTRICT = re.compile(r"^[A-Z]\d*[市区县]")  # the corpus' anonymised "A市", "A3区" prefixes
# A match that starts with a generic word is not a name ("小区临街", "附近的路"): it would join any two compounds.
_GENERIC = re.compile(
    r"^(?:小区|临街|附近|周边|门口|楼下|一楼|底层|我们|我家|本村|该|这|那|在|到|从|对|和|与|及|的|想|要|请|买|去|而|但|就|也|还)"
)
# Where at a place, not what is wrong there: left out when judging whether two problems are alike.
_SPOT = re.compile(r"^(?:[0-9一二三四五六七八九十百]+[号]?(?:栋|幢|号楼|楼|单元|层|室|号|期|区)|[0-9-]+)$")
SPOT_WORDS = frozenset(
    ("门口", "大门", "东门", "西门", "南门", "北门", "楼下", "楼上", "楼道", "附近", "旁边", "对面", "周边", "小区",
     "院子", "院落", "单元", "路口", "路边", "一带", "这里", "那里", "家门口",
     # nor how long or how badly: any problem can be 坏了 for 好几天
     "坏了", "损坏", "坏掉", "没人", "没人管", "好几天", "几天", "三天", "晚上", "白天", "每天", "天天", "经常",
     "总是", "一直")
)  # fmt: skip
_NEGATED = re.compile(r"(\w)[不没]")
STOPWORDS = frozenset(
    (
        "问题",
        "反映",
        "投诉",
        "咨询",
        "建议",
        "关于",
        "希望",
        "请求",
        "要求",
        "请问",
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "什么",
        "怎么",
        "为什么",
        "没有",
        "已经",
        "现在",
        "相关",
        "部门",
        "领导",
        "政府",
        "市民",
        "居民",
        "情况",
        "解决",
        "处理",
        "进行",
        "可以",
        "是否",
        "能否",
        "一直",
        "目前",
        "严重",
        "影响",
        "还是",
        "但是",
        "因为",
        "所以",
        "A市",
        "市",
        "区",
        "县",
    )
)


@dataclass(frozen=True)
class Message:
    """One report: its id (ticket number or CSV id), text, who sent it and when (either may be unknown)."""

    id: str
    subject: str
    detail: str = ""
    person: str | None = None
    at: datetime | None = None
    place: str | None = None  # known place (a courtyard); None to find places in the text
    words: tuple[str, ...] | None = None  # the subject's words when already cut (the ledger's search index)
    reporters: int = 1  # people behind a message without a person (a ticket with its 附议)


@dataclass(frozen=True)
class HotIssue:
    title: str
    count: int  # messages in the group
    people: int  # distinct people (messages without a person count one each)
    ids: tuple[str, ...]
    place: str | None
    first: datetime | None
    last: datetime | None


def find_places(text: str) -> list[str]:
    """The place names in a text (compounds, roads, schools …), without the anonymised district prefixes."""
    names = []
    for match in _PLACE.finditer(text):
        name = _DISTRICT.sub("", _DISTRICT.sub("", match.group()))
        if len(name) >= 3 and name not in STOPWORDS and not _GENERIC.match(name):
            names.append(name)
    return names


def group(messages: Sequence[Message], *, segmenter: Segmenter, min_people: int = 2) -> list[HotIssue]:
    """The hot issues among messages, hottest first: most people, then the most recent."""
    places = [
        [m.place] if m.place is not None else find_places(m.subject + " " + m.detail[:DETAIL_CHARS]) for m in messages
    ]
    # A place's name is a word of its own: the tokenizer may cut a compound's name into pieces.
    subjects = [
        (list(m.words) if m.words is not None else _words(m.subject, segmenter)) + [p.lower() for p in named]
        for m, named in zip(messages, places, strict=True)
    ]
    counts = [
        Counter(s + s + _words(m.detail[:DETAIL_CHARS], segmenter)) for s, m in zip(subjects, messages, strict=True)
    ]
    vectors = _vectors(counts)
    problems = _vectors([_problem_words(c, named) for c, named in zip(counts, places, strict=True)])
    parent = list(range(len(messages)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, score in _similar_pairs(vectors, [set(s) for s in subjects]):
        if places[i] and places[j]:
            if not _same_place(places[i], places[j]):
                continue  # both name places, and none in common: another place's problem
            if _cosine(problems[i], problems[j]) < PROBLEM_SIMILAR:
                continue  # the same place, but another problem there
        elif score < SIMILAR:
            continue
        parent[root(i)] = root(j)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(messages)):
        members[root(i)].append(i)
    issues = [_issue(messages, vectors, places, group) for group in members.values()]
    issues = [issue for issue in issues if issue.people >= min_people]
    return sorted(issues, key=lambda h: (-h.people, -h.count, -h.last.timestamp() if h.last else 0.0, h.ids))


def _problem_words(counts: Counter[str], places: Sequence[str]) -> Counter[str]:
    """What is wrong: the words, their character pairs and the thing each names (a compound's last character,
    路灯 → 灯; the subject of a negation, 灯不亮 → 灯), so that 路灯坏了 and 灯不亮 meet but 路面 and 路灯 do not;
    without the place's name (or a piece of it), buildings, 门口, how long and the like."""
    names = [p.lower() for p in places]
    grams: Counter[str] = Counter()
    for token, n in counts.items():
        if token in SPOT_WORDS or _SPOT.match(token) or any(token in name for name in names):
            continue
        grams[token] += n
        grams.update({token[k : k + 2]: n for k in range(1, len(token) - 1)})
        negated = _NEGATED.search(token)
        grams["@" + (negated.group(1) if negated else token[-1])] += n
    return grams


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(w * large.get(t, 0.0) for t, w in small.items())


def _same_place(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(x in y or y in x for x in a for y in b)


def _words(text: str, segmenter: Segmenter) -> list[str]:
    tokens = (token.lower() for token in segmenter.cut(text))
    return [t for t in tokens if len(t) >= 2 and _WORD.search(t) and t not in STOPWORDS]


def _vectors(counts: Sequence[Counter[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    n = len(counts)
    vectors = []
    for c in counts:
        weights = {t: (1 + math.log(tf)) * (1 + math.log((1 + n) / (1 + df[t]))) for t, tf in c.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({t: w / norm for t, w in weights.items() if w > 0})
    return vectors


def _similar_pairs(vectors: Sequence[dict[str, float]], keys: Sequence[set[str]]) -> list[tuple[int, int, float]]:
    """Pairs whose cosine reaches SIMILAR_AT_PLACE, with it. Candidates share a rarer subject word (an
    inverted index): the subject names the thing and the place, and comparing every pair would be quadratic."""
    cap = max(3, int(len(vectors) * MAX_DF_SHARE))
    postings: dict[str, list[int]] = defaultdict(list)
    for i, words in enumerate(keys):
        for token in words:
            postings[token].append(i)
    candidates: set[tuple[int, int]] = set()
    for posting in postings.values():
        if 1 < len(posting) <= cap:
            candidates.update((a, b) for k, a in enumerate(posting) for b in posting[k + 1 :])
    pairs = []
    for i, j in candidates:
        score = _cosine(vectors[i], vectors[j])
        if score >= SIMILAR_AT_PLACE:
            pairs.append((i, j, score))
    return sorted(pairs)


def _issue(
    messages: Sequence[Message], vectors: Sequence[dict[str, float]], places: Sequence[list[str]], group: list[int]
) -> HotIssue:
    # Σ over the others of cos(i, j) is i's vector against the group's summed vector, less i against itself:
    # linear in the group's size (a group of thousands of tickets would take minutes pair by pair).
    summed: Counter[str] = Counter()
    for j in group:
        summed.update(vectors[j])

    def centrality(i: int) -> float:
        return sum(w * (summed[t] - w) for t, w in vectors[i].items())

    central = max(group, key=centrality) if len(group) > 2 else group[0]
    subject = messages[central].subject or messages[central].detail
    title = " ".join(subject.split())
    title = title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS] + "…"
    named = Counter(p for i in group for p in set(places[i]))
    people = len({messages[i].person for i in group if messages[i].person}) + sum(
        messages[i].reporters for i in group if not messages[i].person
    )
    times = [t for t in (messages[i].at for i in group) if t is not None]
    return HotIssue(
        title=title,
        count=len(group),
        people=people,
        ids=tuple(messages[i].id for i in sorted(group)),
        place=named.most_common(1)[0][0] if named else None,
        first=min(times) if times else None,
        last=max(times) if times else None,
    )
