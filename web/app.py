"""The leaders' web pages: /login, /logout, / (dashboard), /ledger (with exports), /tickets/N, /api/stats.

Every page but /login needs a session (pages redirect to /login, the API answers 401), every form
carries a CSRF token, and everything a resident wrote is escaped by the templates (Jinja2, autoescape).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import bottle
from jinja2 import Environment, PackageLoader

from handlers import accounts, dashboard, search, stats, ticket_page
from handlers import hot as hot_issues
from handlers.accounts import Outcome, Viewer
from handlers.context import Context
from handlers.ledger import COLUMNS, filtered_rows
from handlers.stats import PeriodError
from storage import ledger_query
from web import filters
from web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Cookies, current_viewer, same_token
from web.export import write_ledger
from web.filters import FilterError

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
PAGE_SIZE = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class WebConfig:
    """How the pages are served: Secure cookies always (True), never (False) or over HTTPS only (None); whether
    residents' photos are fetched from WeChat (only with credentials)."""

    secure_cookies: bool | None = None
    fetches_photos: bool = True


def make_web_app(*, ctx: Context, config: WebConfig = WebConfig()) -> bottle.Bottle:
    """The bottle app of the leaders' pages; the wiring merges it next to /wechat."""
    app = bottle.Bottle()
    cookies = Cookies(config.secure_cookies)
    env = _templates(ctx)
    db, calendar = ctx.db, ctx.calendar
    hot_board = hot_issues.HotBoard(db=db, clock=ctx.clock)
    app.config["courtyard.hot"] = hot_board  # the wiring starts it on the whole ledger and stops it

    def render(name: str, status: int = 200, **values: Any) -> str:
        bottle.response.status = status
        bottle.response.content_type = "text/html; charset=utf-8"
        bottle.response.set_header("Cache-Control", "no-store")
        for header, value in SECURITY_HEADERS.items():
            bottle.response.set_header(header, value)
        return env.get_template(name).render(path=bottle.request.path, **values)

    def problem(viewer: Viewer | None, status: int, message: str) -> str:
        return render("problem.html", status, viewer=viewer, message=message)

    def page(view: Callable[..., str]) -> Callable[..., str]:
        """A page that needs a session: without one, off to /login (and back here afterwards)."""

        def wrapper(**kwargs: Any) -> str:
            viewer = current_viewer(bottle.request, db=db, now=ctx.clock())
            if viewer is None:
                target = bottle.request.fullpath + (
                    "?" + bottle.request.query_string if bottle.request.query_string else ""
                )
                bottle.redirect("/login?" + urlencode({"next": target}), 303)
            assert viewer is not None
            return view(viewer, **kwargs)

        return wrapper

    def form_checked(viewer: Viewer) -> bool:
        return same_token(viewer.csrf_token, bottle.request.forms.get("csrf_token"))

    def login_form() -> str:
        if current_viewer(bottle.request, db=db, now=ctx.clock()) is not None:
            bottle.redirect(_safe_next(bottle.request.query.get("next")), 303)
        return render("login.html", csrf_token=cookies.login_csrf(), next=_safe_next(bottle.request.query.get("next")))

    def login() -> str:
        form = bottle.request.forms
        target = _safe_next(form.get("next"))
        if not same_token(bottle.request.get_cookie(LOGIN_CSRF_COOKIE) or "", form.get("csrf_token")):
            return render(
                "login.html", 403, csrf_token=cookies.login_csrf(), next=target, error="页面已过期，请重新登录。"
            )
        name, password = form.getunicode("username") or "", form.getunicode("password") or ""
        result = accounts.sign_in(db=db, name=name.strip()[:64], password=password[:1024], now=ctx.clock())
        if result.outcome == Outcome.SIGNED_IN:
            assert result.token is not None
            cookies.set(SESSION_COOKIE, result.token, max_age=accounts.SESSION_HOURS * 3600)
            cookies.clear(LOGIN_CSRF_COOKIE)
            bottle.redirect(target, 303)
        if result.outcome == Outcome.LOCKED:
            error = f"密码连续输错 {accounts.MAX_FAILURES} 次，账号已暂时锁定，请 {accounts.LOCK_MINUTES} 分钟后再试。"
            return render("login.html", 429, csrf_token=cookies.login_csrf(), next=target, error=error, username=name)
        return render(
            "login.html", 401, csrf_token=cookies.login_csrf(), next=target, error="用户名或密码不正确。", username=name
        )

    @page
    def logout_form(viewer: Viewer) -> str:
        return render("logout.html", viewer=viewer)

    def logout() -> str:
        viewer = current_viewer(bottle.request, db=db, now=ctx.clock())
        if viewer is None:
            bottle.redirect("/login", 303)
        assert viewer is not None
        if not form_checked(viewer):
            return problem(viewer, 403, "页面已过期（安全校验未通过），请刷新页面后再试。")
        accounts.sign_out(db=db, viewer=viewer)
        cookies.clear(SESSION_COOKIE)
        bottle.redirect("/login", 303)
        return ""

    @page
    def home(viewer: Viewer) -> str:
        now = ctx.clock()
        today = now.astimezone(calendar.tz).date()
        query = bottle.request.query
        try:
            period = stats.parse_period(query.get("from", ""), query.get("to", ""), today=today)
        except PeriodError as exc:
            return problem(viewer, 400, str(exc))
        board = dashboard.build(db=db, calendar=calendar, scope=viewer.scope, period=period, now=now)
        hot = hot_board.latest(viewer.scope)  # never waits: the last result, or None while the first is computed
        trend = {"weeks": board.trend.weeks, "collected": board.trend.collected, "resolved": board.trend.resolved}
        categories = [{"name": g.name, "value": g.counts.collected} for g in board.stats.by_category]
        return render(
            "dashboard.html",
            viewer=viewer,
            board=board,
            period=period,
            hot=hot,
            today=today,
            quick=_quick_periods(today),
            charts={"trend": trend, "categories": categories},
            now_utc=now,
            prior=stats.RANK_PRIOR_TICKETS,
            hot_days=hot_issues.DASHBOARD_DAYS,
            hot_minutes=round(hot_issues.MAX_AGE_SECONDS / 60),
        )

    @page
    def ledger(viewer: Viewer) -> str:
        try:
            form = filters.parse(bottle.request.query, tz=calendar.tz, today=ctx.clock().astimezone(calendar.tz).date())
            number = filters.page_number(bottle.request.query.get("page", ""))
        except FilterError as exc:
            return problem(viewer, 400, str(exc))
        if form.search:
            search.refresh_index(db=db)
        query = replace(form.query, terms=search.query_terms(form.search)) if form.search else form.query
        with db.snapshot() as session:
            rows, total = ledger_query.page(
                session=session,
                query=query,
                scope=viewer.scope,
                now=ctx.clock(),
                offset=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            options = filters.options(session=session)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if number > pages:
            bottle.response.status = 404
            return problem(viewer, 404, f"没有第 {number} 页：按当前条件共 {total} 件，{pages} 页。")
        return render(
            "ledger.html",
            viewer=viewer,
            rows=rows,
            total=total,
            page=number,
            pages=pages,
            form=form,
            options=options,
            query_string=form.query_string,
            now=ctx.clock(),
        )

    @page
    def export(viewer: Viewer, fmt: str) -> Any:
        try:
            form = filters.parse(bottle.request.query, tz=calendar.tz, today=ctx.clock().astimezone(calendar.tz).date())
        except FilterError as exc:
            return problem(viewer, 400, str(exc))
        if form.search:
            search.refresh_index(db=db)
        query = replace(form.query, terms=search.query_terms(form.search)) if form.search else form.query
        folder = Path(tempfile.mkdtemp(prefix="courtyard-export-"))
        path = folder / f"ledger.{fmt}"
        with db.snapshot() as session:
            rows = filtered_rows(session=session, tz=calendar.tz, query=query, scope=viewer.scope, now=ctx.clock())
            write_ledger(rows, COLUMNS, path, fmt)
        stamp = f"{ctx.clock().astimezone(calendar.tz):%Y%m%d-%H%M}.{fmt}"
        response = bottle.static_file(path.name, root=str(folder))
        # HTTP headers are Latin-1: an ASCII name, and the Chinese one for browsers that read RFC 6266.
        response.set_header(
            "Content-Disposition", f"attachment; filename=\"ledger-{stamp}\"; filename*=UTF-8''{quote('台账-' + stamp)}"
        )
        for leftover in (path, folder):  # the open file stays readable until it is sent (POSIX)
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        return response

    @page
    def ticket(viewer: Viewer, number: str) -> str:
        if not number.isascii() or not number.isdigit() or len(number) > 9:
            return problem(viewer, 404, "没有这个编号的问题。")
        view = ticket_page.load(db=db, scope=viewer.scope, number=int(number), tz=calendar.tz)
        if view is None:
            return problem(viewer, 404, f"没有编号 {int(number)} 的问题，或它不在您的负责范围内。")
        return render("ticket.html", viewer=viewer, view=view, fetches_photos=config.fetches_photos)

    @page
    def ticket_photo(viewer: Viewer, number: str, photo_id: str) -> Any:
        if not all(n.isascii() and n.isdigit() and len(n) <= 9 for n in (number, photo_id)):
            return problem(viewer, 404, "没有这张照片。")
        found = ticket_page.photo(db=db, scope=viewer.scope, number=int(number), photo_id=int(photo_id))
        if found is None:
            return problem(viewer, 404, "没有这张照片，或它所属的问题不在您的负责范围内。")
        content_type, data = found
        # Only the image types handlers/photos.py checked by their first bytes are ever stored.
        bottle.response.content_type = content_type
        bottle.response.set_header("Cache-Control", "private, max-age=86400")
        bottle.response.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        bottle.response.set_header("X-Content-Type-Options", "nosniff")
        bottle.response.set_header(
            "Content-Disposition", f'inline; filename="ticket-{int(number)}-photo-{int(photo_id)}"'
        )
        return data

    def api_stats() -> str:
        bottle.response.content_type = "application/json; charset=utf-8"
        bottle.response.set_header("Cache-Control", "no-store")
        viewer = current_viewer(bottle.request, db=db, now=ctx.clock())
        if viewer is None:
            bottle.response.status = 401
            return json.dumps({"error": "需要登录"}, ensure_ascii=False)
        now = ctx.clock()
        query = bottle.request.query
        try:
            period = stats.parse_period(
                query.get("from", ""), query.get("to", ""), today=now.astimezone(calendar.tz).date()
            )
        except PeriodError as exc:
            bottle.response.status = 400
            return json.dumps({"error": str(exc)}, ensure_ascii=False)
        result = stats.compute(db=db, calendar=calendar, scope=viewer.scope, period=period, now=now)
        return json.dumps(result.as_json(), ensure_ascii=False)

    def static(name: str) -> Any:
        response = bottle.static_file(name, root=str(STATIC))
        response.set_header("Cache-Control", "public, max-age=86400")
        return response

    def not_found(_: bottle.HTTPError) -> str:
        return problem(None, 404, "没有这个页面。")

    def failed(error: bottle.HTTPError) -> str:
        if error.exception is not None:
            log.error("web page failed: %s", error.traceback)
        return problem(
            None, error.status_code, "服务器出了点问题，请稍后再试。" if error.status_code >= 500 else "请求无效。"
        )

    app.error(404)(not_found)
    for status in (400, 405, 500):
        app.error(status)(failed)
    app.get("/login")(login_form)
    app.post("/login")(login)
    app.get("/logout")(logout_form)
    app.post("/logout")(logout)
    app.get("/")(home)
    app.get("/ledger")(ledger)
    app.get("/ledger/export.<fmt:re:csv|xlsx>")(export)
    app.get("/tickets/<number>")(ticket)
    app.get("/tickets/<number>/photos/<photo_id>")(ticket_photo)
    app.get("/api/stats")(api_stats)
    app.get("/static/<name:path>")(static)
    return app


def _safe_next(target: object) -> str:
    """A path on this site to go to after signing in; anything else (another host, a scheme) becomes /."""
    if (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) < 2000
    ):
        return target
    return "/"


def _quick_periods(today: date) -> list[tuple[str, str, str]]:
    """Shortcut periods for the dashboard: (label, from, to)."""
    week = today.toordinal() - today.weekday()
    year = today.replace(month=1, day=1)
    return [
        ("今日", today.isoformat(), today.isoformat()),
        ("本周", date.fromordinal(week).isoformat(), today.isoformat()),
        ("本月", today.replace(day=1).isoformat(), today.isoformat()),
        ("本年", year.isoformat(), today.isoformat()),
    ]


def _templates(ctx: Context) -> Environment:
    env = Environment(loader=PackageLoader("web", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    tz = ctx.calendar.tz

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(tz).strftime(fmt) if moment else "—"

    def pct(rate: float | None) -> str:
        return "—" if rate is None else f"{rate * 100:.1f}%"

    def place_point(place: ledger_query.Place) -> dict[str, object]:
        return {"name": place.name, "lat": place.lat, "lon": place.lon, "open": place.open}

    env.filters.update(local=local, pct=pct, place_point=place_point)
    env.globals.update(status_names=filters.STATUS_NAMES, satisfaction_names=filters.SATISFACTION_NAMES)
    return env
