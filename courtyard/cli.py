"""The `courtyard` command (DESIGN.md §4): serve, org import, cadre invite, classify, eval, sweep, export.

Each command imports what it needs when it runs, so that `courtyard classify` does not pay for the
web server, the scheduler and the database layer it never uses (its cold start is measured).
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from courtyard.cli_chinese import ChineseTyper

if TYPE_CHECKING:
    from courtyard.settings import Settings
    from storage.db import Database


# Warn at start-up when holiday data runs out within this many days (the State Council publishes the
# next year's holidays late in the year, and chinesecalendar releases follow).
HOLIDAY_LOOKAHEAD_DAYS = 45

app = ChineseTyper(help="院落民情直通车：公众号民情收集、派单、督办、回访的一条龙。", no_args_is_help=True)
org_app = ChineseTyper(help="组织架构（镇、社区、院落、干部）。", no_args_is_help=True)
app.add_typer(org_app, name="org")
cadre_app = ChineseTyper(help="干部的微信绑定。", no_args_is_help=True)
app.add_typer(cadre_app, name="cadre")
user_app = ChineseTyper(help="管理后台（网页）的账号。", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _settings() -> Settings:
    from courtyard.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _open_database(settings: Settings) -> Database:
    """The database with its schema up to date; a message in Chinese and exit 1 when it cannot be reached."""
    from sqlalchemy import make_url

    from courtyard import messages, runtime
    from storage.db import is_unavailable

    try:
        return runtime.open_database(settings)
    except Exception as exc:
        if not (is_unavailable(exc) or isinstance(exc, OSError)):
            raise
        safe_url = make_url(settings.courtyard_db_url).render_as_string(hide_password=True)
        typer.echo(messages.database_unreachable(safe_url, exc), err=True)
        raise typer.Exit(1) from None


@app.command(help="运行公众号接口 /wechat、管理后台网页和定时任务。")
def serve(
    host: Annotated[str, typer.Option(help="监听地址。")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听端口（0 表示自动选一个空闲端口）。")] = 8080,
    org: Annotated[Path | None, typer.Option(help="启动前先导入的组织架构 YAML。")] = None,
    threads: Annotated[int, typer.Option(help="处理 HTTP 请求的线程数。")] = 8,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="输出调试级日志（含第三方库）。", show_default=False)
    ] = False,
    workers: Annotated[int, typer.Option(help="同一端口上的服务进程数（仅 PostgreSQL；其中一个负责定时任务）。")] = 1,
) -> None:
    """Run the WeChat webhook at /wechat, the web pages and the scheduler."""
    from waitress import create_server

    from courtyard import messages, runtime
    from courtyard.workers import available_cores, run_workers, workers_advice, workers_refusal
    from handlers.policy import PolicyError
    from scheduler.election import ElectedScheduler
    from scheduler.jobs import build_scheduler
    from storage.leader import leadership
    from storage.orgfile import OrgFileError

    started = time.perf_counter()
    settings = _settings()
    if refusal := workers_refusal(workers, settings.courtyard_db_url):
        typer.echo(refusal, err=True)
        raise typer.Exit(2)
    if advice := workers_advice(workers, available_cores()):
        typer.echo(advice, err=True)
    runtime.configure_logging(verbose=verbose)
    db = _open_database(settings)
    try:
        typer.echo(runtime.ensure_org_chart(db, org, settings.tz))
    except OrgFileError as exc:
        typer.echo(messages.ORG_ERROR.format(error=exc), err=True)
        raise typer.Exit(2) from None
    if not settings.wechat_token:
        typer.echo(messages.DEVELOPMENT_TOKEN.format(token=settings.token))
    if workers > 1:
        try:
            runtime.build_calendar(settings, db)  # a bad policy stops the start here, not in every worker
        except PolicyError as exc:
            typer.echo(messages.POLICY_ERROR.format(error=exc), err=True)
            raise typer.Exit(2) from None
        db.engine.dispose()  # no connection crosses the fork
        raise typer.Exit(run_workers(settings, host=host, port=port, threads=threads, workers=workers))
    ready = threading.Event()
    try:
        parts = runtime.build_server(settings, db, ready, host=host, threads=threads)
        wsgi, deps = parts.wsgi, parts.sweeps
    except PolicyError as exc:
        typer.echo(messages.POLICY_ERROR.format(error=exc), err=True)
        raise typer.Exit(2) from None
    soon = (datetime.now(settings.tz) + timedelta(days=HOLIDAY_LOOKAHEAD_DAYS)).date()
    if not deps.calendar.knows(soon):
        typer.echo(messages.NO_HOLIDAY_DATA.format(year=soon.year))
    for warning in messages.push_warnings(settings, demo=parts.demo):
        typer.echo(warning)
    try:
        server = create_server(wsgi, host=host, port=port, threads=threads)
    except OSError as exc:
        typer.echo(_listen_error(exc, host, port), err=True)
        raise typer.Exit(2) from None
    # The ledger's time work runs whatever is configured; only the drain needs a way to send.
    # Of all processes on this database, only the elected one runs the sweeps.
    scheduler = ElectedScheduler(
        leadership(db.engine),
        lambda: build_scheduler(deps, settings.tz, drain=parts.drains),
        on_change=runtime.announce_leadership,
    ).start()
    ready.set()
    # Tickets filed before the search index existed (or by another process) are indexed in the background,
    # so the first search or dashboard does not wait for a large backlog.
    threading.Thread(target=index_backlog, args=(db,), name="search-index", daemon=True).start()
    address = f"http://{host}:{server.effective_port}"
    typer.echo(messages.READY.format(seconds=time.perf_counter() - started, address=address))
    for line in runtime.next_steps(address, demo=parts.demo, token_set=bool(settings.wechat_token)):
        typer.echo(line)
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown()


def _listen_error(exc: OSError, host: str, port: int) -> str:
    """Why serve cannot listen, in one line for the operator."""
    from courtyard import messages

    if exc.errno == errno.EADDRINUSE:
        return messages.PORT_IN_USE.format(port=port)
    if exc.errno == errno.EACCES:
        return messages.PORT_FORBIDDEN.format(port=port)
    return messages.ADDRESS_UNUSABLE.format(host=host, port=port, reason=exc.strerror or exc)


def index_backlog(db: Database) -> None:
    """Index for search every ticket not yet indexed (run beside the server)."""
    from handlers.search import refresh_index

    try:
        refresh_index(db=db)
    except Exception:  # the pages index what is missing on their own; this only gets ahead of them
        logging.getLogger(__name__).exception("indexing the ledger for search failed")


@org_app.command("import", help="导入或更新组织架构；同一文件导入两次不会有改动。")
def org_import(
    file: Annotated[Path, typer.Argument(metavar="文件", help="组织架构 YAML 文件（格式见 DESIGN.md §4）。")],
) -> None:
    """Load or update the org chart; importing the same file twice changes nothing."""
    from courtyard import messages, runtime
    from storage.orgfile import OrgFileError

    settings = _settings()
    db = _open_database(settings)
    try:
        typer.echo(runtime.ensure_org_chart(db, file, settings.tz))
    except OrgFileError as exc:
        typer.echo(messages.ORG_ERROR.format(error=exc), err=True)
        raise typer.Exit(2) from None


@cadre_app.command("invite", help="生成一次性邀请码，干部用要绑定的微信向公众号发送“绑定 邀请码”。")
def cadre_invite(name: Annotated[str, typer.Argument(metavar="姓名", help="干部姓名（与组织架构中一致）。")]) -> None:
    """Print a one-time code the cadre sends as `绑定 CODE` from the WeChat account they will use."""
    from courtyard import messages
    from handlers.binding import UnknownCadre, invite

    settings = _settings()
    db = _open_database(settings)
    try:
        code, expires_at = invite(db=db, name=name, now=datetime.now(settings.tz))
    except UnknownCadre:
        typer.echo(messages.UNKNOWN_CADRE.format(name=name), err=True)
        raise typer.Exit(2) from None
    deadline = f"{expires_at:%Y-%m-%d %H:%M}（{settings.courtyard_tz}）"
    typer.echo(messages.INVITE.format(name=name, deadline=deadline, code=code))
    typer.echo(code)


@user_app.command("add", help="创建网页账号，或修改它的角色、干部和密码（它已登录的浏览器会退出）。")
def user_add(
    name: Annotated[str, typer.Argument(metavar="账号名", help="账号名（登录 /login 时填写）。")],
    role: Annotated[str, typer.Option(help="admin（管理员）、leader（领导）或 cadre（干部）。")],
    cadre: Annotated[str | None, typer.Option(help="--role cadre 时：组织架构中的干部姓名。")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入的第一行读取密码。", show_default=False)
    ] = False,
) -> None:
    """Create a web account, or change its role, cadre and password (signing its browsers out)."""
    from courtyard import messages
    from handlers.accounts import AccountError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(messages.PASSWORD_PROMPT, hide_input=True, confirmation_prompt=messages.PASSWORD_AGAIN)
    settings = _settings()
    db = _open_database(settings)
    try:
        created = add_user(
            db=db, name=name, role=role, cadre_name=cadre, password=password, now=datetime.now(settings.tz)
        )
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    done = messages.USER_CREATED if created else messages.USER_UPDATED
    typer.echo(done.format(name=name, role=messages.USER_ROLES.get(role, role), cadre=f"，{cadre}" if cadre else ""))


@app.command(help="输出热点问题，每行一个 JSON，最热的在前。")
def hot(
    days: Annotated[int | None, typer.Option(min=1, max=36500, help="只看最近 N 天的反映。")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="输出多少条热点。")] = 10,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="从 CSV 读取留言（id 列，以及 text 列或 subject+detail 两列）。")
    ] = None,
) -> None:
    """Print the hot issues (热点问题), one JSON object per line, hottest first."""
    from courtyard.hot_command import print_hot, run_hot_csv

    _quiet_jieba()
    if csv_file is not None:
        raise typer.Exit(run_hot_csv(csv_file, days=days, top=top))
    from handlers.hot import from_ledger
    from storage.ledger_query import Scope

    settings = _settings()
    db = _open_database(settings)
    print_hot(from_ledger(db=db, scope=Scope(), now=datetime.now(settings.tz), days=days or 30, top=top))


@app.command(help="对每条文本输出一行 JSON：分词、类别、置信度、是否紧急、院落等。")
def classify(
    texts: Annotated[list[str], typer.Argument(metavar="文本", help="要分类的文本，每条一个参数。")],
    org: Annotated[Path | None, typer.Option(help="用来识别院落的组织架构 YAML（默认用数据库中的）。")] = None,
) -> None:
    """Print one JSON object per text: tokens, category, confidence, urgent, courtyard."""
    from courtyard.environment import database_url
    from courtyard.nlp_commands import run_classify
    from courtyard.places import places_from_database, places_from_file

    _quiet_jieba()
    url = database_url()
    if "://" not in url:
        url = _settings().courtyard_db_url  # stops with Settings' message naming the variable
    try:
        places = places_from_file(org) if org else places_from_database(url)
    except ValueError as exc:  # OrgFileError
        typer.echo(f"无法读取组织架构：{exc}", err=True)
        raise typer.Exit(2) from None
    run_classify(texts, places)


@app.command("eval", help="在带标注的 CSV 上评估分类器：准确率、各类与宏平均 F1、混淆矩阵。")
def eval_(
    file: Annotated[Path, typer.Argument(metavar="CSV文件", help="含 text、label 两列的 CSV（其他列忽略）。")],
) -> None:
    """Accuracy, per-class and macro F1 and the confusion matrix of the classifier on a labelled CSV."""
    from courtyard.nlp_commands import run_eval

    _quiet_jieba()
    raise typer.Exit(run_eval(file))


def _quiet_jieba() -> None:
    """jieba announces loading its dictionary on stderr; the commands' output should be theirs alone."""
    logging.getLogger("jieba").setLevel(logging.WARNING)


@app.command(help="把所有定时任务（含发件箱推送）按某个时刻执行一次，并报告做了什么。")
def sweep(
    at: Annotated[str | None, typer.Option(help="按这个 ISO-8601 时刻执行（默认现在）。")] = None,
    wait: Annotated[float, typer.Option(min=0, help="另一个进程占着调度锁时最多等待的秒数。")] = 30.0,
) -> None:
    """Run every scheduler sweep once, including the outbox drain, and print what it did."""
    from courtyard import messages, runtime
    from handlers.delivery import waiting_pushes
    from handlers.followups import SweepReport
    from handlers.policy import PolicyError
    from handlers.simulation import DemoCheck
    from scheduler.election import leading
    from scheduler.jobs import run_all
    from storage.leader import leadership

    settings = _settings()
    now = parse_moment(at, settings) if at else datetime.now(settings.tz)
    db = _open_database(settings)
    try:
        deps = runtime.build_sweep_deps(settings, db)
    except PolicyError as exc:
        typer.echo(messages.POLICY_ERROR.format(error=exc), err=True)
        raise typer.Exit(2) from None
    lock = leadership(db.engine)
    if not lock.acquire():
        typer.echo(messages.SWEEP_WAITING.format(seconds=wait))
        deadline = time.monotonic() + wait
        while not lock.acquire():
            if time.monotonic() >= deadline:
                typer.echo(messages.SWEEP_LOCK_BUSY, err=True)
                raise typer.Exit(1)
            time.sleep(1.0)
    # The sweeps' warnings (a cadre nobody can be told about) are printed in the summary below, once.
    logging.getLogger("handlers.followups").addHandler(logging.NullHandler())
    with leading(lock):
        reports = run_all(deps, now, drain=settings.can_push)
    typer.echo(messages.SWEEP_DONE.format(moment=now.isoformat(timespec="minutes")))
    for name, report in reports.items():
        part = messages.SWEEP_PARTS.get(name, name)
        typer.echo(messages.SWEEP_PART.format(part=part, counts=messages.sweep_counts(report.counts)))
    for report in reports.values():
        for warning in report.warnings if isinstance(report, SweepReport) else ():
            typer.echo(warning)
    waiting = waiting_pushes(db)
    if not settings.can_push:
        demo = DemoCheck(db=db, demo_file=runtime.demo_org_path())()
        typer.echo(
            (messages.SWEEP_DEMO_NO_CREDENTIALS if demo else messages.SWEEP_NO_CREDENTIALS).format(count=waiting)
        )
    elif waiting:
        typer.echo(messages.SWEEP_WAITING_LATER.format(count=waiting))


@app.command(help="导出台账，每件诉求一行，供电子表格使用。")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件（已存在则覆盖）。")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv 或 xlsx（默认按文件扩展名）。")] = None,
) -> None:
    """Write the ledger (台账), one row per ticket, for a spreadsheet."""
    from courtyard import messages
    from handlers.ledger import COLUMNS, ledger_rows
    from web.export import FORMATS, write_ledger

    chosen = (fmt or output.suffix.removeprefix(".")).lower()
    if chosen not in FORMATS:
        typer.echo(f"--format：请选 csv 或 xlsx（收到的是 {fmt or output.name!r}）", err=True)
        raise typer.Exit(2)
    if not output.parent.is_dir():
        typer.echo(f"-o：文件夹 {str(output.parent)!r} 不存在", err=True)
        raise typer.Exit(2)
    settings = _settings()
    db = _open_database(settings)
    with db.snapshot() as session:
        count = write_ledger(ledger_rows(session=session, tz=settings.tz), COLUMNS, output, chosen)
    typer.echo(messages.EXPORTED.format(count=count, path=output, format=chosen))


def parse_moment(text: str, settings: Settings) -> datetime:
    """An ISO-8601 moment; one without an offset is in COURTYARD_TZ."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"--at：无法把 {text!r} 读作 ISO-8601 日期时间（例如 2026-12-01T09:30）", err=True)
        raise typer.Exit(2) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def main() -> None:
    app()
