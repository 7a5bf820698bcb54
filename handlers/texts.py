"""Every sentence a person reads, in one place: polite, plain Simplified Chinese."""

from __future__ import annotations


def category_label(category: str) -> str:
    """A ticket's category as cadres read it; 其他 on a ticket means nobody has classified it yet."""
    return "类别待确认" if category == "其他" else category


def excerpt(text: str, limit: int, *, flat: bool = True) -> str:
    """The text (on one line unless flat is False), cut to limit characters with an ellipsis."""
    shown = " ".join(text.split()) if flat else text.strip()
    return shown if len(shown) <= limit else shown[:limit] + "…"


EXCERPT_CHARS = 200  # what a push or reply quotes of a ticket; `详情 N` has more
REPLY_LIMIT_BYTES = 2048  # WeChat's limit for a passive reply and a customer-service text


def ticket_excerpt(ticket: object) -> str:
    """A ticket's text as a push quotes it: about 200 characters, then where to read the rest."""
    text: str = getattr(ticket, "text", "")
    if len(" ".join(text.split())) <= EXCERPT_CHARS:
        return excerpt(text, EXCERPT_CHARS)
    return excerpt(text, EXCERPT_CHARS) + MORE_IN_DETAIL.format(chars=len(text), number=getattr(ticket, "id", ""))


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def fit(text: str, limit: int = REPLY_LIMIT_BYTES) -> str:
    """Text cut at a line (or character) so that it fits limit bytes of UTF-8, saying that it was cut."""
    if _size(text) <= limit:
        return text
    room = limit - _size(CUT_SHORT)
    lines, kept = text.split("\n"), list[str]()
    for line in lines:
        if _size("\n".join([*kept, line])) > room:
            break
        kept.append(line)
    body = "\n".join(kept)
    if not kept:
        body = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return body + CUT_SHORT


def fit_lines(head: list[str], history: list[str], limit: int = REPLY_LIMIT_BYTES) -> str:
    """Head lines and history lines in one reply of at most limit bytes: the oldest-but-first history goes first."""
    history = list(history)
    dropped = 0
    while history and _size("\n".join([*head, *history])) > limit - 64:
        history.pop(1 if len(history) > 1 else 0)
        dropped += 1
    if dropped:
        history.insert(min(1, len(history)), HISTORY_OMITTED.format(count=dropped))
    return fit("\n".join([*head, *history]), limit)


SERVICE_NAME = "院落民情直通车"

WELCOME = (
    f"您好，欢迎关注{SERVICE_NAME}！\n"
    "家门口遇到什么问题、有什么建议，直接发文字或语音告诉我们就行，也可以发照片和位置。"
    "比如：“桂花苑门口的路灯坏了三天了”。\n"
    "我们会立刻登记并转给负责您院落的干部，处理的每一步都会告诉您。\n"
    "发送“查询”看您反映过的问题，发送“帮助”看全部用法。"
)

WELCOME_BOUND = "您已登记为{courtyard}的居民，以后反映问题会直接转给{courtyard}的负责人。"

HELP_HEADER = f"{SERVICE_NAME}使用说明："
HELP_REPORT = "反映问题：直接发文字或语音，说清楚在哪个小区/院落、几栋几单元、什么问题，可以再补发照片或位置"
HELP_FOOTER = "遇到着火、燃气泄漏、有人受伤等紧急情况，请先拨打119、120或110。"

SMALL_TALK = f"您好！我是{SERVICE_NAME}，有问题或建议直接发给我就行，比如“桂花苑门口的路灯坏了”。发送“帮助”查看用法。"
PRESENT = "在的，您请说！遇到了什么事，直接打字或发语音告诉我们：在哪个小区/院落（几栋几单元）、是什么情况，我们马上登记。"
THANKS = "不客气，能帮上忙我们也高兴！以后家门口有什么问题，随时发给我们。"
PRELUDE = "好的，您请说。麻烦说清楚在哪个小区/院落（几栋几单元）、遇到了什么问题，我们收到就登记。"
PRELUDE_AGAIN = "您好！请直接说说遇到了什么问题：在哪个小区/院落（几栋几单元）、是什么情况，我们收到就登记。"
PROGRESS_TOPIC_ONE = "您问的“{topic}”，是这一件："
PROGRESS_TOPIC_LIKE_ONE = "没有找到直接提到“{topic}”的问题，同类的是这一件："
PROGRESS_TOPIC_SOME = "和“{topic}”有关的有 {count} 件："
PROGRESS_TOPIC_LIKE_SOME = "没有找到直接提到“{topic}”的问题，同类的有 {count} 件："
PROGRESS_TOPIC_NONE = "您反映过的问题里没有找到和“{topic}”有关的。您反映过的问题："
PROGRESS_TOPIC_OTHERS = "您反映过的其他问题（{count}件）："
PROGRESS_NO_TICKETS = "您还没有反映过问题，所以暂时查不到进展。有问题直接发文字或语音告诉我们就行。"

DID_YOU_MEAN = "您是不是想发“{meant}”？请重新发一次。发送“帮助”查看全部用法。"

EMPTY_TEXT = "您发来的消息是空的。请用文字或语音说说遇到了什么问题，我们马上登记。"

VOICE_NOT_RECOGNISED = "抱歉，这条语音没能识别出文字。麻烦您打字告诉我们遇到了什么问题，谢谢！"

UNSUPPORTED_TYPE = "抱歉，这类消息暂时无法处理。请用文字、语音、照片或位置告诉我们遇到的问题。"
UNSUPPORTED_BY_TYPE = {
    "video": "抱歉，视频我们暂时看不了。请用文字或语音说说是什么问题、在哪个小区/院落，也可以发照片。",
    "shortvideo": "抱歉，视频我们暂时看不了。请用文字或语音说说是什么问题、在哪个小区/院落，也可以发照片。",
    "link": "收到您分享的链接，不过链接里的内容没法自动登记。要反映问题，请直接用文字或语音说说遇到了什么情况。",
    "file": "抱歉，文件我们暂时打不开。请用文字或语音说说遇到了什么问题，有照片也可以直接发过来。",
}

FILED_ROUTED = "收到，您反映的问题已登记，编号 {number}。已转给{courtyard}的负责人处理，有进展会第一时间告诉您。发送“查询 {number}”可随时查看进度。"

FILED_TRIAGE = (
    "收到，您反映的问题已登记，编号 {number}。我们正在确认它属于哪个院落，会尽快安排专人处理。"
    "方便的话请补充一下小区或院落名称。发送“查询 {number}”可随时查看进度。"
)

URGENT_PREFIX = "情况紧急请先拨打{hotline}！"

PHOTO_ATTACHED = "照片已收到，已补充到编号 {number} 的问题里，谢谢！"

PHOTO_FILED = "照片已收到并登记，编号 {number}。麻烦再用文字说一下是什么问题、在哪个院落，方便我们尽快处理。"

LOCATION_ATTACHED = "位置已收到，已补充到编号 {number} 的问题里，谢谢！"

LOCATION_FILED = "位置已收到并登记，编号 {number}。麻烦再用文字说一下遇到了什么问题。"

NO_TICKETS = "您还没有反映过问题。直接发文字或语音告诉我们就行。"

TICKET_LIST_HEADER = "您反映过的问题（最近{count}件）："

TICKET_LIST_LINE = "编号 {number}｜{status}｜{excerpt}"

TICKET_LIST_FOOTER = "发送“查询 编号”可看某一件的详细进展。"

TICKET_LIST_MORE = "……更早的还有{count}件。"

TICKET_DETAIL_REPORTERS = "共 {count} 位居民反映了这个问题"

TICKET_DETAIL_INVALID = "说明：{note}"

TICKET_DETAIL_MERGED = "已与编号 {target} 合并办理，请发送“查询 {target}”看进展"

TICKET_DETAIL = "编号 {number}\n状态：{status}\n院落：{courtyard}\n反映时间：{created}\n内容：{excerpt}"

TICKET_DETAIL_LATEST = "最新进展：{note}"

TICKET_DETAIL_RESULT = "办理结果：{note}"

TICKET_DETAIL_REOPENED = "居民评价不满意，正在重新办理（上次的办理结果：{note}）"

NOT_YOUR_TICKET = "没有找到您名下编号 {number} 的问题。请发送“查询”核对编号。"

BAD_NUMBER = "请在“{command}”后面加上编号，比如“{example}”。发送“查询”可以看到您的问题编号。"

TWO_NUMBERS = "“{command}”要写两个编号，前一个并入后一个，比如“{example}”。"

ONE_NUMBER_ONLY = "“{command}”一次只能写一个编号，比如“{example}”。"

NEEDS_NOTE = "请在编号后面写上{what}，比如“{example}”。"

WITHDRAWN = "编号 {number} 已撤回，负责人不会再处理它。如有新问题，欢迎随时告诉我们。"

WITHDRAWN_OWN_SHARE = "已撤回您对编号 {number} 的反映，您不会再收到它的消息。还有 {count} 位邻居反映了同一问题，负责人会继续为他们处理。"

REPORTER_LEFT_NOTE = "一位居民撤回了自己的反映，还有 {count} 位居民在等处理"

CANNOT_WITHDRAW = "编号 {number} 当前状态是“{status}”，不能再撤回了。"
ALREADY_WITHDRAWN = "编号 {number} 已经撤回了，不用再撤回。如有新问题，欢迎随时告诉我们。"
ALREADY_WITHDRAWN_SHARE = "您已经撤回过对编号 {number} 的反映了，不会再收到它的消息，不用再撤回。"

UNKNOWN_COURTYARD_NAME = "未确定院落"

STATUS_NAMES = {
    "new": "已登记，待受理",
    "accepted": "已受理，处理中",
    "resolved": "已办结，待评价",
    "closed": "已完结",
    "withdrawn": "已撤回",
    "merged": "已合并到其他编号",
    "invalid": "已核实，无需办理",
}

NEW_TASK = "【新任务】编号 {number}（{category}）\n院落：{courtyard}\n反映时间：{created}\n内容：{text}"

TRIAGE_TASK = (
    "【待归类】编号 {number}（{courtyard}）系统拿不准类别，猜是“{guess}”（把握约{confidence}%），已先交院落办理。"
    "请回复“归类 {number} 类别”定下来，比如“归类 {number} {guess}”。\n内容：{text}"
)

NEW_TASK_URGENT = "【紧急任务】编号 {number}：{reason}，请立即联系处置！\n院落：{courtyard}\n内容：{text}"

WITHDRAWN_NOTICE = "编号 {number} 已被居民撤回，无需再处理。（{excerpt}）"

MORE_IN_DETAIL = "（全文共{chars}字，发送“详情 {number}”查看更多）"
CUT_SHORT = "\n……（内容较长，已截断）"
HISTORY_OMITTED = "……（中间 {count} 条经过略）"

SERVER_TROUBLE = "抱歉，系统刚才出了点问题。您的消息我们已经记下了，工作人员会尽快跟进。"

# --- cadres -----------------------------------------------------------------------------------

CADRE_HELP_HEADER = "干部指令（编号就是任务推送里的“编号 N”）："
CADRE_PRESENT = "在的，{name}您好！发送“任务”查看待办，发送“帮助”查看全部指令。"
CADRE_ACKNOWLEDGED = "好的，收到。发送“任务”可查看待办，发送“帮助”查看全部指令。"

CADRE_NOT_A_COMMAND = (
    "这条消息不是干部指令。如果您是以居民身份反映问题，请回复“确认”登记；回复“取消”作罢。发送“帮助”查看干部指令。"
)
CADRE_DID_YOU_MEAN = "您是不是想发“{meant}”？请重新发一次。如果这是以居民身份反映的问题，请回复“确认”登记；回复“取消”作罢。"
CADRE_CONFIRM_CANCELLED = "好的，已取消，这条消息不会登记。"
CADRE_NOTHING_TO_CONFIRM = "没有等待确认的消息。要反映问题请直接描述，发送“帮助”查看干部指令。"

NOT_A_CADRE = "“{command}”是负责干部使用的指令。如需反映问题，直接描述就行；发送“帮助”查看用法。"

CADRE_BAD_NUMBER = "请在“{command}”后面加上编号，比如“{example}”。发送“任务”可以看到您的待办编号。"
CADRE_NO_SUCH_TASK = "没有找到您负责范围内的{numbers}{untouched}。请发送“任务”核对编号。"
CADRE_NO_SUCH_TASK_MINE = "没有找到您负责范围内的{numbers}{untouched}。您的待办编号：{mine}{more}。"
CADRE_TASKS_MORE = "等（共{count}件，发“任务”查看）"
CADRE_UNTOUCHED = "，未做处理"

NO_TASKS = "您目前没有待办的任务。"
ESCALATED_LIST_HEADER = "督办或上报给您、现由他人办理的{count}件（请督促）："
ESCALATED_LIST_ASSIGNEE = "｜办理人：{assignee}"
TASK_LIST_HEADER = "您有{count}件待办（紧急和最早的在前）{page}："
TASK_LIST_LINE = "{urgent}编号 {number}｜{status}｜{courtyard}{due}｜{excerpt}"
TASK_STATUS_NAMES = {"new": "待受理", "accepted": "处理中", "resolved": "待评价"}
TASK_LIST_MORE = "……另有{count}件未列出。"
TASK_LIST_PAGE = "，第{page}/{pages}页"
TASK_LIST_NO_PAGE = "（没有第{asked}页，这是最后一页）"
TASK_LIST_NEXT_PAGE = "……后面还有{count}件，发“任务 {next}”看下一页。"
TASK_LIST_FOOTER = "回复“受理 编号”接单，“详情 编号”看经过。"
ESCALATED_LIST_FOOTER = "回复“详情 编号”看经过，请督促办理人尽快处理。"
TASK_DUE = "截止 {due}"
TASK_NO_DUE = "未定截止"

ACCEPTED = "已受理编号 {number}，{told}。办理中有进展请发“进展 {number} 说明”，办完发“办结 {number} 结果”。"
TOLD_NOW = "已通知居民"
TOLD_LATER = "夜间免打扰，居民将在{day}早上{hour}点{minute}收到通知"
TOLD_WHEN_THEY_WRITE = "居民已超过48小时没有给我们发消息，微信暂不允许主动通知，居民下次发消息时就会收到"
TOLD_SOME_LATER = "（另有{count}位居民超过48小时没发消息，下次发消息时会收到）"
TOLD_NOBODY = "这是代录的问题，没有需要通知的居民"
TAKEN_OVER = "【已接手】编号 {number} 已由{name}接手办理，您无需再处理。"
HANDED_OVER = "【已转走】编号 {number} 已由{source}交给{target}办理，您无需再处理。"
ALREADY_ACCEPTED = "您已受理过编号 {number}，不用再发。有进展请发“进展 {number} 说明”，办完发“办结 {number} 结果”。"
ACCEPTED_BY_OTHER = "编号 {number} 已由{name}受理，正在办理，不用再受理。要看经过请发“详情 {number}”。"
ALREADY_RESOLVED = "编号 {number} 已于 {at} 办结，正在等居民评价，不用再发。"
PROGRESS_ALREADY_NOTED = "编号 {number} 的这条进展 {at} 已经记录过了，这次没有再记，也没有再通知居民。"
ALREADY_INVALID = "编号 {number} 已于 {at} 标为无需办理并归档，不用再发。"
ALREADY_ESCALATED = "编号 {number} 现在已由{name}负责，不用再上报给TA。"
ALREADY_MERGED = "编号 {number} 已经并入编号 {target} 了，不用再合并。"
MERGE_TARGET_MERGED = "编号 {target} 已并入编号 {into}。要合并，请发“合并 {number} {into}”。"
CATEGORY_SAME = "编号 {number} 已经是“{category}”了，未做改动。"
CANNOT_ACT = "编号 {number} 当前是“{status}”，不能再{action}了。"
PROGRESS_NOTED = "已记录编号 {number} 的进展，{told}。"
RESOLVED = "编号 {number} 已办结，系统会请居民评价。辛苦了！"
RESOLVED_NO_RESIDENT = "编号 {number} 已办结并归档。辛苦了！"
TRANSFERRED = "编号 {number}（{courtyard}）已转给{target}，{heard}。"
TRANSFER_HEARD_NOW = "对方会收到推送"
TRANSFER_HEARD_LATER = "对方超过48小时没给公众号发消息，推送暂存，TA 下次发消息时会收到，急的话请电话告知"
TRANSFER_HEARD_NEVER = "对方还没有绑定微信，收不到推送，请电话告知TA"
TRANSFER_NAME_SHARED = "有 {count} 位干部都叫“{target}”：{people}。编号 {number} 未转办，请写上院落或社区再发，比如“转办 {number} {example}”。"
TRANSFER_TARGET_UNKNOWN = "没有找到“{target}”这个院落或干部，编号 {number} 未转办。{candidates}"
TRANSFER_OUT_OF_REACH = "“{target}”不在您可以转办的范围内，编号 {number} 未转办。需要跨社区协调的，请用“上报 {number} 原因”。{candidates}"
TRANSFER_CANDIDATES = "您可以转给——院落：{courtyards}；干部：{cadres}。"
TRANSFER_SAME = "编号 {number} 已经由{target}负责了。"
ESCALATED = "编号 {number} 已上报{target}，由上级接手处理。"
ESCALATE_TOP = "您已是镇一级，无法再上报。可以用“转办 {number} 院落或干部”交给具体负责人。"
ESCALATE_NOBODY = "上一级暂时没有可以接收的干部，请直接联系社区或镇里。"
CATEGORIZED = "编号 {number} 已归为“{category}”，办理期限 {due}。"
CATEGORIZED_KEEPS_DUE = "编号 {number} 已归为“{category}”。"
CATEGORY_UNKNOWN = "没有“{given}”这个类别。可选：{choices}。比如“归类 {number} 城乡建设”。"
ENTERED_FOR_RESIDENT = "已代录，编号 {number}，归属{courtyard}。"
ENTERED_AND_ACCEPTED = "已代录并由您受理，编号 {number}，归属{courtyard}。办好后回复“办结 {number} 说明”。"
MERGE_SELF = "不能把编号 {number} 合并到它自己。请写两个不同的编号，比如“合并 15 12”（15 并入 12）。"
MERGE_TARGET_CLOSED = "编号 {target} 当前是“{status}”，不能再并入别的问题。请并入一个还在办理的编号。"
MERGED = "已把编号 {number} 并入编号 {target}，{moved} 位居民转到编号 {target}，现共 {count} 位居民反映，已客气地告知他们。"
MERGED_NOTICE = "【已合并】编号 {number} 已由{name}并入编号 {target}，请按编号 {target} 办理。"
INVALIDATED = "编号 {number} 已标为无需办理并归档（不发评价），{told}。"
INVALID_NOTICE = "【已归档】编号 {number} 已由{name}标为无需办理，您不用再处理。"
DETAIL_LONG_TEXT = "（全文共{chars}字，这里显示前500字；全文请登录管理后台，在台账里打开编号 {number} 查看）"

DETAIL_HEADER = "编号 {number}｜{status}｜{category}{urgent}\n院落：{courtyard}\n负责人：{assignee}\n{source}：{created}\n内容：{text}"
DETAIL_DUE = "截止：{due}"
DETAIL_SATISFACTION = "评价：{satisfaction}"
DETAIL_HISTORY = "经过："
DETAIL_LINE = "{at} {what}{who}{note}"
DETAIL_SECONDED_RUN = "{span} {count} 位居民附议，最近一条{note}"

EVENT_NAMES = {
    "created": "登记",
    "routed": "分派",
    "photo": "补充照片",
    "location": "补充位置",
    "accepted": "受理",
    "progress": "进展",
    "resolved": "办结",
    "transferred": "转办",
    "escalated": "上报",
    "withdrawn": "居民撤回",
    "survey": "居民评价",
    "reopened": "重新办理",
    "closed": "归档",
    "seconded": "居民附议",
    "supervised": "督办",
    "overdue": "超期",
    "categorized": "归类",
    "merged": "合并",
    "merged_in": "并入",
    "invalid": "无效",
    "urgent": "转为紧急",
    "reporter_left": "居民撤回本人反映",
}

# --- pushes -----------------------------------------------------------------------------------

PUSH_ACCEPTED = "您反映的问题（编号 {number}）已受理，负责人正在处理，有进展会再告诉您。"
PUSH_PROGRESS = "您反映的问题（编号 {number}）有新进展：{note}"
PUSH_TRANSFERRED = "您反映的问题（编号 {number}）已转交给更合适的负责人处理，请放心。"
PUSH_ESCALATED = "您反映的问题（编号 {number}）已提交上一级协调处理，有进展会再告诉您。"
PUSH_RESOLVED = "您反映的问题（编号 {number}）已办结：{note}"
PUSH_MERGED = "您反映的问题（编号 {number}）和邻居反映的编号 {target} 是同一件事，已合并到编号 {target} 一起办理，以后的进展会按编号 {target} 告诉您。发送“查询 {target}”可查看。"
PUSH_INVALID = "您好，您发来的内容（编号 {number}）经负责人核实，不属于需要办理的问题：{reason}。如有其他问题，欢迎随时告诉我们。"
PUSH_SURVEY = (
    "请为编号 {number} 的办理打个分，直接回复数字：\n1 满意\n2 基本满意\n3 不满意（可在数字后写上原因，我们会重新办理）"
)
TASK_TRANSFERRED_IN = (
    "【转办】编号 {number}（{category}）由{source}转来\n院落：{courtyard}\n内容：{text}\n回复“受理 {number}”接单。"
)
TASK_ESCALATED_IN = (
    "【上报】编号 {number} 由{source}上报：{reason}\n院落：{courtyard}\n内容：{text}\n回复“受理 {number}”接手。"
)
TASK_REOPENED = "【重办】编号 {number} 居民评价不满意{reason}，已退回给您重新办理。办好后请再发“办结 {number} 结果”。"
COMMUNITY_REOPENED = "编号 {number}（{courtyard}）居民评价不满意{reason}，已退回{assignee}重新办理，请关注。"

# --- surveys ----------------------------------------------------------------------------------

SATISFACTION_NAMES = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意", "none": "未评价"}
SURVEY_THANKS = "感谢您的评价（{answer}），编号 {number} 已完结。有新问题随时告诉我们！"
SURVEY_LATE = "编号 {number} 已由一起反映的邻居评价并完结。您的评价（{answer}）我们也记下了{forwarded}，谢谢！"
SURVEY_LATE_FORWARDED = "，并转告了负责人"
SURVEY_REOPENED = "很抱歉没能让您满意。编号 {number} 已退回重新办理，社区也会跟进，有进展会告诉您。"
NO_SURVEY_PENDING = "目前没有需要您评价的问题，谢谢！有新问题直接告诉我们就行。"

# --- binding ----------------------------------------------------------------------------------

BOUND = "绑定成功，{name}您好！您是{place}的{role}，以后分派给您的任务会推送到这里。发送“任务”查看待办，发送“帮助”查看全部指令。"
ALREADY_BOUND = "您已经绑定为{name}（{place}的{role}），不用再绑定。发送“任务”查看待办。"
BIND_FAILED = "邀请码无效或已过期，请联系管理员重新获取。"
BIND_NEEDS_CODE = "请在“绑定”后面加上管理员给您的邀请码，比如“绑定 K7M2Q9XD”。"
ROLE_NAMES = {"courtyard": "院落负责人", "community": "社区干部", "town": "镇干部"}
CADRE_MEDIA = "照片或位置已收到，但干部账号发来的照片和位置不会自动登记。办理凭证请用“进展 N 说明”或“办结 N 结果”写明；要反映问题请用文字描述后回复“确认”。"

# --- sweeps -----------------------------------------------------------------------------------

NUDGE_ASSIGNEE = "【提醒】编号 {number}（{courtyard}）分派给您已有一段时间，还没有受理。请尽快回复“受理 {number}”，或用“转办”“上报”交给更合适的人。"
NUDGE_SUPERVISE = (
    "【督办】编号 {number}（{courtyard}）分派给{assignee}已超过{waited}仍未受理，请督促办理。\n内容：{text}"
)
DUE_SOON_UNACCEPTED = "【即将到期】编号 {number}（{courtyard}）将于 {due} 到期，还没有受理。请尽快回复“受理 {number}”，或用“转办”“上报”交给更合适的人。"
DUE_SOON = "【即将到期】编号 {number}（{courtyard}）将于 {due} 到期，请抓紧办理；办完请回复“办结 {number} 结果”。"
OVERDUE_ASSIGNEE = "【已超期】编号 {number}（{courtyard}）已超过办理期限（{due}），已报上级督办，请尽快办结。"
OVERDUE_SUPERVISE = (
    "【超期督办】编号 {number}（{courtyard}）由{assignee}办理，已超过期限（{due}）仍未办结，请督促。\n内容：{text}"
)
FOLLOWUP = "您反映的问题（编号 {number}）目前{status}。{latest}我们会持续跟进，有进展第一时间告诉您。"
FOLLOWUP_LATEST = "最新进展（{at}）：{note}。"
SURVEY_LATE_TASK = "编号 {number} 已完结后，另一位反映的居民评价：{answer}{reason}。"
SURVEY_REMINDER = "您反映的问题（编号 {number}）已办结，还差您一个评价：回复 1 满意、2 基本满意、3 不满意（可写原因）。"
SURVEY_AUTO_CLOSED = "7天未评价，自动归档"

WALK_DIGEST_HEADER = "【走院子提醒】{day} {courtyard}"
WALK_DIGEST_OPEN = "待办 {count} 件（超期 {overdue} 件）："
WALK_DIGEST_NONE_OPEN = "目前没有待办，辛苦了！"
WALK_DIGEST_LINE = "{late}编号 {number}｜{status}｜{due}｜{excerpt}"
WALK_DIGEST_RESOLVED = "上周以来已办结 {count} 件：{numbers}"
WALK_DIGEST_FOOTER = "走院子时请顺便问问居民还有什么新问题，可用“代录 说明”登记。"

LEADER_DIGEST = (
    "【每周民情简报】{start}—{end}\n"
    "收到诉求 {collected} 件，1天内受理 {accepted} 件{accepted_rate}\n"
    "已办结 {resolved} 件，办结率 {resolution_rate}\n"
    "满意率 {satisfaction_rate}（已评价 {surveyed} 件）\n"
    "当前超期未办结 {overdue} 件"
)
LEADER_DIGEST_WORST = "需关注的院落：{courtyards}"
LEADER_DIGEST_WORST_LINE = "{name}（超期 {overdue}，待办 {open}）"
NO_FIGURE = "—"

# --- 附议 -----------------------------------------------------------------------------------------

SECONDED = "收到。邻居已经反映过同一个问题（编号 {number}），您的意见已并入，目前共 {count} 位居民反映。处理进展会同样告诉您。"
SECONDED_TASK = "【附议】编号 {number} 又有居民反映同一问题，目前共 {count} 人反映。最新一条：{text}"
ALREADY_REPORTED = "这个问题您已经反映过了（编号 {number}），正在处理中。发送“查询 {number}”可查看进度。"
REPORTERS = "（{count}人反映）"

# --- faults and abuse -----------------------------------------------------------------------------

KEPT_FOR_LATER = "抱歉，系统暂时没能马上登记。您的消息已经保存好了，稍后会自动登记，编号和处理结果会再推送给您。"
NOT_KEPT = "抱歉，系统出了故障，刚才这条消息没能保存下来。请过几分钟再发一次，给您添麻烦了。"
LATE_ANSWER = "您在{at}发来的消息（{excerpt}）现在处理好了：\n{answer}"
LATE_FAILED = "您在{at}发来的消息（{excerpt}）已经保存，但自动处理没有成功，工作人员会人工跟进。"
SLOW_DOWN = "您发得有点快，请慢一点。这条消息已经保存，但一分钟内收到的消息太多，先不单独登记；如有新问题，请过一会儿再发。"
BIND_TOO_MANY = "邀请码输错的次数太多了，为了账号安全，请一小时后再试，或联系管理员核对邀请码。"
BIND_BUSY = "绑定的人太多了，请过几分钟再试。"

# --- Delivery: what was held while a person's 48-hour window was closed, and who cannot be reached ----

HELD_SUMMARY_HEADER = "【未读汇总】您没上线期间有 {count} 条通知{about}，合并成这一条（最紧急的在前）："
BACKLOG_SUMMARY_HEADER = (
    "【未读汇总】系统推送暂停期间积压了 {count} 条给您的通知{about}，现在合并成这一条（最紧急的在前）："
)
BURST_SUMMARY_HEADER = "【汇总】同一时间有 {count} 条给您的通知{about}，合并成这一条（最紧急的在前）："
SUMMARY_SURVEY_LINE = "请为编号 {number} 的办理打个分：回复 1 满意、2 基本满意、3 不满意（可写原因）"
HELD_SUMMARY_ABOUT = "，涉及 {tickets} 件诉求"
HELD_SUMMARY_DROPPED = "另有 {dropped} 条已被后来的消息取代，不再单列。"
HELD_SUMMARY_MORE = "……另有 {more} 条，未列出。"
HELD_SUMMARY_FOOTER_CADRE = "回复“任务”查看全部待办，“详情 编号”看某一件的经过。"
HELD_SUMMARY_FOOTER_RESIDENT = "回复“查询”看您反映过的全部问题，“查询 编号”看某一件的进展。"

UNREACHABLE_HEADER = "【联系不上】以下干部已超过1个工作日收不到系统通知（48小时内没有给公众号发过消息）："
UNREACHABLE_LINE = "· {name}（{place}）{phone}：{count} 条通知暂存未发{numbers}"
UNREACHABLE_NUMBERS = "，涉及编号 {numbers}"
UNREACHABLE_PHONE = "，电话 {phone}"
UNREACHABLE_MORE = "……另有 {count} 位，未列出。"
UNREACHABLE_FOOTER = "请电话联系，提醒TA给公众号发任意一条消息，暂存的通知就会送到。"
UNREACHABLE_EVENT = "{name}超过1个工作日收不到通知，已告知{told}"
UNREACHABLE_UNTOLD_EVENT = "{name}超过1个工作日收不到通知，且没有能通过微信告知的上级或其他镇级干部，请电话联系"
UNREACHABLE_UNTOLD_WARNING = (
    "【联系不上，无人可告知】{line}（自 {since} 起）。没有能通过微信告知的上级或其他镇级干部，请电话联系TA，"
    "提醒TA给公众号发任意一条消息。"
)

HANDOVER_TASKS = "【工作交接】{gone}已不在组织架构中，TA 名下 {count} 件诉求转由您负责："
HANDOVER_LINE = "编号 {number}｜{status}｜{courtyard}｜{excerpt}"
HANDOVER_MORE = "……另有 {more} 件，发“任务”查看。"
HANDOVER_FOOTER = "回复“任务”查看全部待办，“详情 编号”看经过。"
HANDOVER_EVENT = "{gone}已不在组织架构中，转交{successor}"
