"""Every sentence a person reads, in one place: polite, plain Simplified Chinese."""

from __future__ import annotations

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

SMALL_TALK = (
    "您好！我是{service}，有问题或建议直接发给我就行，比如“桂花苑门口的路灯坏了”。发送“帮助”查看用法。"
).format(service=SERVICE_NAME)

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

NEW_TASK_URGENT = "【紧急任务】编号 {number}：{reason}，请立即联系处置！\n院落：{courtyard}\n内容：{text}"

WITHDRAWN_NOTICE = "编号 {number} 已被居民撤回，无需再处理。"

SERVER_TROUBLE = "抱歉，系统刚才出了点问题。您的消息我们已经记下了，工作人员会尽快跟进。"
