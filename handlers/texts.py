"""Every sentence a person reads, in one place: polite, plain Simplified Chinese."""

from __future__ import annotations


def category_label(category: str) -> str:
    """A ticket's category as cadres read it; 其他 on a ticket means nobody has classified it yet."""
    return "类别待确认" if category == "其他" else category


def excerpt(text: str, limit: int) -> str:
    """The text on one line, cut to limit characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


SERVICE_NAME = "院落民情直通车"

WELCOME = (
    f"您好，欢迎关注{SERVICE_NAME}！\n"
    "家门口遇到什么问题、有什么建议，直接发文字或语音告诉我们就行，也可以发照片和位置。"
    "比如：“桂花苑门口的路灯坏了三天了”。\n"
    "我们会立刻登记并转给负责您院落的干部，处理的每一步都会告诉您。\n"
    "发送“查询”看您反映过的问题，发送“帮助”看全部用法。"
)

WELCOME_BOUND = "您已登记为{courtyard}的居民，以后反映问题会直接转给{courtyard}的负责人。"

HELP = (
    f"{SERVICE_NAME}使用说明：\n"
    "1. 反映问题：直接发文字或语音，说清楚在哪个小区/院落、什么问题，可以再补发照片或位置；\n"
    "2. 查询：发送“查询”看您反映过的问题，发送“查询 编号”（如“查询 12”）看某一件的进展；\n"
    "3. 撤回：问题已经解决或发错了，发送“撤回 编号”；\n"
    "4. 遇到着火、燃气泄漏、有人受伤等紧急情况，请先拨打119、120或110。"
)

SMALL_TALK = f"您好！我是{SERVICE_NAME}，有问题或建议直接发给我就行，比如“桂花苑门口的路灯坏了”。发送“帮助”查看用法。"

EMPTY_TEXT = "您发来的消息是空的。请用文字或语音说说遇到了什么问题，我们马上登记。"

VOICE_NOT_RECOGNISED = "抱歉，这条语音没能识别出文字。麻烦您打字告诉我们遇到了什么问题，谢谢！"

UNSUPPORTED_TYPE = "抱歉，这类消息暂时无法处理。请用文字、语音、照片或位置告诉我们遇到的问题。"

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

TICKET_DETAIL = "编号 {number}\n状态：{status}\n院落：{courtyard}\n反映时间：{created}\n内容：{excerpt}"

TICKET_DETAIL_LATEST = "最新进展：{note}"

TICKET_DETAIL_RESULT = "办理结果：{note}"

NOT_YOUR_TICKET = "没有找到您名下编号 {number} 的问题。请发送“查询”核对编号。"

BAD_NUMBER = "请在“{command}”后面加上编号，比如“{command} 12”。发送“查询”可以看到您的问题编号。"

WITHDRAWN = "编号 {number} 已撤回，负责人不会再处理它。如有新问题，欢迎随时告诉我们。"

CANNOT_WITHDRAW = "编号 {number} 当前状态是“{status}”，不能再撤回了。"

UNKNOWN_COURTYARD_NAME = "未确定院落"

STATUS_NAMES = {
    "new": "已登记，待受理",
    "accepted": "已受理，处理中",
    "resolved": "已办结，待评价",
    "closed": "已完结",
    "withdrawn": "已撤回",
}

NEW_TASK = "【新任务】编号 {number}（{category}）\n院落：{courtyard}\n反映时间：{created}\n内容：{text}"

TRIAGE_TASK = (
    "【待归类】编号 {number}（{courtyard}）系统拿不准类别，猜是“{guess}”（把握约{confidence}%），已先交院落办理。"
    "请回复“归类 {number} 类别”定下来，比如“归类 {number} {guess}”。\n内容：{text}"
)

NEW_TASK_URGENT = "【紧急任务】编号 {number}：{reason}，请立即联系处置！\n院落：{courtyard}\n内容：{text}"

WITHDRAWN_NOTICE = "编号 {number} 已被居民撤回，无需再处理。"

SERVER_TROUBLE = "抱歉，系统刚才出了点问题。您的消息我们已经记下了，工作人员会尽快跟进。"

# --- cadres -----------------------------------------------------------------------------------

CADRE_HELP = (
    "干部指令（编号就是任务推送里的“编号 N”）：\n"
    "任务 —— 看我的待办，紧急的和最早的排在前面\n"
    "受理 N —— 接下这件事\n"
    "进展 N 说明 —— 告诉居民办到哪一步了\n"
    "办结 N 说明 —— 办完了，写上结果，系统会请居民评价\n"
    "转办 N 院落或干部 —— 转给更合适的院落或干部\n"
    "上报 N 原因 —— 交给上一级（院落→社区→镇）\n"
    "详情 N —— 看这件事的全部经过\n"
    "归类 N 类别 —— 定下或改正问题的类别（如城乡建设、环境保护）\n"
    "代录 说明 —— 替走院子时遇到的居民登记问题"
)

CADRE_NOT_A_COMMAND = (
    "这条消息不是干部指令。如果您是以居民身份反映问题，请回复“确认”登记；回复“取消”作罢。发送“帮助”查看干部指令。"
)
CADRE_CONFIRM_CANCELLED = "好的，已取消，这条消息不会登记。"
CADRE_NOTHING_TO_CONFIRM = "没有等待确认的消息。要反映问题请直接描述，发送“帮助”查看干部指令。"

NOT_A_CADRE = "“{command}”是负责干部使用的指令。如需反映问题，直接描述就行；发送“帮助”查看用法。"

CADRE_BAD_NUMBER = "请在“{command}”后面加上编号，比如“{example}”。发送“任务”可以看到您的待办编号。"
CADRE_NEEDS_NOTE = "请在编号后面写上{what}，比如“{example}”。"
CADRE_NO_SUCH_TASK = "没有找到您负责范围内的编号 {number}。请发送“任务”核对编号。"

NO_TASKS = "您目前没有待办的任务。"
TASK_LIST_HEADER = "您有{count}件待办（紧急和最早的在前）："
TASK_LIST_LINE = "{urgent}编号 {number}｜{status}｜{courtyard}｜{due}｜{excerpt}"
TASK_LIST_MORE = "……另有{count}件未列出。"
TASK_LIST_FOOTER = "回复“受理 编号”接单，“详情 编号”看经过。"
TASK_DUE = "截止 {due}"
TASK_NO_DUE = "未定截止"

ACCEPTED = "已受理编号 {number}，已通知居民。办理中有进展请发“进展 {number} 说明”，办完发“办结 {number} 结果”。"
ALREADY_ACCEPTED = "编号 {number} 已经受理过了。有进展请发“进展 {number} 说明”。"
CANNOT_ACT = "编号 {number} 当前是“{status}”，不能再{action}了。"
PROGRESS_NOTED = "已记录编号 {number} 的进展，并告诉了居民。"
RESOLVED = "编号 {number} 已办结，系统会请居民评价。辛苦了！"
RESOLVED_NO_RESIDENT = "编号 {number} 已办结并归档。辛苦了！"
TRANSFERRED = "编号 {number} 已转给{target}，对方会收到推送。"
TRANSFER_TARGET_UNKNOWN = "没有找到“{target}”。请写院落名称或干部姓名，比如“转办 {number} 桂花苑”。"
TRANSFER_OUT_OF_REACH = "“{target}”不在您可以转办的范围内。需要跨社区协调的，请用“上报 {number} 原因”。"
TRANSFER_SAME = "编号 {number} 已经由{target}负责了。"
ESCALATED = "编号 {number} 已上报{target}，由上级接手处理。"
ESCALATE_TOP = "您已是镇一级，无法再上报。可以用“转办 {number} 院落或干部”交给具体负责人。"
ESCALATE_NOBODY = "上一级暂时没有可以接收的干部，请直接联系社区或镇里。"
CATEGORIZED = "编号 {number} 已归为“{category}”，办理期限 {due}。"
CATEGORIZED_KEEPS_DUE = "编号 {number} 已归为“{category}”。"
CATEGORY_UNKNOWN = "没有“{given}”这个类别。可选：{choices}。比如“归类 {number} 城乡建设”。"
ENTERED_FOR_RESIDENT = "已代录，编号 {number}，归属{courtyard}。"

DETAIL_HEADER = "编号 {number}｜{status}｜{category}{urgent}\n院落：{courtyard}\n负责人：{assignee}\n{source}：{created}\n内容：{text}"
DETAIL_DUE = "截止：{due}"
DETAIL_SATISFACTION = "评价：{satisfaction}"
DETAIL_HISTORY = "经过："
DETAIL_LINE = "{at} {what}{who}{note}"

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
}

# --- pushes -----------------------------------------------------------------------------------

PUSH_ACCEPTED = "您反映的问题（编号 {number}）已受理，负责人正在处理，有进展会再告诉您。"
PUSH_PROGRESS = "您反映的问题（编号 {number}）有新进展：{note}"
PUSH_TRANSFERRED = "您反映的问题（编号 {number}）已转交给更合适的负责人处理，请放心。"
PUSH_ESCALATED = "您反映的问题（编号 {number}）已提交上一级协调处理，有进展会再告诉您。"
PUSH_RESOLVED = "您反映的问题（编号 {number}）已办结：{note}"
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
SURVEY_REOPENED = "很抱歉没能让您满意。编号 {number} 已退回重新办理，社区也会跟进，有进展会告诉您。"
NO_SURVEY_PENDING = "目前没有需要您评价的问题，谢谢！有新问题直接告诉我们就行。"

# --- binding ----------------------------------------------------------------------------------

BOUND = "绑定成功，{name}您好！您是{place}的{role}，以后分派给您的任务会推送到这里。发送“任务”查看待办，发送“帮助”查看全部指令。"
BIND_FAILED = "邀请码无效或已过期，请联系管理员重新获取。"
BIND_NEEDS_CODE = "请在“绑定”后面加上管理员给您的邀请码，比如“绑定 K7M2Q9XD”。"
ROLE_NAMES = {"courtyard": "院落负责人", "community": "社区干部", "town": "镇干部"}
CADRE_MEDIA = "照片或位置已收到，但干部账号发来的照片和位置不会自动登记。办理凭证请用“进展 N 说明”或“办结 N 结果”写明；要反映问题请用文字描述后回复“确认”。"

# --- sweeps -----------------------------------------------------------------------------------

NUDGE_ASSIGNEE = "【提醒】编号 {number}（{courtyard}）分派给您已有一段时间，还没有受理。请尽快回复“受理 {number}”，或用“转办”“上报”交给更合适的人。"
NUDGE_SUPERVISE = (
    "【督办】编号 {number}（{courtyard}）分派给{assignee}已超过{waited}仍未受理，请督促办理。\n内容：{text}"
)
DUE_SOON = "【即将到期】编号 {number}（{courtyard}）将于 {due} 到期，请抓紧办理；办完请回复“办结 {number} 结果”。"
OVERDUE_ASSIGNEE = "【已超期】编号 {number}（{courtyard}）已超过办理期限（{due}），已报上级督办，请尽快办结。"
OVERDUE_SUPERVISE = (
    "【超期督办】编号 {number}（{courtyard}）由{assignee}办理，已超过期限（{due}）仍未办结，请督促。\n内容：{text}"
)
FOLLOWUP = "您反映的问题（编号 {number}）目前{status}。{latest}我们会持续跟进，有进展第一时间告诉您。"
FOLLOWUP_LATEST = "最新进展（{at}）：{note}。"
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
SECONDED_TASK = "【附议】编号 {number} 又有居民反映同一问题，目前共 {count} 人反映：{text}"
ALREADY_REPORTED = "这个问题您已经反映过了（编号 {number}），正在处理中。发送“查询 {number}”可查看进度。"
REPORTERS = "（{count}人反映）"

# --- Delivery: what was held while a person's 48-hour window was closed, and who cannot be reached ----

HELD_SUMMARY_HEADER = "【未读汇总】您没上线期间有 {count} 条通知{about}，合并成这一条（最紧急的在前）："
HELD_SUMMARY_ABOUT = "，涉及 {tickets} 件诉求"
HELD_SUMMARY_DROPPED = "其中 {dropped} 条已被后来的消息取代，不再单列。"
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

HANDOVER_TASKS = "【工作交接】{gone}已不在组织架构中，TA 名下 {count} 件诉求转由您负责："
HANDOVER_LINE = "编号 {number}｜{status}｜{courtyard}｜{excerpt}"
HANDOVER_MORE = "……另有 {more} 件，发“任务”查看。"
HANDOVER_FOOTER = "回复“任务”查看全部待办，“详情 编号”看经过。"
HANDOVER_EVENT = "{gone}已不在组织架构中，转交{successor}"
