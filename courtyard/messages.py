"""What the `courtyard` command tells the person running it, in plain Chinese: start-up, warnings, errors."""

from __future__ import annotations

from pathlib import Path

from courtyard.settings import Settings
from handlers.org_import import Handover

ORG_IMPORTED = "组织架构：已导入 {path}，{courtyards} 个院落、{cadres} 名干部。"
ORG_UNCHANGED = "组织架构：{path} 与数据库中的相同，没有改动（{courtyards} 个院落、{cadres} 名干部）。"
ORG_IN_DATABASE = "组织架构：使用数据库中已有的。"
ORG_DEMO = (
    "还没有组织架构：已载入示范镇“{town}”（{courtyards} 个院落、{cadres} 名干部，文件 {path}）。"
    "导入你们自己的：courtyard org import 文件.yaml"
)
ORG_HANDED_OVER = "{cadre} 已不在组织架构中，TA 名下的诉求已转交：{parts}。接手的干部已收到通知。"
ORG_HANDED_PART = "{successor}（编号 {numbers}）"
ORG_STRANDED = (
    "{cadre} 已不在组织架构中，TA 名下 {count} 件未办结的诉求（编号 {numbers}）找不到接手的干部，请尽快安排。"
)
ORG_ERROR = "无法导入组织架构：{error}"
POLICY_ERROR = "组织架构的 policy 设置有误：{error}"

DEVELOPMENT_TOKEN = (
    "未设置 WECHAT_TOKEN：暂用开发令牌 {token!r}。"
    "正式接入公众号前，请在公众号后台“基本配置”设置令牌，并填入 WECHAT_TOKEN。"
)
NO_HOLIDAY_DATA = (
    "注意：已安装的 chinesecalendar 没有 {year} 年的节假日数据；升级它之前，{year} 年按周一至周五计算工作日。"
)
NO_CREDENTIALS = (
    "未设置 WECHAT_APP_ID / WECHAT_APP_SECRET：所有推送（给干部的新任务、提醒、督办、简报，"
    "给居民的受理、进展、办结通知和回访）都先存在发件箱，一条也发不出去。"
    "到期提醒、超期标记、未评价归档和简报照常按时生成，填好这两项并重启后依次发出。"
)
DEMO_NO_CREDENTIALS = (
    "演示模式，未设置 WECHAT_APP_ID / WECHAT_APP_SECRET：推送不发往微信，而是送到聊天模拟器里扮演的人手上，"
    "渠道（客服消息、模板消息、暂存）照真实规则选择并标出；接入真实公众号前请先导入你们自己的组织架构并设置这两项。"
)
NO_TASK_TEMPLATE = (
    "未设置 WECHAT_TEMPLATE_TASK：干部 48 小时内没给公众号发过消息时，给 TA 的新任务、提醒、督办和简报会暂存，"
    "等 TA 下次发消息时合并成一条发出；超过 1 个工作日联系不上的干部会报告给上一级。"
    "要让这些推送随时送达，请在公众号后台“模板消息”里添加一个待办任务类模板，把模板 ID 填入 WECHAT_TEMPLATE_TASK。"
)
NO_STATUS_TEMPLATE = (
    "未设置 WECHAT_TEMPLATE_STATUS：居民 48 小时内没给公众号发过消息时，给 TA 的受理、进展、办结通知和回访会暂存，"
    "等 TA 下次发消息时合并成一条发出。"
    "要让这些推送随时送达，请在公众号后台“模板消息”里添加一个办理进度类模板，把模板 ID 填入 WECHAT_TEMPLATE_STATUS。"
)
WORKERS_AT_LEAST_ONE = "--workers 至少为 1（收到的是 {workers}）。"
WORKERS_NEED_POSTGRES = (
    "--workers {workers}：SQLite 只能由一个进程写入，多进程请把 COURTYARD_DB_URL 设为 PostgreSQL；"
    "用 SQLite 时去掉 --workers（或写 --workers 1）。"
)
WORKERS_OVER_CORES = (
    "提示：--workers {workers} 多于本机可用的 {cores} 个 CPU 核。每条消息主要耗的是 CPU，多出的进程不会更快，"
    "反而让每条消息多耗 CPU、多占数据库连接（bench/workers.py）。建议 --workers {cores}。"
)
WORKERS_READY = (
    "院落民情直通车已就绪：{workers} 个工作进程共用一个端口，其中一个负责定时任务。"
    "本机 webhook {address}/wechat ，健康检查 {address}/healthz"
)
DATABASE_UNREACHABLE = (
    "无法连接数据库 {url}：{reason}。请确认数据库已经启动、COURTYARD_DB_URL 里的地址、端口、库名和账号密码正确"
    "（SQLite 文件所在的文件夹要存在且可写），然后重新运行。本次命令没有执行，数据没有任何改动。"
)
DATABASE_LOCKED = (
    "数据库 {url} 被另一个进程锁住，等了 30 秒仍未放开"
    "（多半是另一个 courtyard 进程卡住了，或有人用 sqlite3 开着写事务）。请找到并结束那个进程后重新运行。"
    "本次命令没有执行，数据没有任何改动。"
)
SCHEDULER_TAKEN = "本进程接手了定时任务（提醒、督办、回访、简报和推送），选举凭据：{holder}。"
SCHEDULER_LOST = (
    "本进程失去了定时任务的调度锁（数据库连接断开，或另一个进程已接手），已停止执行定时任务，"
    "以免重复提醒；由持有调度锁的进程继续。"
)
SWEEP_WAITING = "另一个进程（多半是正在运行的 courtyard serve）正在执行定时任务，最多等它 {seconds:g} 秒……"
SWEEP_LOCK_BUSY = (
    "没有执行：另一个进程一直占着定时任务（调度锁），为免重复提醒，本次不运行。"
    "正在运行的 courtyard serve 会按时自动执行这些任务；确需手动执行，请先停止 serve 再试。"
)
SWEEP_NO_CREDENTIALS = (
    "未设置 WECHAT_APP_ID / WECHAT_APP_SECRET：推送一条也没有发出，发件箱里有 {count} 条在等待，"
    "设置这两项后由 courtyard serve 或下一次 courtyard sweep 发出。"
)
SWEEP_DEMO_NO_CREDENTIALS = (
    "演示组织架构，未设置 WECHAT_APP_ID / WECHAT_APP_SECRET：推送不发往微信，这次没有发出；"
    "发件箱里有 {count} 条在等待，courtyard serve 运行时会把它们送到聊天模拟器里扮演的人手上"
    "（超过48小时没发消息的人暂存，等TA再发消息）。"
)
SWEEP_WAITING_LATER = (
    "发件箱里还有 {count} 条没到发送时间（夜间免打扰等到早上，或稍后重试），"
    "由 courtyard serve 或下一次 courtyard sweep 按时发出。"
)
# Scripts and tests find the address in "webhook http://…/wechat": keep those words.
READY = "院落民情直通车已就绪（用时 {seconds:.2f} 秒）：本机 webhook {address}/wechat ，健康检查 {address}/healthz"
PORT_IN_USE = (
    "端口 {port} 已被占用：可能已有一个 courtyard serve 在运行，或被别的程序占用。请先停掉它，或用 --port 换一个端口。"
)
PORT_FORBIDDEN = "没有权限监听端口 {port}（1024 以下的端口需要管理员权限）。请用 --port 换一个 1024 以上的端口。"
ADDRESS_UNUSABLE = "无法在 {host}:{port} 上监听：{reason}。请检查 --host 和 --port。"

SWEEP_DONE = "定时任务已执行（按 {moment} 计）："
SWEEP_PART = "  {part}：{counts}"
SWEEP_NOTHING = "没有到期的事项"
SWEEP_PARTS = {"ledger": "台账", "outbox": "发件箱"}
# What each count of a sweep or drain report means, for the operator reading `courtyard sweep`.
SWEEP_COUNTS = {
    "unaccepted_reminder": "未受理提醒 {n} 件",
    "unaccepted_to_community": "未受理督办到社区 {n} 件",
    "unaccepted_to_town": "未受理督办到镇 {n} 件",
    "due_soon_reminder": "即将到期提醒 {n} 件",
    "overdue": "标记超期 {n} 件",
    "resident_followup": "向居民告知进度 {n} 件",
    "survey_reminder": "回访提醒 {n} 件",
    "closed_unrated": "未评价归档 {n} 件",
    "unreachable_cadre": "联系不上的干部 {n} 人（已告知上级）",
    "unreachable_untold": "联系不上且无人可告知的干部 {n} 人",
    "courtyard_walk_digest": "院落走访简报 {n} 份",
    "leader_digest": "领导周报 {n} 份",
    "backlog_summary": "积压推送合并为汇总 {n} 人",
    "sent:custom": "已发出（客服消息）{n} 条",
    "sent:template": "已发出（模板消息）{n} 条",
    "held": "暂存（等对方发消息）{n} 条",
    "pending": "稍后重试 {n} 条",
    "failed": "发送失败 {n} 条",
    "superseded": "被更新的消息取代 {n} 条",
}
EXPORTED = "已导出 {count} 件诉求到 {path}（{format}）"
USER_CREATED = "已创建网页账号“{name}”（{role}{cadre}）"
USER_UPDATED = "已更新网页账号“{name}”（{role}{cadre}），它已登录的浏览器都已退出"
USER_ROLES = {"admin": "管理员", "leader": "领导", "cadre": "干部"}
PASSWORD_PROMPT = "密码"
PASSWORD_AGAIN = "再输入一次密码"

INVITE = "{name}：请用 TA 以后要用的微信号，在 {deadline} 之前向公众号发送“绑定 {code}”。"
UNKNOWN_CADRE = "组织架构里没有名叫“{name}”的在任干部。请检查姓名，或先用 courtyard org import 导入。"


def database_unreachable(safe_url: str, exc: BaseException) -> str:
    """Why the database cannot be used: its URL (password hidden by the caller) and the driver's first line."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    if reason and reason[0] == "database is locked":  # SQLite: reachable, but somebody holds its write lock
        return DATABASE_LOCKED.format(url=safe_url)
    return DATABASE_UNREACHABLE.format(url=safe_url, reason=reason[0] if reason else type(exc).__name__)


def push_warnings(settings: Settings, *, demo: bool) -> list[str]:
    """Which pushes `serve` will hold, and what to configure so they go: one paragraph each (on the demo
    without credentials, pushes go to the simulator's phones instead)."""
    warnings = [] if settings.can_push else [DEMO_NO_CREDENTIALS if demo else NO_CREDENTIALS]
    if not settings.wechat_template_task:
        warnings.append(NO_TASK_TEMPLATE)
    if not settings.wechat_template_status:
        warnings.append(NO_STATUS_TEMPLATE)
    return warnings


def sweep_counts(counts: dict[str, int]) -> str:
    """One report's counts in words, e.g. “未受理提醒 3 件、已发出（客服消息）5 条”."""
    if not counts:
        return SWEEP_NOTHING
    return "、".join(SWEEP_COUNTS.get(kind, kind + " {n}").format(n=n) for kind, n in sorted(counts.items()))


def org_result(path: Path, courtyards: int, cadres: int, changed: bool) -> str:
    return (ORG_IMPORTED if changed else ORG_UNCHANGED).format(path=path, courtyards=courtyards, cadres=cadres)


def handover(done: Handover) -> str:
    """What an org import did with a removed cadre's tickets."""
    lines = []
    if done.taken:
        parts = "；".join(
            ORG_HANDED_PART.format(successor=name, numbers="、".join(map(str, numbers))) for name, numbers in done.taken
        )
        lines.append(ORG_HANDED_OVER.format(cadre=done.cadre, parts=parts))
    if done.stranded:
        numbers = "、".join(map(str, done.stranded))
        lines.append(ORG_STRANDED.format(cadre=done.cadre, count=len(done.stranded), numbers=numbers))
    return "\n".join(lines)
