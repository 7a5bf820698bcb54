"""The building, unit and door a message names, normalised: 3栋, 3栋2单元, 5栋2单元301, 2单元."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL = r"(?:\d{1,3}|[零〇一二两三四五六七八九十百]{1,4})"
_BUILDING_WORD = r"(?:号楼|栋楼|幢楼|栋|幢|号院楼|座|号房子)"
_UNIT_WORD = r"(?:单元|单|门洞)"
# 5-2-301, 5－2－301, 5#2-301 (normalised text: full-width forms are already folded).
_TRIPLE = re.compile(r"(?<![\d.\-])(\d{1,3})\s*[-#]\s*(\d{1,2})\s*-\s*(\d{3,4})(?![\d.\-])")
_BUILDING = re.compile(rf"({_NUMERAL}){_BUILDING_WORD}")
_UNIT = re.compile(rf"({_NUMERAL}){_UNIT_WORD}")
# A door number right after the building or unit: 301, 301室, 301号.
_DOOR = re.compile(r"^\s*(?:的)?(\d{3,4})(?:室|号|房)?(?!\d)")
# The same in English or pinyin: building 3, bldg. 3, block 3, no.3 building, 3 dong, 3 hao lou;
# unit 2, 2 danyuan; room 301.
_LATIN_BUILDING = re.compile(
    r"(?<![a-z])(?:building|bldg|block|blk)\.? ?(?:no\.? ?|#)?(\d{1,3})(?![\d.])"
    r"|(?<![a-z])no\.? ?(\d{1,3}) (?:building|bldg|block)(?![a-z])"
    r"|(?<![\d.\-])(\d{1,3}) ?(?:dong|hao ?lou)(?![a-z])"
)
_LATIN_UNIT = re.compile(r"^[ ,]*(?:unit ?(\d{1,2})|(\d{1,2}) ?danyuan)(?![\da-z])")
_LATIN_DOOR = re.compile(r"^[ ,]*(?:room ?|rm\.? ?|#)?(\d{3,4})(?![\d.])")


def chinese_number(text: str) -> int | None:
    """An integer from Arabic digits or a small Chinese numeral (三, 十二, 二十三, 两); None if neither."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _DIGITS[char]
    return total + current


def find_building(text: str) -> str | None:
    """The first building/unit/door reference in a normalised text, as `N栋`, `N栋M单元`,
    `N栋M单元D`, `N栋D` or `M单元`; None when there is none (`3楼` is a floor, not a building)."""
    triple = _TRIPLE.search(text)
    if triple:
        return f"{int(triple[1])}栋{int(triple[2])}单元{triple[3]}"
    building = _BUILDING.search(text)
    if building:
        number = chinese_number(building[1])
        if number is None or number == 0:
            return None
        result = f"{number}栋"
        rest = text[building.end():]
        unit = _UNIT.match(rest.lstrip("的 "))
        if unit:
            unit_number = chinese_number(unit[1])
            if unit_number:
                result += f"{unit_number}单元"
            rest = rest.lstrip("的 ")[unit.end():]
        door = _DOOR.match(rest)
        if door:
            result += door[1]
        return result
    latin = _latin_building(text)
    if latin:
        return latin
    unit = _UNIT.search(text)
    if unit:
        unit_number = chinese_number(unit[1])
        if unit_number:
            door = _DOOR.match(text[unit.end():])
            return f"{unit_number}单元" + (door[1] if door else "")
    return None


def _latin_building(text: str) -> str | None:
    """A building (and unit, door) named in English or pinyin, as find_building returns it."""
    building = _LATIN_BUILDING.search(text)
    if building is None:
        return None
    number = int(next(g for g in building.groups() if g))
    if number == 0:
        return None
    result, rest = f"{number}栋", text[building.end():]
    unit = _LATIN_UNIT.match(rest)
    if unit:
        result += f"{int(unit[1] or unit[2])}单元"
        rest = rest[unit.end():]
    door = _LATIN_DOOR.match(rest)
    return result + door[1] if door else result


def building_number(building: str | None) -> str | None:
    """The building's number in Arabic digits (`5栋2单元301` → `5`), None without a building."""
    if building is None:
        return None
    match = re.match(r"(\d+)栋", building)
    return match[1] if match else None
