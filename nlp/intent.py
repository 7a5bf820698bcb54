"""What a message wants before what it is about: a complaint, small talk, a progress question,
a prelude with no content yet, or a question (where/how do I …)."""

from __future__ import annotations

import re

from nlp.prefilter import Guarded

COMPLAINT = "complaint"
SMALLTALK = "smalltalk"
PROGRESS = "progress"
PRELUDE = "prelude"
QUESTION = "question"
INTENTS: tuple[str, ...] = (COMPLAINT, SMALLTALK, PROGRESS, PRELUDE, QUESTION)

# "How is the thing I reported going?": a reference to an earlier report, or asking for its state.
_PROGRESS = re.compile(
    r"(我|我们|上次|上回|之前|前几天|前天|昨天|上周|上个星期|早上|那天)[^，。！？,.!?]{0,6}"
    r"(反映|报|说|投诉|举报|提|登记|留言)(过)?的[^。！？!?]{0,20}"
    r"(咋样|怎么样|如何|进展|进度|结果|处理|办|修|弄|管|回复|回音|消息|动静|没|了吗|了没|啥时候|什么时候|多久)"
    r"|(进展|进度)(如何|怎么样|咋样|呢|到哪|了)"
    r"|(修|办|处理|弄|搞)(得|的)(咋样|怎么样|如何)了?"
    r"|(处理|办|修|弄|解决)(了|好)?(没有|没|了吗|了没)[^，。！？,.!?]{0,4}[?？]?$"
    r"|(有|还没|咋还没|怎么还没)[^，。！？,.!?]{0,3}(回音|回复|消息|动静|下文|人来)"
    r"|(查|问)(一下|下)?(我|我们)?(的|反映的|报的)?(进度|进展|那个问题|工单|编号)"
    r"|编号\s*\d+[^。！？!?]{0,12}(咋样|怎么样|如何|进展|进度|了吗|了没|处理)"
    # a promised visit that has not come: 说好今天来修 人呢
    r"|(说好|答应|说)(了|的)?[^。！？!?]{0,8}(来|修|弄|处理|看)[^。！？!?]{0,8}(人呢|咋还没|怎么还没|还没来|还不来|没人来|没来)"
    r"|(来修|来看|来弄|来处理|派人)[^。！？!?]{0,6}(人呢|咋还没|怎么还没|还没来|还不来)"
    r"|(有|有没有)?(下文|回音|消息|着落)(没得|没有|没|了吗|了没|吗|不)"
    # chasing it up: 催一下, 说好的三天内回复 今天第五天了, 还没有人打给我, 工单号 … 进度
    r"|催(一下|一哈|下|催)|还没有?人(打|来|联系|回)|到底(好久|什么时候|啥时候|几时)(来|修|弄|处理|回复)"
    r"|说好的[^。！？!?]{0,10}(今天|已经|都)(第)?[\d一二两三四五六七八九十几]+天|工单号?|查一下我的(投诉|反映|工单|留言)"
    r"|上次(那个|说的|报的|反映的)[^。！？!?]{0,12}(有没有|去查|怎么样|咋样|结果)"
    r"|(还|到底)来不来|是不是忘(了|记了)|(审|批|核实|落实)(下来|好)?了?(没有|没得|没)"
    r"|any (progress|update|news)|progress on|update on|what happened (to|with) my|zen ?me ?yang ?le|you ?jie ?guo|jin ?zhan"
    # reported some time ago and nothing since: 投诉了一个星期了一点动静都没有, 反映了三次了还是没人来
    r"|(投诉|反映|举报|报|打电话)(了|过)[^。！？!?]{0,8}(天|周|星期|礼拜|月|次|回|遍)了?[^。！？!?]{0,12}"
    r"(动静|回音|回复|下文|消息|没人|没有人|还是|咋还|怎么还|到底|啥情况|一回都没)"
    r"|(前|以前|之前|上个?月|上周|上个?礼拜|上次|上回)[^。！？!?]{0,4}(说|报|反映|投诉|提|举报)的[^。！？!?]{0,14}"
    r"(啥情况|什么情况|怎么样|咋样|还是|老样子|没|吗|啥时候|什么时候|到底)"
    r"|(?<!检)(查|问|采纳|复查|研究|回复|答复|批复)(了|过)(没|没有|吗|没得)(?![\u4e00-\u9fff])|(后来|最后)?(怎么|咋个?)(答复|处理|回复|解决)的"
    r"|(处理结果|结果)(啥时候|什么时候)(出来|有)|(进度|进展)[^。！？!?]{0,6}(查一下|能不能查|啥时候|什么时候)|没人(理|回)(我|一下)|转给[^。！？!?]{0,8}了[^。！？!?]{0,10}(没|说)"
    r"|(显示|怎么|咋个?就|就)(已经?)?办结|说(会|要)[^。！？!?]{0,8}(一直|还)没"
)
# Wanting to report, with nothing reported yet.
_PRELUDE = re.compile(
    r"(我|我们|俺)?(想|要|有|来|跟你们|给你们|向你们)?(想|要)?(反映|反应|投诉|举报|报告|说|问|咨询|讲|提)"
    r"(一)?(个|一个|点|一下|下)?(事情|事儿|事|问题|情况|意见|建议)?"
    r"|有(个|一个|件|点)?(事情|事儿|事|问题|情况)(想|要)?(反映|反应|说|问|咨询|麻烦)?(一下|下)?"
    r"|(可以|能|能不能|可不可以)(在这里?|这里|在这)?(反映|投诉|举报|说)(问题|事情|事)?(吗|不|嘛)?"
    r"|(麻烦|请|帮)(你们|您)?(帮)?(个忙|一下|下)?"
    r"|怎么(反映|投诉)"
)
# Greetings, thanks, praise, acknowledgements, fillers: what is left after removing them decides.
_SMALL = re.compile(
    r"你们好|大家好|你好|您好|早上好|上午好|中午好|下午好|晚上好|晚安|早安|新年好|过年好|节日快乐|新年快乐|中秋快乐"
    r"|春节快乐|国庆快乐|元旦快乐|端午安康|谢谢|多谢|感谢|谢了|谢啦|辛苦了|辛苦|麻烦了|费心了|在吗|在不在|有人吗|有人在吗"
    r"|测试|试一下|试试|好的|好嘞|好滴|收到|知道了|晓得了|明白了|明白|可以|没问题|点赞|点个赞|赞|棒|巴适|安逸|给力"
    r"|好评|满意|哈+|呵+|嘿+|嗯+|哦+|噢+|喔+|喂|早|您|你们|你|了|呀|啊|吗|呢|嘛|哟|吧|滴|哇|呐|么|的|好|在|请问|真|太|非常"
    r"|ok|okay|hi|hello|hey|test|thanks|thank|you|bye|拜拜|再见|亲|老师|同志|领导|书记|主任|工作人员|小编"
    r"|有人在(没得|没有|没|不)|小妹|美女|帅哥|客服|签到|么么哒|随便看看|shou ?dao|ni ?hao|zai ?ma"
)
_NOT_WORD = re.compile(r"[^\w]|_")
# Fixed problems and praise: "路灯亮了 谢谢" is thanks, not a complaint.
_THANKS = re.compile(r"谢谢|多谢|感谢|辛苦|点赞|巴适|安逸|给力|好评|满意|表扬|效率高|速度快|真快|好快|麻烦你们了")
_FIXED = re.compile(r"(修好|弄好|搞好|处理好|解决|亮|通|好|清理干净|拉走|修)了")
# A problem reported as solved, thanks or not: 路灯亮了, 下水道通了 不臭了, 水来了.
_SOLVED = re.compile(
    r"(修好|弄好|搞好|处理好|解决|亮|通|恢复|来水|来电|水来|电来|拉走|清走|运走|清理干净|扫干净|不臭|不吵|不漏|不堵|安静|好|到账)了"
    r"|(补平|填平|掏干净|换新|找到)了|安逸|舒服多了|亮堂|good job|works now"
    # praise told without thanks: 效率真高, 比以前好多了, 表扬一下
    r"|终于(能|可以|没|不)|表扬|点赞|越来越好|好漂亮|很有意义|太负责|效率(真|好|很)?高|好多了|舒服多了|比以前好|真不错|好精彩"
    r"|靠谱|暖心|太暖了|感动|好人一生平安|辛苦(了|啦)|thank|great job|well done"
    # praise of a rescue or a visit: 消防员五分钟就到了, 硬是要得, 多亏, 五星好评
    r"|来得(好|很|真|非常|特别)?快|(分钟|一会儿)就(到|来)了|硬是要得|太牛|多亏|好干部|五星|欣慰|心里暖|nice|awesome"
)
# A private advert or a notice to neighbours: nothing for a department.
_ADVERT = re.compile(r"出售|价格公道|价格实惠|包送|包邮|送货上门|加我微信|上门回收|随叫随到|需要的(加|联系|找|私信|私聊)|要的来|有人拼车|转让|低价处理"
                     r"|私聊|私我|有意者|拎包入住|出租(?!车)|寻狗|寻猫|捡到|失物招领|联系电话")
# Remarks about this account or the office itself (slow replies, pushed articles, wanting a person):
# nothing for a department in town to fix.
_ABOUT_US = re.compile(r"^转人工|人工客服|(回复|回|回消息)得?(好|太|真)慢|都不回的?$|推送|推文|自动回复")
# Wishes, notes to a cadre and closing words: nothing to act on (重阳节到了祝老人家身体健康, 跟您说一声, 算了不用了).
_COURTESY = re.compile(
    r"祝[^。！？!?]{0,20}(健康|快乐|平安|顺利|幸福|吉祥|如意|安康|愉快|发财|长寿)|(节|年|春节|中秋|国庆)快乐|加油(哦|呀|啊|!|$)"
    r"|happy (new year|holidays?|birthday|\w+ festival)|merry|have a (nice|good|great) day|good (morning|night|evening|afternoon)"
    r"|(跟|和|给)(您|你|你们)说一声|特地[^。！？!?]{0,4}说一声|说一声(谢谢|哈|哦|啊|$)|告诉(你们|您)一声|麻烦通知|转告|转达"
    r"|不用(上门|来|过来)了|发错了|打错了|按错了|^算了|算了吧|算了不用|不用了$"
    r"|(那就|就)这样(吧|了)?$|原来是这样|行吧|好吧|第一次用|请多关照|关注一下"
)
# … unless it is still, again or otherwise not solved.
_UNSOLVED = re.compile(
    r"又|还是|还没|仍然|依然|照样|没(修|弄|好|亮|通|来|人)|不(亮|通|行)|但|可是|不过|就是|只是|希望|整改|有没有人管|怎么|咋|为什么|为啥|"
    r"坏|漏(?!了?[?？]?$)|堵|吵得|臭得|几天|好久|一直|要不要|能不能|吗|[?？]|没$|没有$|没得$|了没|快点|快来|来人|赶紧"
)


def solved_report(text: str) -> bool:
    """Whether the message says a problem is solved, with nothing still wrong."""
    return _SOLVED.search(text) is not None and _UNSOLVED.search(text) is None


# Thanks or praise, then what is still wrong: 谢谢 但是水还是没来.
_BUT_STILL = re.compile(r"(但是|可是|不过|只是)[^。！？!?]{0,12}(还是|还没|又|没|不|坏|漏|堵)")


def thanks_but_still(text: str) -> bool:
    """Whether the message thanks or praises and then names what is still wrong (a complaint)."""
    return _BUT_STILL.search(text) is not None


_STILL = re.compile(r"还是|还没|又|仍然|依然|照样")


def still_broken(text: str) -> bool:
    """Whether the message says a problem is still or again there (灯还是不亮, 路灯又坏了)."""
    return _STILL.search(text) is not None and _PROBLEM.search(text) is not None


def still_unsolved(text: str) -> bool:
    """Whether the message says something is still, again or otherwise not solved."""
    return _UNSOLVED.search(text) is not None and _PROBLEM.search(text) is not None


# Where/how/when do I …: a request for information rather than for a fix.
_QUESTION = re.compile(
    r"(在哪|哪里|哪儿|哪个地方|啥地方|什么地方|哪个部门|找哪个|找谁|哪家)(可以|能|去)?(办|交|领|买|报|打|看|查|开|补|申请|登记|接种|缴)"
    r"|(怎么|咋个|咋|如何|怎样|怎么样才能|要怎么)(办理|申请|报名|报销|缴费|交费|交|缴|办|弄|查询|查|领|补办|登记|预约|认证|转|续|开通|备案)"
    r"|(需要|要)(带|准备)?(什么|哪些|啥子?)(材料|资料|证件|手续|条件)"
    r"|(什么时候|啥时候|几点|几号|哪天)(开始|开放|开门|上班|下班|报名|发|办|能办|可以办|截止|放假|开学)"
    r"|(多少钱|收费标准|标准是多少|能报多少|报销比例|怎么收费)"
    r"|(有没有|是不是|是否|能不能|可不可以|可以)[^，。！？,.!?]{0,12}(吗|呢|么)?[?？]$"
    r"|[?？]$"
)
# Signs of a problem to fix: a question that has one is a complaint in question form.
_PROBLEM = re.compile(
    r"坏|堵|臭|吵|脏|乱|漏|垮|烂|破|裂|淹|没人管|莫得人|不管|不修|不亮|不通|停水|停电|投诉|举报|太差|欺负|骗"
    r"|欠|拖|扣|乱收|多收|不给|不退|不发|不让|不开|占|堆|噪音|油烟|烟|味|污染|危险|隐患|好久|几天了|还没|一直"
    r"|怎么没人|咋没人|凭什么|为什么|为啥|咋个回事|怎么回事|管不管|有没有人管"
)


# Most messages hold none of the strings a progress question or a question needs: not searched then.
_PROGRESS_GUARDED = Guarded(_PROGRESS)
_QUESTION_GUARDED = Guarded(_QUESTION)


def _residue(text: str, pattern: re.Pattern[str]) -> str:
    return _NOT_WORD.sub("", pattern.sub("", text))


def detect_intent(text: str, *, urgent: bool = False) -> str:
    """The intent of a normalised message; an urgent message is always a complaint."""
    if urgent:
        return COMPLAINT
    content = _residue(text, _SMALL)
    if not content:
        return SMALLTALK
    if _PROGRESS_GUARDED.search(text):
        return PROGRESS
    if not _residue(content, _PRELUDE):
        return PRELUDE
    if _THANKS.search(text) and _FIXED.search(text) and not re.search(r"又|还是|没(修|弄|好|亮|通)|不(亮|通)", text):
        return SMALLTALK
    if (len(text) <= 60 and solved_report(text)) or (_ADVERT.search(text) and not _PROBLEM.search(text)):
        return SMALLTALK
    if _COURTESY.search(text) and not _PROBLEM.search(text) and not _QUESTION_GUARDED.search(text):
        return SMALLTALK
    if _ABOUT_US.search(text) and not _PROBLEM.search(_ABOUT_US.sub("", text)) and not _QUESTION_GUARDED.search(text):
        return SMALLTALK
    if _QUESTION_GUARDED.search(text) and not _PROBLEM.search(text):
        return QUESTION
    return COMPLAINT
