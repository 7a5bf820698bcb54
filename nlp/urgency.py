"""Danger to life or property now: a small model of the situation, judged sentence by sentence.

A message is urgent when one of its sentences describes a *situation* — who or what is in danger
and what is happening to them — and nothing in that sentence puts it in the past, makes it a
worry or a hypothetical, denies it, or calls it a long-standing state. Situations are built from
slots (a person, a verb of falling or being trapped, a place of water …) rather than listed as
phrases, so "有个娃儿掉到堰塘头了" and "游客翻过护栏摔下去了" are caught without being written down.

Each situation names the hotline CATEGORIES.md says the reply leads with, as a short code:
119, 120, 110, 122, 95598, or 燃气 / 供水 for the gas and water companies' emergency lines, whose
numbers differ by town (see HOTLINE_TEXT and Analyzer's `hotline_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.prefilter import Prefilter

FIRE = "119"
MEDICAL = "120"
POLICE = "110"
TRAFFIC = "122"
POWER = "95598"
GAS = "燃气"
WATER = "供水"
HOTLINES: tuple[str, ...] = (FIRE, MEDICAL, POLICE, TRAFFIC, POWER, GAS, WATER)

# What the reply says to call, per hotline code; the gas and water companies' numbers are local,
# so by default the reply names the company and a national number that always answers.
HOTLINE_TEXT: dict[str, str] = {
    FIRE: "119",
    MEDICAL: "120",
    POLICE: "110",
    TRAFFIC: "122（有人受伤同时拨打120）",
    POWER: "95598供电抢修电话",
    GAS: "燃气公司抢修电话（或119）",
    WATER: "供水公司抢修电话（或119）",
}


@dataclass(frozen=True)
class Urgency:
    """Why a message is urgent and which hotline (a code of HOTLINES) the resident should call first."""

    reason: str
    hotline: str


# ---- slots --------------------------------------------------------------------------------------
_PERSON = (
    r"(?:人|娃儿?|娃娃|孩子|小孩|小朋友|学生|儿子|女儿|孙子|孙女|老人|老人家|老汉|老头|老太太?|婆婆|爷爷|奶奶|"
    r"外婆|外公|大爷|大妈|阿姨|叔叔|妈|爸|老公|老婆|媳妇|邻居|工人|师傅|司机|游客|小伙子?|女的|男的|妹妹|弟弟|"
    r"哥哥|姐姐|病人|一家人|一家|全家|几个人|好几个|大家|他|她|我)"
)
_MISSING_WHO = r"(?:女子|侄女|侄子|外孙女?|娃儿?|娃娃|孩子|小孩|小朋友|学生|儿子|女儿|孙子|孙女|老人|老人家|老汉|老头|老太太?|婆婆|爷爷|奶奶|外婆|外公|妈|爸|老公|老婆|媳妇)"
_W = r"[^，。！？；,.!?;\n]"  # any character inside one clause
_S = r"[^。！？；.!?;\n]"  # any character inside one sentence
_WATER_PLACE = r"(?:河|江|湖|塘|堰|沟|渠|水库|水里|水头|水中|粪池|化粪池|井|池子|游泳池|鱼塘|洪水|急流)"
_FALL_INTO = r"(?:掉|落|跌|滑|摔|栽|冲|跳|翻)(?:进|到|下|入)?了?(?:到)?"
_HEIGHT = r"(?:楼顶|楼上|房顶|屋顶|天台|阳台|窗户|窗子|脚手架|塔吊|护栏|栏杆|桥|悬崖|崖|坎|坡|山|梯子|楼梯)"
_VEHICLE = r"(?:车|货车|大车|卡车|挂车|罐车|油罐车|三轮|摩托|电瓶车|电动车|公交|大巴|客车|小车|轿车|出租车|渣土车|拖拉机)"


_EN_PERSON = (r"(?:i|he|she|they|we|someone|somebody|people|man|woman|lady|guy|person|baby|kid|child|son|daughter|boy|"
              r"girl|grand\w*|mum|mom|mother|dad|father|granny|husband|wife|neighbou?r|friend|worker|driver|student|"
              r"tourist|colleague|cyclist|pedestrian)")
# English: who may go missing (CATEGORIES.md: a child or person missing).
_EN_MISSING_WHO = (r"(?:kid|kids|child|children|son|daughter|boy|girl|grand(?:son|daughter|ma|pa|mother|father|child)|"
                   r"mum|mom|mother|dad|father|granny|old (?:man|woman|lady)|husband|wife|brother|sister)")


@dataclass(frozen=True)
class _Situation:
    pattern: re.Pattern[str]
    urgency: Urgency
    standing_ok: bool = True  # False: "一直/每次/经常 …" in the sentence makes it a standing state


def _situation(reason: str, hotline: str, *patterns: str, standing_ok: bool = True) -> _Situation:
    return _Situation(re.compile("|".join(f"(?:{p})" for p in patterns)), Urgency(reason, hotline), standing_ok)


# Ordered by priority: when several happen in one message, the first names the hotline.
_SITUATIONS: tuple[_Situation, ...] = (
    _situation(
        "有人落水", FIRE,
        rf"{_PERSON}{_W}{{0,10}}{_FALL_INTO}{_W}{{0,4}}{_WATER_PLACE}",
        rf"{_PERSON}{_W}{{0,6}}(?:在|泡在){_WATER_PLACE}{_W}{{0,6}}(?:扑腾|挣扎|喊救命|起不来|上不来|漂)",
        r"溺水|落水|淹到人|人被(?:水|洪水)?冲走|被(?:水|洪水|河水)冲走|船翻|翻船|船(?:倾覆|沉)了|沉船|沉到水底|沉下去了|在水里扑腾|漩涡|在水(?:上|面|里)漂|drown|capsiz|fell into the (?:river|water|pond|lake)",
        # the subject is a person or a vehicle: 鸭粪冲到河里 is pollution
        rf"(?:{_PERSON}|{_VEHICLE}|船){_W}{{0,8}}(?:冲|掉|开|翻|滑)(?:进|到|下){_W}{{0,4}}(?:河|塘|水塘|水库|江)",
        rf"{_WATER_PLACE}{_W}{{0,8}}{_PERSON}{_W}{{0,6}}(?:滑|掉|摔|跌|栽)下去",
        rf"下去{_W}{{0,4}}(?:就)?(?:没|没有)(?:上来|出来|起来)",
        r"(?:people|person|someone|somebody|man|woman|kids?|child(?:ren)?|boy|girl|they)\b[^.!?]{0,12}\bin the (?:water|river|lake|reservoir|pond)",
    ),
    _situation(
        "有人被困", FIRE,
        rf"(?:困|关|卡|夹|压|埋)(?:在|住|到)了?{_W}{{0,10}}(?:电梯|车里|车头|驾驶室|里面|里头|下面|底下|屋里|屋头|废墟)",
        rf"{_PERSON}{_W}{{0,8}}(?:被困|困住|被卡|卡住|被压|压住|被埋|埋住|夹住|被关|关住|出不来|(?<!都)出不去|下不去)",
        rf"电梯{_W}{{0,6}}(?:关|困|卡|闷|夹)(?:了|起了|住了)?(?:个|一个|两个|几个){_PERSON}",
        rf"(?:索道|缆车|摩天轮){_W}{{0,6}}(?:停|卡)(?:在|住|起)",
        rf"电梯{_W}{{0,8}}(?:停|卡|掉|坏){_S}{{0,10}}(?:里面|里头|在头)(?:还)?(?:有)?(?:个|一个|两个|三个|四个|几个|好几个)?(?:人|孕妇|老人|娃)",
        rf"(?:翻|垮|塌|倒|沉|吹翻|压垮)了?{_W}{{0,4}}(?:里面|里头|下面|底下)(?:还)?有(?:人|娃娃?|孩子|小孩|老人)",
        rf"(?:娃儿?|娃娃|孩子|小孩|小朋友|有人|老人|游客){_W}{{0,6}}(?:在|到|出)了?{_W}{{0,4}}(?:护栏|栏杆|窗户|窗台|阳台)外(?:面|边|头)?",
        r"电梯" + _W + r"{0,12}(?:困人|关人|关了人|卡人|有人|出不来|被困|困住|关住|卡住了?人)",
        r"(?:被困|困在|关在|卡在)" + _W + r"{0,6}电梯|电梯" + _W + r"{0,6}(?:卡|停|坏)" + _W + r"{0,6}(?:里面|里头)(?:还)?有人",
        r"(?:里面|里头)(?:还)?有人" + _W + r"{0,4}(?:出不来|被困|困住)",
        r"(?:里面|里头)(?:还)?(?:关|困|卡)(?:了|着|住)?(?:个|一个|几个|两个|好几个)?人",
        r"困电梯|(?:电梯|车)里(?:面|头)?出不来|锁在车里|卡在" + _W + r"{0,8}中间|门(?!禁)" + _W + r"{0,3}打不开|电梯" + _W + r"{0,12}(?:里面|里头)(?:有|还有)(?:个|一个|几个|两个|三个|好几个)?人|门打不开|拍窗子|(?:电梯|" + _PERSON + r")" + _W + r"{0,8}(?:停在半空|吊在半空)|"
        r"(?:里面|里头|上面)(?:还)?(?:有|吊了)(?:好多|几个|个|一个|两个)?(?:人|娃娃?|孩子)" + _W + r"{0,6}(?:喊|出不来|打不开|沉|翻)|"
        r"trapped|stuck (?:in|between|inside)|(?:lift|elevator)\b[^.!?]{0,40}\b(?:is |are )?inside|"
        r"(?:locked|shut) (?:in|inside)\b[^.!?]{0,20}\b(?:lift|elevator|car)|can'?t get out",
    ),
    _situation(
        "疑似火情", FIRE,
        r"着火|起火|失火|火灾|烧起来|燃起来|火烧起来|冒火(?![花星])|火苗|火光|明火|烧着了|爆炸|(?<![要气快])炸了|自燃|喷火|点着了|烧过来|火(?:越来越大|蹿|一下子|起来了)|都是火|门把手(?:都)?烫|火好大|火势|在燃|燃起了|蔓延|烫手|on fire|burning|explosion|exploded|flames?\b|caught fire|"
        r"(?:a|the|big) fire\b(?! (?:lane|exit|escape|door|extinguisher|hydrant|hazard|risk|safety|drill|station|truck|engine))|"
        r"fire (?:in|on|at|upstairs|downstairs|next door)\b",
    ),
    _situation(
        "冒烟，疑似火情", FIRE,
        r"浓烟|冒黑烟|冒白烟|黑烟滚滚|烟好大|好大的烟|烟子好大|冒烟|在烧|黑烟|黄烟|好呛|smoke|smoky|smell(?:s|ing)? (?:of )?burning",
    ),
    _situation(
        "疑似燃气泄漏", GAS,
        r"(?:煤气|天然气|燃气|液化气)(?:的)?(?:味|泄漏|泄露|漏气|漏了|在漏|管子?" + _W + r"{0,4}(?:漏|破|断|裂|嘶))",
        r"(?:闻到|有股|一股|好大股|好浓的?)" + _W + r"{0,4}(?:煤气|天然气|燃气|液化气|臭鸡蛋)",
        r"臭鸡蛋味|(?:煤气罐|气罐|液化气罐|燃气灶|燃气管|煤气管|天然气管|燃气表|气管子?)" + _W + r"{0,4}(?:漏|泄|嘶)",
        r"瓦斯|(?:燃气|煤气|天然气)" + _W + r"{0,6}(?:漏|打穿|打破|破了|断了)|(?:管|阀|表|灶|调压箱|接头)" + _W + r"{0,8}(?:嘶嘶|丝丝|呲呲|滋滋|嗤嗤|呼呼|在响|漏气)|(?:味|味道|气味)" + _W + r"{0,8}(?:燃气|煤气|天然气|液化气)|漏气" + _W + r"{0,6}(?:味|冲|大)|"
        r"(?:厨房|屋头|屋里)" + _W + r"{0,6}(?:一股|股|有股)" + _W + r"{0,4}(?:味|气)" + _W + r"{0,4}(?:浓|重|冲|大)|gas leak|smell of gas|smells? (?:of|like) gas|smell(?:ing)? gas|gas smell",
        rf"(?:燃气|煤气|天然气|液化气)(?:表|罐|灶|管子?)?{_W}{{0,10}}(?:裂|破|断|拧不紧|关不住|关不紧|冒泡|倒了|喷)|气(?:一直)?在?往(?:天上|外)(?:冲|喷)",
    ),
    _situation(
        "有人中毒", MEDICAL,
        r"煤气中毒|一氧化碳中毒|食物中毒|农药中毒|中毒了|头昏眼花|野生菌|poison|误服|误吃|吃错(?:了)?药|把药当|喝了?农药|"
        r"(?:ate|swallowed|took) (?:the |his |her |my |some |a lot of )?(?:pills|tablets|medicine)|vomiting|throwing up",
        rf"(?:吃|喝|聚餐|吃饭|吃席|坝坝宴){_S}{{0,20}}(?:(?:都|全|全部|一起|一直|还|正)(?:在)?|在)(?:吐|拉|上吐下泻|肚子痛|肚子疼|晕|发烧)",
        rf"(?:吃|喝|聚餐|吃饭|吃席|坝坝宴){_S}{{0,20}}(?:上吐下泻|发抖|抽筋|口吐白沫|进医院|送医院|昏|晕倒)",
        rf"(?:吃|吞|喝)(?:了|下)?{_W}{{0,4}}(?:半瓶|一瓶|一整瓶|一把|好多颗|几十颗|十几颗)",
        r"又吐又拉|头(?:晕|昏)" + _W + r"{0,3}(?:呕吐|想吐|恶心)|迷迷糊糊|误喝|打滚|拉血",
        rf"{_PERSON}{_W}{{0,6}}(?:都|全都|一起)(?:在)?(?:吐|拉肚子|上吐下泻|发晕|晕倒)",
    ),
    _situation(
        "有毒气体或油品泄漏", FIRE,
        r"(?:沟|河|渠|田|地上|路上|路面)(?:里|上)?(?:面|头)?(?:全是|都是|好多)(?:汽油|柴油)|(?:油罐|罐车|储罐|罐子|槽罐)" + _W + r"{0,4}(?:翻|漏|爆|冒)|tanker|leaking (?:fuel|oil|petrol|diesel|gas|chemicals?|something)|"
        r"毒气|有毒气体|氯气|氨气|漏油|地上全是(?:汽油|柴油)|化学品" + _W + r"{0,4}(?:漏|泄|洒)|(?:泄漏|泄露)" + _W + r"{0,4}(?:化学|毒)",
        rf"(?:油罐车|罐车|槽罐车|油箱|柴油|汽油|机油|燃油|化工|硫酸|盐酸|农药|油){_W}{{0,8}}(?:漏|泄|流|洒|淌|冒)(?:出来|到|进|了|得)",
        rf"(?:熏倒|熏晕|呛晕|熏得?{_W}{{0,4}}(?:晕倒|吐了|倒))|(?:好多人|几个人|大家|人都|一家人|好多娃娃?|学生|好几个){_W}{{0,8}}(?:头晕|头昏|恶心|呕吐|晕|想吐|眼睛痛|流泪)",
        standing_ok=False,
    ),
    _situation(
        "交通事故有人受伤", TRAFFIC,
        rf"车祸|撞车|追尾|翻车|侧翻|{_VEHICLE}{_W}{{0,8}}(?:撞|翻|轧|压|碾)(?:了|到|倒|伤|死|着)",
        rf"(?:撞|轧|碾|压|刮|挂)(?:倒|伤|到|飞|了){_W}{{0,3}}{_PERSON}|{_PERSON}{_W}{{0,6}}被{_W}{{0,6}}(?:撞|轧|碾)",
    ),
    _situation(
        "有人触电", MEDICAL,
        r"触电|电到人|被电到|电死|被电打|electrocuted|electric shock|got a shock",
    ),
    _situation(
        "有人受伤或急病", MEDICAL,
        r"摔倒|跌倒|绊倒|滑倒|倒在地|倒地|晕倒|昏倒|晕过去|昏过去|噎住|卡住喉咙|卡到喉咙|脸都紫|呼吸困难|喘气" + _W + r"{0,2}困难|休克",
        rf"(?<!被){_PERSON}(?:已经|现在|突然|一下|直接|就)?倒(?:了|在地|下了|在(?:河|路|里面|地上|水|田|门口|床))",
        r"没(?:有|得)?反应了|没意识",
        rf"(?<!呼)(?:叫|喊|拍|摇|敲门){_W}{{0,6}}(?:没反应|没得反应|没有反应|不答应|没答应|没人应)|几天没(?:出门|开门|见人)",
        rf"摔(?:出去|到下面|下坡)|撞飞|(?:趴|躺)着不动|(?:人|他|她|老人|娃娃?|孩子){_W}{{0,6}}一动不动|躺在{_W}{{0,6}}(?:上|地)|嘴巴歪|口眼歪斜|一歪就倒|抽起来了|抽起了|翻白眼|捂着胸口|走不出来",
        r"shuai ?dao|qi ?bu ?lai|liu ?xue|jiu ?ming|tou ?liu ?xue|\b(?:injured|hurt)\b",
        # a person fell (a wire or a sign that fell is another situation)
        rf"\b{_EN_PERSON}\b[^.!?]{{0,16}}\b(?:fell|fallen|slipped|tripped)\b",
        rf"{_PERSON}{_W}{{0,8}}(?:摔了(?!一跤|一下|一次|个跟头)|跌了|摔下|跌下|掉下|栽下|滚下|倒在)",
        rf"(?:从|在){_W}{{0,8}}{_HEIGHT}{_W}{{0,6}}(?:掉|摔|跌|栽|滚|翻)(?:了|下|出)",
        rf"翻(?:过|出|下)(?:了)?{_W}{{0,4}}(?:护栏|栏杆|围栏)",
        r"昏迷|不省人事|倒了(?:一片|两个|几个|好几个|一个)|羊水|要生了|腿(?:好像)?断了|掉进去了|can\'?t get up|躺在地上|起不来|喊不醒|叫不醒|喊不应|叫不应|喊不答应|叫不答应|(?<![干走搬拿做跑])不动了|没有呼吸|没得呼吸|没气了|叫(?:他|她)?不应|喊(?:他|她)?不应|不清醒|嘴唇(?:发)?紫|脸色发紫|脸都白了|止不住|话(?:也|都)说不清楚|说不出话|半边脸|胸口痛|胸口疼|冷汗|中暑|憋红|咳不出|做按压|心肺复苏|呼吸很?弱|not breathing|unconscious|collapsed|bleeding|not responding|can\'t move|heart attack|"
        r"fainted|passed out|unresponsive|seizure|choking|overdose|had a stroke|can'?t breathe|cannot breathe|not waking up|"
        r"won'?t wake up|(?:can'?t|cannot|couldn'?t) (?:stand|get up|wake (?:him|her))|"
        r"(?<![臭熏闷热]得)喘不(?:上|过)气|心脏病|心梗|脑溢血|中风了|抽搐|抽风|吐血|流血|流了好多血|大出血|骨折|"
        r"砸到人|砸伤|砸到了人|砸中|压伤|烫伤|烧伤|割伤|咬伤|受伤|受了伤|伤得|快不行",
    ),
    _situation(
        "电线断落或漏电", POWER,
        r"(?:电线|电缆|高压线|电杆|电线杆|线杆|电杆子)" + _W + r"{0,8}(?:掉|断|垂|落地|倒|垮|打火|冒火花|火花|噼里啪啦|啪啪)",
        r"(?:电箱|电表箱|配电箱|变压器|电闸|插座|开关)" + _W + r"{0,6}(?:打火|冒火花|火花|噼里啪啦|炸|爆|响)",
        r"漏电|冒火星|闪火花|火星子|带电|被电打|冒蓝光|摸到?(?:会|就)?麻|live wire|sparking|sparks|power line|"
        r"(?:wire|wires|cable|cables|pole)\b[^.!?]{0,12}\b(?:down|fell|fallen|on the ground|in the water|snapped)",
        r"(?:电线|高压线|线头|电缆)" + _W + r"{0,8}(?:在地上|落到地|掉到地|乱甩|在跳|在闪|冒火|泡在水)|泡着一根电线",
        rf"(?:制氧机|呼吸机){_S}{{0,20}}停电|停电{_S}{{0,20}}(?:制氧机|呼吸机)",
        standing_ok=False,
    ),
    _situation(
        "房屋或建筑有垮塌危险", FIRE,
        # 楼 is the building, not a place beside it (楼下, 楼前, 楼门口 …).
        r"(?:房|墙|楼(?![下上前后旁边底门])|屋|梁|顶|天花板|阳台|桥|堡坎|挡墙|边坡|护坡|围墙|招牌|广告牌|树)"
        + _W + r"{0,8}"
        r"(?:裂开|开裂|裂了|垮塌|倒塌|坍塌|塌了|垮了|要垮|要塌|要倒|倾斜|歪了|在掉|掉下来|砸下来)",
        r"山体滑坡|滑坡了|塌方|泥石流|在垮|在塌|往下梭|正在往下掉|在往下掉|房梁断|collaps|cracking",
        r"裂缝" + _W + r"{0,6}(?:变宽|变大|越来越宽|越来越大|在变)|"
        r"(?:墙|堡坎|挡土墙|楼板|屋顶|房顶|梁|天花板|山墙)" + _W + r"{0,6}(?:在裂|在响|往外鼓|鼓起来|开了?(?:好大的|一条|一道)?口子|咔咔|吱吱|嘎嘎|掉了一大块|倒进去|在掉|越来越宽|变宽)",
        standing_ok=False,
    ),
    _situation(
        "水管爆裂或水淹进屋", WATER,
        r"水管爆|爆管|管子爆|水管" + _W + r"{0,4}(?:断|裂|破)" + _W + r"{0,6}(?:喷|冒|涌|淹)|自来水" + _W + r"{0,4}(?:喷|涌)",
        r"淹进|灌进屋|漫进屋|进屋了|(?:屋|家|房|楼|车库|负一楼)" + _W + r"{0,4}被淹|水淹(?:进|到)|往屋头灌|屋头进水|还在涨|越涨越|在进水|漫过|家里进水|屋里进水|水漫进|水冲进|淹到(?:屋|家|床|膝盖|腰)|管子崩|水哗哗|往楼道流|在淹|泡起了|漫到客厅|往下灌|burst pipe|pipe burst|pouring (?:in|through|down)|flood",
        standing_ok=False,
    ),
    _situation(
        "有人走失", POLICE,
        r"走丢|走失|失踪|失联|搞丢|跟丢|离家出走|到处" + _W + r"{0,4}(?:找不到|找不着|没找到|都找不到)|(?:没去|没到)(?:学校|幼儿园|补习班|上学)|少了一个(?:人|娃|孩子|学生|小孩)|都没找到|(?:hasn'?t|has not|didn'?t|did not|not) (?:come|came|got|gotten|get) home|didn\'?t come home|走散|没到学校|翻墙出去|didn\'t come back|did not come back|"
        r"(?:child|kid|son|daughter|boy|girl|grand\w*|mother|father|mum|mom|dad|old (?:man|woman|lady)|person)\b"
        r"[^.!?]{0,20}\bmissing|missing (?:child|kid|person|boy|girl)",
        # someone not home or not back when they should be: my kid is not home yet and it is 9pm
        rf"{_EN_MISSING_WHO}\b[^.!?]{{0,24}}\b(?:(?:is|s|are|still|yet)\s)?(?:not|isn'?t|aren'?t|hasn'?t|has not|didn'?t|did not|never)"
        r"(?: (?:come|came|got|gotten|get|made it|been|walked|arrived))? (?:home|back)\b"
        rf"|(?:can'?t|cannot|could not|couldn'?t) find (?:my|our|his|her) {_EN_MISSING_WHO}|lost (?:my|our) {_EN_MISSING_WHO}"
        rf"|{_EN_MISSING_WHO}\b[^.!?]{{0,20}}\b(?:disappeared|is gone|went missing|ran away|nowhere to be found)",
        rf"{_MISSING_WHO}{_S}{{0,14}}(?:不见了|就没得了|一下就没了|转眼就没了|找不到(?!工作|活|人看|人签|人管|人)|找不着|没回来|没回家|没有回来|没有回家|没到家|没到屋|还没回|联系不上|"
        r"打不通|不知道去哪|不晓得去哪|没看到人|不见人)",
    ),
    _situation(
        "有人身安全危险", POLICE,
        r"(?:要|说|说要|扬言|威胁|想|准备|闹着|吵着|喊着?)(?:要)?(?:跳楼|跳河|跳下去|跳下来|跳江|跳|自杀|寻死|喝药|轻生|同归于尽|不活了)",
        rf"(?:塔吊|楼顶|房顶|天台|屋顶)(?:上|上面|顶上|边上)?{_W}{{0,12}}(?:不下来|不肯下来|要跳|喊着?要|说要)",
        rf"不让(?:我|她|他|人|我们)?下车|(?:陌生人|不认识的人?){_W}{{0,6}}(?:接走|带走|抱走)|被人(?:接走|带走|抱走){_S}{{0,12}}(?:没人|没有人|不是我们|不认识|是哪个|是谁)",
        r"threaten\w* to jump|going to jump|won'?t come down",
        rf"(?:站|坐|爬|蹲|翻)(?:在|上|到)了?{_W}{{0,10}}(?:楼顶|天台|塔吊|房顶|屋顶|楼顶边|桥上|栏杆外|护栏外|窗台)"
        rf"{_W}{{0,10}}(?:不下来|要跳|闹|喊|说)",
        r"跳楼(?!价)|跳河|轻生|自杀|打架|打起来|斗殴|砍人|持刀|拿刀|动刀|抢劫|绑架|打人|家暴|捅人|行凶|偷小孩|抢小孩|跳下去|就跳(?:下去|楼|河)|塔吊上有人|悬在外面|楼顶边|不想活|围到打|打成一团|还在打(?:人|架|他|她|我|$)|砸人|往车上(?:拽|拖|拉)|泼(?:在|到)?自己身上|桶汽油|要烧|围殴|will jump|threaten|fight|knife|stabb",
    ),
)

# ---- modality: what makes a described situation not urgent now ---------------------------------
# Before the match, in the same sentence: a worry, a hypothetical, the past, a denial.
_UNREAL_WORDS = (
    r"(?:容易|担心|害怕|生怕|怕(?!是)|万一|要是|如果|假如|假设|防止|避免|预防|差点|差一点|险些|隐患|以防|会不会|"
    r"小心|当心|注意|是否|有没有|可能会|迟早|早晚|总有一天|哪天|一旦|以免|免得|"
    r"上次|上回|去年|前年|以前|之前|上个月|上周|上星期|前几天|前段时间|前些天|那次|那回|曾经|当年|那年|年前|"
    r"小时候|昨年|几年前|好多年前|测试|新闻|以为|假如|上礼拜|上个礼拜|上星期|上学期|前两天|前一阵|听说|想学|培训|学一下|"
    # "if it really happened": 真着火了消防车进不来
    r"真(?:的|要)?(?:发生|着火|起火|失火|出事|遇到)|就可能|"
    # the same moods in English
    r"\b(?:if|what if|in case|worried|worry|afraid|scared|risk|hazard|might|one day|someday|before someone|"
    r"could (?:catch|cause|collapse|fall|hurt|kill|start|get)|waiting to happen|drill|training|news)\b)"
)
_UNREAL = re.compile(_UNREAL_WORDS)
_NEGATED = re.compile(r"(?:没有|没|莫得|不是|并非|并没有?|无|不|防)(?:人|闻到|看到|发现|有|再)?$"
                      r"|\b(?:no|nobody|no one|not|never|nothing|nobody's)\b[^.!?]{0,16}$")
# Right after the match: it names a risk, a bill, a drill, an appliance — not an event.
_UNREAL_AFTER = re.compile(
    r"^" + _W + r"{0,6}(?:隐患|风险|的可能|可能性|费|表|卡|公司|改造|安装|开户|演练|知识|宣传|器|的话|怎么办|咋办|咋个办|"
    r"了怎么办|咋整|咋个整|怎么整|的事|千万|那年|那次|新闻|视频|电视|的时候|"
    # a question of knowledge about the danger, not a report of one: 闻到煤气味应该先做啥子, 煤气中毒怎么预防
    r"应该(?:先|怎么|咋|打|找|做)|有(?:啥|什么|哪些)症状|(?:怎么|如何|咋个?)预防|打哪个电话|一般多久)"
)
# Anywhere in the sentence: it is over, or it is only a standing state.
_OVER = re.compile(
    r"已经(?:好了|修好|灭了|扑灭|找到|救出|送医|送到医院|没事|处理好|抢修好|恢复)|现在没(?:了|事)|没事了|找到了|救出来了|"
    r"灭了|修好了|好了(?:谢谢|感谢)|过去了|没人受伤|没有人受伤|人没事|人倒是没事|没出人命|弄出来了|救出来|今天好了|现在好了|"
    r"已经(?:到了|通了|出院)|(?:救|抢救)过来了|现在醒了|救(?:起来|上来)了|恢复得|好多了|出院了|"
    # not happening yet: a leaning pole or wall that still stands is a standing hazard
    r"暂时(?:没|还|不)|还没(?:倒|断|塌|垮|掉)|"
    r"没得了|散了|闻不到了|nothing (?:is )?(?:leaking|burning)|(?:is|are|was|were) (?:fine|ok|okay|safe) now|put out|"
    r"was rescued|were rescued|got (?:him|her|them) out|found (?:him|her|them)|no longer|no(?:body| one) (?:has been |was |is |got )?(?:hurt|injured)|not leaking|isn'?t leaking"
)
# Anywhere in the sentence: what the resident wants is a remedy for what already happened or a ruling
# on a standing state (compensation, a subsidy, an assessment, whether it is allowed), not rescue.
_REMEDY = re.compile(r"工伤|赔|找哪个|找谁|在哪里?申请|哪里申请|能不能(?:装|修|早点|组织|查|安排|派)|算谁|什么时候能|是找|该咋|不晓得该|"
                     r"想先问|开发商|不认账|签字|维修基金|补贴|救助|报销|医药费|医疗费|鉴定|违规|违法|合不合法|犯法")
_STANDING = re.compile(r"一下雨|下雨就|雨天就|刮风就|一(?:插|开|用|碰|下雨)就|好久|很久|太多|多得很|每次|每回|经常|老是|总是|天天|每天|一直(?!在)|长期|常年|多年|好多年|几年了|几个月|"
                       r"\b(?:for (?:weeks|months|years|days|ages|a long time|a while|so long)|for \d+ (?:days|weeks|months|years)|"
                       r"since last|always|every time|whenever|every (?:day|night|week)|often|keeps|again and again)\b")
# In the clause of the match: it happened several times, so it is a pattern to fix, not an event now
# ("老人摔了好几次", "电梯三天两头关人").
# A count right after the danger's verb counts the event ("摔了好几次"; elsewhere it may count the
# caller's tries: "喊了几次都叫不醒"); a habitual adverb anywhere in the clause.
_REPEATED = re.compile(r"好几次|好几回|好多次|好多回|几次|几回|多次|两次|三次|两回|三回|屡次")
_COUNTED = re.compile(r"(?:有|已经|都)过?(?:好几|两|三|几|多)(?:次|回)")
_HABITUAL = re.compile(r"三天两头|隔三差五|(?<!一)动不动|时不时")
# Experienced aspect: the verb of the danger followed by 过 tells of the past ("摔过一跤", "着过火").
_EXPERIENCED = re.compile(r"(?:摔|跌|倒|困|关|卡|着|烧|漏|淹|撞|晕|昏|中毒|触电|丢|失|塌|垮|裂|爆)过(?![来去])")
_NOW = re.compile(r"现在(?!还不|还没|都还|已经|还是|恢复)|正在|刚刚|刚才|马上|赶紧|快来|快点|救命|快救|还在|都在|此刻|眼看|这会儿?|"
                  r"跑出来|逃出来|往外跑|疏散|一直在|越来越|right now|help|"
                  r"\b(?:at the moment|just now|hurry|quick|asap|urgent|emergency|immediately|right away|please come)\b")
_RESCUE = re.compile(r"救命|快来|快点|赶紧|马上|快救|正在|help")
# Earlier today or yesterday: past unless the same sentence says it is still happening.
_RECENT_PAST = re.compile(r"昨天|昨晚|昨日|前天|前晚|后来|当时|那天|"
                          r"\b(?:yesterday|last (?:night|week|month|year|time|winter|summer)|ago|the other day|used to)\b")
# Smoke and fire words that describe cooking, chimneys or smoking, not a fire.
_LOOKALIKE = re.compile(r"沥青|熬|烧烤|bbq|barbecue|restaurant|cooking|油烟|烟囱|排烟|烧垃圾|垃圾|焚烧|秸秆|抽烟|吸烟|香烟|烟花|鞭炮|炮仗|烧纸|烧香|厂|烧火|做饭|炒菜|"
                        r"烧塑料|烧塑胶|地膜|烧电线|剥铜|煮|落叶|树叶|轮胎|蜂窝煤|煤球|稻草|芦苇|烧东西|烧烤摊|火锅")
# People already harmed or fleeing: smoke from a factory or a bonfire is then an emergency.
_HARM = re.compile(r"晕倒|往外跑|跑出来|看不清|喘不过|睁不开|救命|快来|有人在里面|里面(?:好像)?(?:还)?有人")
# Flames that are cooking or a lighter, not a fire.
_COOKING = re.compile(r"烧烤|做饭|炒菜|煮|火锅|灶|烧火|蜡烛|打火机|烟头")
# A rotten-egg smell from these is sewage or a farm, not gas.
_GAS_LOOKALIKE = re.compile(r"污水|粪|厂|园区|垃圾|下水道|沟|河|塘|养殖|鸡|鸭|猪|化工")
_GAS_NAMED = re.compile(r"燃气|煤气|天然气|液化气|瓦斯|gas")
# The event's verb denied inside the match: 电线杆有点歪暂时没倒, 还没断.
_DENIED_EVENT = re.compile(r"(?:没|没有|未|还没|不会|不得)(?:倒|断|塌|垮|掉|漏|着|烧|裂|跳)")
# Danger words whose second character a pinyin keyboard may swap for a homophone (着伙 for 着火);
# scripts/danger_typos.py prints the variants that no dictionary word and no training text holds, which
# _TYPOS keeps. Words whose first character often ends or starts other words (途中, 降落, 走, 车) are left out:
# a variant would straddle two words (一车货 is no 车祸).
TYPO_WORDS: tuple[str, ...] = (
    "着火", "起火", "失火", "冒烟", "浓烟", "煤气", "燃气", "漏气", "漏电", "触电", "晕倒", "摔倒", "昏迷", "溺水",
    "被困", "救命", "跳楼", "爆炸",
)
_TYPOS: dict[str, str] = {
    "着火": "着伙 着或 着祸 着获 着货 着霍",
    "起火": "起伙 起或 起活 起祸 起霍",
    "失火": "失伙 失或 失活 失祸 失获 失货 失霍",
    "冒烟": "冒严 冒厌 冒咽 冒嫣 冒宴 冒岩 冒延 冒彦 冒掩 冒檐 冒沿 冒演 冒炎 冒焉 冒燕 冒盐 冒眼 冒研 冒艳 冒言",
    "浓烟": "浓严 浓厌 浓咽 浓嫣 浓宴 浓岩 浓延 浓彦 浓掩 浓檐 浓沿 浓演 浓炎 浓焉 浓燕 浓盐 浓眼 浓研 浓言",
    "煤气": "煤七 煤乞 煤企 煤其 煤启 煤器 煤奇 煤契 煤妻 煤岂 煤弃 煤旗 煤期 煤栖 煤棋 煤欺 煤漆 煤砌 煤绮 煤蕲 煤起 煤骑 煤鳍 煤齐",
    "燃气": "燃七 燃乞 燃企 燃其 燃启 燃器 燃奇 燃契 燃妻 燃岂 燃弃 燃旗 燃期 燃栖 燃棋 燃欺 燃漆 燃砌 燃绮 燃蕲 燃骑 燃鳍 燃齐",
    "漏气": "漏七 漏乞 漏企 漏其 漏启 漏器 漏奇 漏契 漏妻 漏岂 漏弃 漏旗 漏期 漏栖 漏棋 漏欺 漏漆 漏砌 漏绮 漏蕲 漏起 漏骑 漏鳍 漏齐",
    "漏电": "漏典 漏垫 漏店 漏殿 漏滇 漏碘 漏颠",
    "触电": "触典 触垫 触店 触殿 触滇 触碘 触颠",
    "晕倒": "晕刀 晕到 晕导 晕岛 晕捣 晕盗 晕道",
    "摔倒": "摔刀 摔导 摔岛 摔捣 摔盗 摔道",
    "昏迷": "昏密 昏弥 昏秘 昏米 昏觅 昏谜",
    "溺水": "溺睡 溺税 溺谁",
    "被困": "被坤 被捆 被昆",
    "救命": "救名 救明 救鸣",
    "跳楼": "跳搂 跳漏",
    "爆炸": "爆乍 爆扎 爆札 爆眨 爆闸",
}
_TYPO_OF = {variant: word for word, variants in _TYPOS.items() for variant in variants.split()}
_TYPO = re.compile("|".join(sorted(_TYPO_OF, key=len, reverse=True)) or "(?!)")


def repair_typos(text: str) -> str:
    """The text with homophone typos of danger words spelt right (same length, so positions hold)."""
    return _TYPO.sub(lambda m: _TYPO_OF[m.group()], text) if _TYPO.search(text) else text


_SENTENCE = re.compile(r"[。！？；.!?;\n]+")
_CLAUSE_END = re.compile(r"[，,]")
# Which situations could be in a text, from the strings their patterns need (most texts: none).
_POSSIBLE = Prefilter([s.pattern for s in _SITUATIONS])


def _is_real(situation: _Situation, sentence: str, start: int, end: int) -> bool:
    """Whether the situation matched at [start, end) of one sentence is happening now."""
    before = sentence[:start]
    clause_start = max((m.end() for m in re.finditer(r"[，,]", before)), default=0)
    said = sentence[clause_start:end]  # the clause up to the end of the match, which may hold the hedge
    if _UNREAL.search(said) or _NEGATED.search(before) or _UNREAL_AFTER.search(sentence[end:]):
        return False
    clause_end = _CLAUSE_END.search(sentence, end)
    clause = sentence[clause_start:clause_end.start() if clause_end else len(sentence)]
    repeated = _REPEATED.search(sentence[end : end + 4]) or _HABITUAL.search(clause) or _COUNTED.search(said)
    if (repeated or _EXPERIENCED.search(clause)) and not _NOW.search(clause):
        return False
    # A past or worry word earlier in the sentence holds for the whole sentence unless "now" says otherwise.
    if (_UNREAL.search(before) or _RECENT_PAST.search(sentence)) and not _NOW.search(sentence):
        return False
    if _OVER.search(sentence[end:]) or _DENIED_EVENT.search(sentence[start:end]):
        return False
    if _REMEDY.search(sentence) and not _RESCUE.search(sentence):
        return False
    if (situation.urgency.hotline == GAS and _GAS_NAMED.search(sentence[start:end]) is None
            and _GAS_LOOKALIKE.search(sentence)):
        return False
    if situation.urgency.reason == "疑似火情" and re.fullmatch("明火|火苗|火光", sentence[start:end]) and _COOKING.search(sentence):
        return False
    if not situation.standing_ok and _STANDING.search(sentence) and not _NOW.search(sentence):
        return False
    if situation.urgency.reason == "冒烟，疑似火情":
        clause = sentence[clause_start:]
        if (_LOOKALIKE.search(clause) and not _HARM.search(sentence)) or (
                _STANDING.search(sentence) and not _NOW.search(sentence)):
            return False
    return True


# A standing hazard or a nuisance that angers people but endangers nobody now, told with danger's words:
# a fire hazard or a building put up against the rules (飞线充电 说了不听, 楼顶加盖), smoke or a smell that
# bothers (熏得, 喉咙痛), figurative words (气得要爆炸), a fire denied (不是着火).
_NUISANCE = re.compile(
    r"飞线|拉线充电|楼道(?:里|头)?(?:充电|停|堆)|推进楼道|说了?(?:好几次|几次|多次)?(?:也|都)?不听|劝(?:了|过)?(?:也|都)?不听|不听劝|"
    r"违建|违章|加盖|乱搭|搭(?:了|建)?(?:个|一个|一间|一大间)?(?:棚|房|彩钢|阳光房|玻璃房)|彩钢|砌了?(?:个|一)|"
    r"熏得|熏人|臭得|臭死|烦死|烦得|吵得|(?:喉咙|嗓子)(?:痛|疼|不舒服|难受|发痒)|咳得|闻(?:着|得|久了)?头(?:晕|痛|疼|昏)|"
    r"气得|气炸|气死|原地爆炸|蚌埠住|开玩笑|要疯了|崩溃了|"
    r"不是(?:着火|失火|起火|火灾|烧起来)|\b(?:it'?s|is) not (?:a )?fire|\bnot a fire\b|stinks?\b|awful|annoying"
)

MARKERS: dict[str, re.Pattern[str]] = {
    "unreal": re.compile(_UNREAL_WORDS),
    "over": _OVER,
    "standing": _STANDING,
    "repeated": re.compile(f"{_REPEATED.pattern}|{_HABITUAL.pattern}|{_EXPERIENCED.pattern}"),
    "now": _NOW,
    "nuisance": _NUISANCE,
}


def detect(text: str) -> Urgency | None:
    """The most pressing danger happening now in an already normalised message, or None.

    Each sentence is judged on its own: a danger word in one sentence of a long letter does not
    make the letter urgent unless that sentence describes it happening now.
    """
    return scan(text)[0]


def scan(text: str) -> tuple[Urgency | None, bool]:
    """detect()'s answer, and whether any situation is described at all, whatever its tense or mood."""
    text = repair_typos(text)
    possible = [_SITUATIONS[i] for i in _POSSIBLE.possible(text)]
    if not any(situation.pattern.search(text) for situation in possible):
        return None, False
    sentences = [s for s in _SENTENCE.split(text) if s]
    for situation in possible:
        for sentence in sentences:
            for match in situation.pattern.finditer(sentence):
                if match.end() > match.start() and _is_real(situation, sentence, *match.span()):
                    return situation.urgency, True
    return None, True
