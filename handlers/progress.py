"""A resident asks how an earlier report is going ("我反映的路灯修得咋样了"): the ticket(s) it names first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from handlers import resident, texts
from handlers.context import Context
from nlp.lexicon import KEYWORDS
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Resident, Ticket

SEARCHED = 30  # the resident's newest tickets a topic is looked for in
SHOWN = 5  # matching tickets listed, then as many of the others
# Words of a progress question that say nothing about which problem it is.
_NOT_TOPIC_WORDS = (
    "反映 反应 问题 事情 事儿 情况 咋样 咋个样 怎么样 怎样 如何 进展 进度 结果 处理 处理好 解决 修 修好 修得 修理 "
    "办 办好 办得 好了 没有 没得 没 有没有 上次 上回 之前 以前 前几天 那个 这个 那件 这件 我们 你们 他们 有人 "
    "管没得 管没 一下 什么 时候 啥时候 现在 到底 已经 还 说 讲 报 报的 提 提的 请问 麻烦 帮忙 看看 问问 咨询 "
    "弄 弄好 搞 搞好 落实 跟进 回复 答复 消息 动静 下文 多久 几天 还没 还没有 呢 吗 嘛 啊 呀 哦"
)
_NOT_TOPIC = frozenset(_NOT_TOPIC_WORDS.split())
# One-character words that name a thing on their own (灯 of 路灯, 楼道灯 …).
_THINGS = frozenset("灯水电气树墙路门坑井桥车狗猫鼠虫草窗梯管网线锁椅桶")
_CATEGORY_OF = {word: category for category, words in KEYWORDS.items() for word in words}
FULL, PARTIAL, SAME_KIND = 3, 2, 1


def answer(*, session: Session, ctx: Context, person: Resident, tokens: tuple[str, ...]) -> str:
    """The tickets the question's topic matches, first; else says none does and lists mine (or the
    latest's status when the question names no topic)."""
    places = set(ctx.analyzers.place_names(session))
    topic = [t for t in dict.fromkeys(tokens) if _is_topic(t) and t not in places]
    if not topic:
        return resident.latest_news(session=session, ctx=ctx, resident=person)
    assert person.id is not None
    tickets = ticket_repo.tickets_of_resident(session=session, resident_id=person.id, limit=SEARCHED)
    if not tickets:
        return texts.PROGRESS_NO_TICKETS
    scored = [(_score(topic, t), t) for t in tickets]
    best = max(score for score, _ in scored)
    label = "、".join(topic[:3])
    if best == 0:
        return _listing(person, texts.PROGRESS_TOPIC_NONE.format(topic=label), [], tickets)
    found = sorted(
        (t for score, t in scored if score == best), key=lambda t: (t.status not in OPEN_STATUSES, -(t.id or 0))
    )
    if len(found) == 1:
        head = texts.PROGRESS_TOPIC_ONE if best > SAME_KIND else texts.PROGRESS_TOPIC_LIKE_ONE
        return texts.fit(
            head.format(topic=label) + "\n" + resident.show_ticket(session=session, ctx=ctx, ticket=found[0])
        )
    head = texts.PROGRESS_TOPIC_SOME if best > SAME_KIND else texts.PROGRESS_TOPIC_LIKE_SOME
    others = [t for t in tickets if t not in found]
    return _listing(person, head.format(topic=label, count=len(found)), found, others)


def _is_topic(token: str) -> bool:
    word = token.strip()
    if not word or word in _NOT_TOPIC or not any("\u4e00" <= ch <= "\u9fff" for ch in word):
        return False
    return len(word) >= 2 or word in _THINGS


def _score(topic: list[str], ticket: Ticket) -> int:
    """3: the ticket's text names a topic word; 2: part of one (楼道 of 楼道灯, 灯 of 路灯); 1: the same kind
    of problem (路灯 and a 城乡建设 ticket); 0: unrelated."""
    text = "".join(ticket.text.split())
    best = 0
    for word in topic:
        if word in text:
            return FULL
        parts = [word[i : i + 2] for i in range(len(word) - 1)] if len(word) >= 3 else []
        parts += [ch for ch in word if ch in _THINGS] if len(word) >= 2 else []
        if any(part in text for part in parts):
            best = PARTIAL
        elif _CATEGORY_OF.get(word) == ticket.category:
            best = max(best, SAME_KIND)
    return best


def _listing(person: Resident, head: str, found: Sequence[Ticket], others: Sequence[Ticket]) -> str:
    lines = [head, *(resident.ticket_line(person, t) for t in found[:SHOWN])]
    if others:
        if found:
            lines.append(texts.PROGRESS_TOPIC_OTHERS.format(count=len(others)))
        lines += [resident.ticket_line(person, t) for t in others[:SHOWN]]
        if len(others) > SHOWN:
            lines.append(texts.TICKET_LIST_MORE.format(count=len(others) - SHOWN))
    lines.append(texts.TICKET_LIST_FOOTER)
    return texts.fit("\n".join(lines))
