"""Text normalisation and n-gram features shared by training and inference."""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

# Common traditional characters residents may type (Hong Kong / Taiwan input methods, copied
# notices) and their simplified forms, position by position. Not a full converter: enough that a
# traditional complaint still lands in a class.
_TRADITIONAL = (
    "燈壞樓區裡這電話來說們對時會過還後麼問題學習處門開關車輛馬橋縣鄉鎮幹發現環衛醫療"
    "噸廠礦與為從兒讓氣體滅號棟單層滿塊錢費價賣買貨寫讀書師員長幾點鐘頭遠鄰聽聲響髒亂"
    "蟲蒼蠅飯館廳燒煙塵霧擾違規築遷補償證據記錄網絡劃給無線訊熱經營攤販佔濕傷斷灣園鐵"
    "軌飛機場運輸駕駛執銷廣圖藥診護計嬰產檢報險勞動資養職業務戶轉變樣實際議協調溝導領"
    "燙災邊"
)
_SIMPLIFIED = (
    "灯坏楼区里这电话来说们对时会过还后么问题学习处门开关车辆马桥县乡镇干发现环卫医疗"
    "吨厂矿与为从儿让气体灭号栋单层满块钱费价卖买货写读书师员长几点钟头远邻听声响脏乱"
    "虫苍蝇饭馆厅烧烟尘雾扰违规筑迁补偿证据记录网络划给无线讯热经营摊贩占湿伤断湾园铁"
    "轨飞机场运输驾驶执销广图药诊护计婴产检报险劳动资养职业务户转变样实际议协调沟导领"
    "烫灾边"
)
_TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters), traditional → simplified, whitespace removed.

    The corpus has every whitespace character removed, so the model sees input the same way.
    """
    text = unicodedata.normalize("NFKC", text).translate(_TO_SIMPLIFIED)
    return _SPACE.sub("", text).lower()


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
