"""Danger to life or property right now: which rule fired, and the number to call first."""

from __future__ import annotations

import re
from dataclasses import dataclass

FIRE = "119"
MEDICAL = "120"
POLICE = "110"
GAS = "燃气公司抢修电话（或119）"
POWER = "95598供电抢修（或110）"
WATER = "供水抢修电话（或119）"


@dataclass(frozen=True)
class Urgency:
    """Why a message is urgent and whom the resident should call before anything else."""

    reason: str
    hotline: str


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    urgency: Urgency
    chronic_ok: bool  # False: a long-standing state anywhere in the message ("一下雨就淹") is no emergency


def _rule(pattern: str, reason: str, hotline: str, chronic_ok: bool = True) -> _Rule:
    return _Rule(re.compile(pattern), Urgency(reason, hotline), chronic_ok)


# Ordered by priority: when several fire, the first one names the hotline.
_RULES: tuple[_Rule, ...] = (
    _rule(r"着火|起火|失火|火灾|烧起来了|燃起来了|火烧起来|冒火|火苗|火花|冒烟|冒黑烟|浓烟", "疑似火情", FIRE),
    _rule(r"煤气中毒|一氧化碳中毒", "疑似煤气中毒", MEDICAL),
    _rule(
        r"(煤气|天然气|燃气|液化气)(的)?(味|泄漏|泄露|漏气|漏了|在漏)"
        r"|(闻到|有股|一股)[^，。！？,.!?]{0,4}(煤气|天然气|燃气|臭鸡蛋)"
        r"|臭鸡蛋味|(煤气罐|气罐|燃气灶|燃气管|煤气管|天然气管|气管)[^，。！？,.!?]{0,4}(漏|泄)",
        "疑似燃气泄漏",
        GAS,
    ),
    _rule(r"毒气|有毒气体|氯气|氨气泄|化学品泄漏|(好多人|几个人|大家|人都)(头晕|头昏|恶心|呕吐)", "疑似有毒气体", FIRE),
    _rule(r"触电|电到人|被电到|电死", "有人触电", MEDICAL),
    _rule(
        r"摔倒|跌倒|摔下来|摔下去|晕倒|昏倒|晕过去|昏过去|昏迷|不省人事|倒在(地|屋|路|楼)|躺在地上"
        r"|起不来|喊不醒|叫不醒|没有呼吸|没得呼吸|没气了|喘不上气|喘不过气|心脏病|脑溢血|中风了|抽搐|吐血"
        r"|流血|流了好多血|大出血|受伤|砸到人|砸伤|砸到了人|压伤|烫伤|烧伤|割伤|上吐下泻|食物中毒",
        "有人受伤或急病",
        MEDICAL,
    ),
    _rule(
        r"(电线|电缆|高压线|电杆|电线杆)[^，。！？,.!?]{0,6}(掉|断|垂|落地|倒|垮)|漏电|变压器[^，。！？,.!?]{0,4}(炸|响|爆)",
        "电线断落或漏电",
        POWER,
        chronic_ok=False,
    ),
    _rule(
        r"(房|墙|楼|屋|梁|顶|天花板|阳台|桥|堡坎|挡墙|边坡)[^，。！？,.!?]{0,8}"
        r"(裂缝|裂开|开裂|裂了|垮塌|倒塌|坍塌|塌了|要垮|要塌|要倒|倾斜)|山体滑坡|滑坡了|塌方",
        "房屋或建筑有垮塌危险",
        FIRE,
        chronic_ok=False,
    ),
    _rule(r"水管爆|爆管|管子爆", "水管爆裂", WATER, chronic_ok=False),
    _rule(r"淹进|灌进屋|漫进屋|进屋了|淹了|被淹|水淹|屋头进水|家里进水|屋里进水", "水淹进屋", FIRE, chronic_ok=False),
    _rule(r"(电梯)[^。！？!?]{0,10}(关人|关了人|困人|困住|被困|关在里)|(困在|关在)电梯", "电梯困人", FIRE),
    _rule(r"走丢|走失|失踪|(娃|孩子|小孩|老人)[^，。！？,.!?]{0,6}(不见了|找不到)", "有人走失", POLICE),
    _rule(r"打架|斗殴|砍人|持刀|拿刀|动刀|抢劫|跳楼|跳河|要跳下|轻生|自杀|绑架|打人|家暴", "有人身安全危险", POLICE),
)

# Words before the match, in the same clause, that turn it into a worry, a past event or a denial.
_HEDGE = re.compile(
    r"(容易|担心|害怕|怕(?!是)|万一|防止|避免|预防|差点|差一点|隐患|以防|会不会|小心|注意|是否|有没有"
    r"|上次|去年|前年|以前|之前|上个月|那次|曾经|当年)[^，。！？；,.!?;]*$"
    r"|(没有|没|莫得|不是|并非|无)(闻到|看到|发现|有)?$"
)
_HEDGE_AFTER = re.compile(r"^[^，。！？；,.!?;]{0,6}(隐患|风险|的可能|费|表|卡|公司|改造|安装|开户|演练|知识|宣传|器)")
_CHRONIC = re.compile(r"一下雨|下雨就|每次|经常|老是|总是|天天|一直|好久|好几天|几个月|多年|几年|长期")
_LOOKALIKE = re.compile(r"烧烤|油烟|烟囱|排烟|烧垃圾|焚烧|秸秆|抽烟|吸烟|香烟|烟花")
_CLAUSE = re.compile(r"[，。！？；,.!?;]")
# Every rule at once: most messages name no danger, and one scan tells so.
_ANY_RULE = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in _RULES))


def _clause_around(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    right_match = _CLAUSE.search(text, end)
    return text[left : right_match.start() if right_match else len(text)]


def detect(text: str) -> Urgency | None:
    """The most pressing danger in an already normalised message, or None."""
    if _ANY_RULE.search(text) is None:
        return None
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            prefix = text[max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0) : start]
            if _HEDGE.search(prefix) or _HEDGE_AFTER.search(text[end:]):
                continue
            clause = _clause_around(text, start, end)
            if rule.urgency.hotline == FIRE and _LOOKALIKE.search(clause):
                continue
            if not rule.chronic_ok and _CHRONIC.search(text):
                continue
            return rule.urgency
    return None
