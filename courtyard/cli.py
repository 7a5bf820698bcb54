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

if TYPE_CHECKING:
    from courtyard.settings import Settings
    from storage.db import Database


# Warn at start-up when holiday data runs out within this many days (the State Council publishes the
# next year's holidays late in the year, and chinesecalendar releases follow).
HOLIDAY_LOOKAHEAD_DAYS = 45

app = typer.Typer(help="院落民情直通车 — the Courtyard WeChat complaint loop.", no_args_is_help=True)
org_app = typer.Typer(help="Manage the org chart (towns, communities, courtyards, cadres).", no_args_is_help=True)
app.add_typer(org_app, name="org")
cadre_app = typer.Typer(help="Manage cadres' WeChat bindings.", no_args_is_help=True)
app.add_typer(cadre_app, name="cadre")
user_app = typer.Typer(help="Manage accounts of the leaders' web pages.", no_args_is_help=True)
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8080,
    org: Annotated[Path | None, typer.Option(help="Org chart YAML to import before serving.")] = None,
    threads: Annotated[int, typer.Option(help="Worker threads for HTTP requests.")] = 8,
    verbose: Annotated[bool, typer.Option(help="Log at DEBUG, libraries' chatter included.")] = False,
    workers: Annotated[
        int, typer.Option(help="Server processes on the one port (PostgreSQL only; one of them runs the sweeps).")
    ] = 1,
) -> None:
    """Run the WeChat webhook at /wechat, the web pages and the scheduler."""
    from waitress import create_server

    from courtyard import messages, runtime
    from courtyard.workers import run_workers, workers_refusal
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
    for warning in messages.push_warnings(settings):
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


@org_app.command("import")
def org_import(file: Annotated[Path, typer.Argument(help="Org chart YAML (DESIGN.md §4).")]) -> None:
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


@cadre_app.command("invite")
def cadre_invite(name: Annotated[str, typer.Argument(help="The cadre's name as in the org chart.")]) -> None:
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


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The account's name (what is typed at /login).")],
    role: Annotated[str, typer.Option(help="admin, leader or cadre.")],
    cadre: Annotated[str | None, typer.Option(help="For --role cadre: the cadre's name in the org chart.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from the first line of stdin.")] = False,
) -> None:
    """Create a web account, or change its role, cadre and password (signing its browsers out)."""
    from handlers.accounts import AccountError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    db = _open_database(settings)
    try:
        created = add_user(
            db=db, name=name, role=role, cadre_name=cadre, password=password, now=datetime.now(settings.tz)
        )
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{'created' if created else 'updated'} web account {name!r} ({role}{', ' + cadre if cadre else ''})")


@app.command()
def hot(
    days: Annotated[int | None, typer.Option(min=1, max=36500, help="Only reports of the last N days.")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="How many issues to print.")] = 10,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Read messages from a CSV (id, and text or subject+detail).")
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


@app.command()
def classify(
    texts: Annotated[list[str], typer.Argument(help="Messages to classify, one argument each.")],
    org: Annotated[Path | None, typer.Option(help="Org chart YAML to find courtyards in (default: database).")] = None,
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


@app.command("eval")
def eval_(file: Annotated[Path, typer.Argument(help="CSV with columns text,label (others ignored).")]) -> None:
    """Accuracy, per-class and macro F1 and the confusion matrix of the classifier on a labelled CSV."""
    from courtyard.nlp_commands import run_eval

    _quiet_jieba()
    raise typer.Exit(run_eval(file))


def _quiet_jieba() -> None:
    """jieba announces loading its dictionary on stderr; the commands' output should be theirs alone."""
    logging.getLogger("jieba").setLevel(logging.WARNING)


@app.command()
def sweep(
    at: Annotated[str | None, typer.Option(help="Run as of this ISO-8601 moment (default: now).")] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for the scheduler lock held by another process.")
    ] = 30.0,
) -> None:
    """Run every scheduler sweep once, including the outbox drain, and print what it did."""
    from courtyard import messages, runtime
    from handlers.policy import PolicyError
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
    if not settings.can_push:
        typer.echo(messages.SWEEP_NO_CREDENTIALS)
    lock = leadership(db.engine)
    if not lock.acquire():
        typer.echo(messages.SWEEP_WAITING.format(seconds=wait))
        deadline = time.monotonic() + wait
        while not lock.acquire():
            if time.monotonic() >= deadline:
                typer.echo(messages.SWEEP_LOCK_BUSY, err=True)
                raise typer.Exit(1)
            time.sleep(1.0)
    with leading(lock):
        reports = run_all(deps, now, drain=settings.can_push)
    typer.echo(f"sweep as of {now.isoformat()}")
    for name, report in reports.items():
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "nothing due"
        typer.echo(f"  {name}: {counts}")


@app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (replaced if it exists).")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from the file name).")] = None,
) -> None:
    """Write the ledger (台账), one row per ticket, for a spreadsheet."""
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
    typer.echo(f"exported {count} tickets to {output} ({chosen})")


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
