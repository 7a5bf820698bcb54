"""The leaders' pages over real HTTP: sessions, CSRF, lock-out, reach, bad input, escaping."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text

from handlers.accounts import LOCK_MINUTES, MAX_FAILURES
from storage import org_chart as org_repo
from tests.conftest import Running
from tests.support.chat import number_in, say
from tests.support.ledger import seed
from tests.support.web import PASSWORD, WebClient, make_user

COURTYARD = str(Path(sys.executable).parent / "courtyard")
SCRIPT = "<script>alert('x')</script>桂花院子路灯坏了"


def user_add(server: Running, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    env |= {"COURTYARD_DB_URL": server.settings.courtyard_db_url}
    return subprocess.run(
        [COURTYARD, "user", "add", *args, "--password-stdin"],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def signed_in(server: Running, name: str = "boss", role: str = "leader", cadre: str | None = None) -> WebClient:
    make_user(server.db, name, role, cadre)
    web = WebClient(server.base_url)
    assert web.login(name).status_code == 303
    return web


def test_user_add_creates_accounts_and_refuses_bad_ones(server: Running) -> None:
    made = user_add(server, "李芳账号", "--role", "cadre", "--cadre", "李芳")
    assert made.returncode == 0 and "已创建网页账号“李芳账号”（干部，李芳）" in made.stdout, made.stderr
    again = user_add(server, "李芳账号", "--role", "cadre", "--cadre", "李芳", password="another password")
    assert again.returncode == 0 and "已更新网页账号" in again.stdout
    web = WebClient(server.base_url)
    assert web.login("李芳账号").status_code == 401  # the old password no longer works
    assert web.login("李芳账号", "another password").status_code == 303
    for args, problem in [
        (("x", "--role", "cadre"), "--cadre"),
        (("x", "--role", "cadre", "--cadre", "无此人"), "组织架构里没有名叫“无此人”的干部"),
        (("x", "--role", "mayor"), "--role"),
        (("x", "--role", "leader", "--cadre", "李芳"), "只用于 --role cadre"),
    ]:
        refused = user_add(server, *args)
        assert refused.returncode == 2 and problem in refused.stderr, (args, refused.stderr)
    short = user_add(server, "y", "--role", "admin", password="short")
    assert short.returncode == 2 and "密码至少要" in short.stderr


def test_every_page_needs_a_session(server: Running) -> None:
    web = WebClient(server.base_url)
    for path in ("/", "/ledger", "/tickets/1", "/ledger/export.xlsx", "/logout"):
        response = web.get(path)
        assert response.status_code == 303 and "/login?next=" in response.headers["Location"], path
    api = web.get("/api/stats")
    assert api.status_code == 401 and api.json() == {"error": "需要登录"}
    assert web.get("/healthz").status_code == 200
    assert web.get("/login").status_code == 200


def test_login_sets_a_safe_cookie_and_returns_where_you_were(server: Running) -> None:
    make_user(server.db, "boss", "leader")
    web = WebClient(server.base_url)
    response = web.login("boss", next_path="/ledger?urgent=yes")
    assert response.status_code == 303 and response.headers["Location"].endswith("/ledger?urgent=yes")
    cookie = next(c for c in response.headers["Set-Cookie"].split(", courtyard") if "courtyard_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert web.get("/").status_code == 200
    evil = WebClient(server.base_url).login("boss", next_path="//evil.example/")
    assert evil.headers["Location"] == server.base_url + "/"


def test_cookies_are_secure_when_configured(start_server: Callable[..., Running]) -> None:
    server = start_server(courtyard_cookie_secure="true")  # behind a TLS-terminating proxy
    make_user(server.db, "boss", "leader")
    assert "Secure" in WebClient(server.base_url).login("boss").headers["Set-Cookie"]


def test_wrong_passwords_lock_the_account_for_a_while(server: Running) -> None:
    make_user(server.db, "boss", "leader")
    web = WebClient(server.base_url)
    unknown = web.login("nobody")
    assert unknown.status_code == 401 and "用户名或密码不正确" in unknown.text
    for _ in range(MAX_FAILURES - 1):
        wrong = web.login("boss", "guess")
        assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    locked = web.login("boss", "guess")
    assert locked.status_code == 429 and "锁定" in locked.text
    still = web.login("boss")  # even the right password waits
    assert still.status_code == 429 and "courtyard_session" not in still.headers.get("Set-Cookie", "")
    server.clock.advance(timedelta(minutes=LOCK_MINUTES + 1))
    assert web.login("boss").status_code == 303


def test_forms_without_the_right_csrf_token_change_nothing(server: Running) -> None:
    make_user(server.db, "boss", "leader")
    web = WebClient(server.base_url)
    web.get("/login")
    no_token = web.post("/login", {"username": "boss", "password": PASSWORD})
    assert no_token.status_code == 403 and "courtyard_session" not in no_token.headers.get("Set-Cookie", "")
    forged = web.post("/login", {"username": "boss", "password": PASSWORD, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert web.login("boss").status_code == 303
    for token in ("", "forged", web.csrf() + "x"):
        refused = web.post("/logout", {"csrf_token": token})
        assert refused.status_code == 403 and "安全校验" in refused.text
    assert web.get("/").status_code == 200  # still signed in
    out = web.post("/logout", {"csrf_token": web.csrf()})
    assert out.status_code == 303 and web.get("/").status_code == 303


def test_a_cadre_account_sees_only_its_reach(server: Running) -> None:
    mine = number_in(say(server, "o_res_a", "桂花院子3栋门口的路灯坏了"))
    theirs = number_in(say(server, "o_res_b", "银杏院2单元门口垃圾好几天没人收了"))
    web = signed_in(server, "lifang", "cadre", "李芳")
    assert web.get(f"/tickets/{mine}").status_code == 200
    hidden = web.get(f"/tickets/{theirs}")
    assert hidden.status_code == 404 and "银杏院" not in hidden.text and "垃圾" not in hidden.text
    ledger = web.get("/ledger").text
    assert f'href="/tickets/{mine}"' in ledger and f'href="/tickets/{theirs}"' not in ledger
    stats = web.get("/api/stats").json()
    assert stats["collected"] == 1 and [row["courtyard"] for row in stats["by_courtyard"]] == ["桂花苑"]
    sheet = load_workbook(BytesIO(web.get("/ledger/export.xlsx").content))["台账"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [mine]
    assert "银杏院" not in web.get("/").text.split("院落排名")[1]
    leader = signed_in(server)
    assert leader.get(f"/tickets/{theirs}").status_code == 200 and leader.get("/api/stats").json()["collected"] == 2


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(server: Running) -> None:
    number_in(say(server, "o_res_a", "桂花院子3栋门口的路灯坏了"))
    web = signed_in(server)
    for path, status, words in [
        ("/ledger?courtyard=1%20OR%201=1", 400, "院落"),
        ("/ledger?status=new'--", 400, "状态"),
        ("/ledger?category=DROP%20TABLE", 400, "类别"),
        ("/ledger?urgent=maybe", 400, "紧急"),
        ("/ledger?from=2026-02-30", 400, "YYYY-MM-DD"),
        ("/ledger?from=2026-11-30&to=2026-11-01", 400, "早于"),
        ("/ledger?from=0001-01-01", 400, "之间"),
        ("/ledger?sort=text;DROP", 400, "排序"),
        ("/ledger?page=0", 400, "页码"),
        ("/ledger?page=99", 404, "没有第 99 页"),
        ("/?from=9999-01-01", 400, "之间"),
        ("/tickets/abc", 404, "没有"),
        ("/tickets/99999", 404, "没有编号 99999"),
        ("/tickets/-1", 404, "没有"),
        ("/no/such/page", 404, "没有这个页面"),
    ]:
        response = web.get(path)
        assert response.status_code == status and words in response.text, (path, response.status_code)
        assert "Traceback" not in response.text
    api = web.get("/api/stats", **{"from": "2026-11-30", "to": "2026-11-01"})
    assert api.status_code == 400 and "早于" in api.json()["error"]
    for query in ("'; DROP TABLE ticket; --", '"路灯" OR 1=1', "NEAR(路灯 坏) *"):
        response = web.get("/ledger", q=query)
        assert response.status_code == 200 and "没有符合条件的问题" in response.text, query
    for query in ('"', "%_%", "*"):  # no words at all: no search
        response = web.get("/ledger", q=query)
        assert response.status_code == 200 and "共 <strong>1</strong> 件" in response.text, query
    assert "共 <strong>1</strong> 件" in web.get("/ledger").text  # the ledger is untouched


def test_residents_text_is_shown_not_run(server: Running) -> None:
    number = number_in(say(server, "o_res_x", SCRIPT))
    say(server, "o_res_y", "桂花小区的路灯坏了好几天了")
    web = signed_in(server)
    for path in ("/ledger", f"/tickets/{number}", "/"):
        page = web.get(path).text
        assert "<script>alert" not in page, path
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in web.get(f"/tickets/{number}").text


def test_the_ticket_page_names_reporters_by_role_never_openid(
    server: Running, start_server: Callable[..., Running]
) -> None:
    number = number_in(say(server, "o_res_first", "桂花院子3栋门口的路灯坏了，晚上黑黢黢的"))
    say(server, "o_res_second", "桂花苑3栋门口那个路灯不亮了")
    say(server, "o_lifang", f"受理 {number}")
    server.drain()
    page = signed_in(server).get(f"/tickets/{number}").text
    assert "o_res_first" not in page and "o_res_second" not in page and "o_lifang" not in page
    assert "首报居民" in page and "附议居民1" in page and "桂花苑3栋门口那个路灯不亮了" in page
    assert "受理" in page and "李芳" in page
    pushes = page.split('id="pushes"')[1]
    assert "干部 李芳" in pushes and "新任务" in pushes and "已送达" in pushes and "客服消息" in pushes


def hot_section(web: WebClient, *, until: str) -> str:
    """The dashboard's hot issues once they show `until`: the page never waits for the background grouping,
    so it is asked again (each view queues a new grouping when the ledger changed) for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        hot = web.get("/").text.split('id="hot"')[1]
        if until in hot or time.monotonic() > deadline:
            return hot
        time.sleep(0.1)


def test_hot_issues_of_the_ledger_on_the_dashboard_and_from_the_command(server: Running) -> None:
    base = server.clock()
    lamp = [
        seed(server.db, courtyard="桂花苑", text=text, resident=f"o_h{n}", created_at=base - timedelta(days=days))
        for n, (text, days) in enumerate(
            [
                ("桂花苑3栋门口的路灯坏了", 20),
                ("桂花苑3栋门口路灯又坏了，晚上看不见", 11),
                ("桂花苑3栋门口的路灯不亮", 2),
            ]
        )
    ]
    elsewhere = seed(server.db, courtyard="银杏院", text="银杏院3栋门口的路灯坏了", resident="o_h9", created_at=base)
    old = seed(
        server.db,
        courtyard="桂花苑",
        text="桂花苑3栋门口的路灯坏了",
        resident="o_h8",
        created_at=base - timedelta(days=60),
    )
    hot = hot_section(signed_in(server), until="3 人反映")
    assert "3 人反映" in hot and all(f'href="/tickets/{n}"' in hot for n in lamp)
    assert f'href="/tickets/{elsewhere}"' not in hot and f'href="/tickets/{old}"' not in hot
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    env |= {"COURTYARD_DB_URL": server.settings.courtyard_db_url}
    result = subprocess.run([COURTYARD, "hot", "--days", "90"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    issues = [json.loads(line) for line in result.stdout.splitlines()]
    assert issues and all(i["place"] == "桂花苑" and set(i["ids"]) <= {*lamp, old} for i in issues)
    assert old in {n for i in issues for n in i["ids"]}  # 60 days ago: inside --days 90


def test_the_ledger_search_finds_a_ticket_by_a_neighbours_words(server: Running) -> None:
    """A 附议 adds its reporter's words to the ticket's index, even after the ticket was first indexed."""
    number = number_in(say(server, "o_res_first", "桂花院子3栋门口的路灯坏了，晚上黑黢黢的"))
    web = signed_in(server)
    assert f'href="/tickets/{number}"' in web.get("/ledger", q="路灯").text  # indexed now, without the 附议
    assert f'href="/tickets/{number}"' not in web.get("/ledger", q="灯罩").text
    joined = say(server, "o_res_second", "桂花苑3栋门口那个路灯不亮了，灯罩也掉下来了")
    assert f"编号 {number}" in joined and "并入" in joined, joined
    found = web.get("/ledger", q="灯罩 掉下来")
    assert found.status_code == 200 and f'href="/tickets/{number}"' in found.text
    assert f'href="/tickets/{number}"' in web.get("/ledger", q="黑黢黢 灯罩").text  # one word of each reporter


def test_a_tickets_location_is_its_residents_point_else_its_courtyards_on_a_small_map(server: Running) -> None:
    sent = number_in(say(server, "o_loc1", "桂花苑3栋门口的路灯坏了"))
    server.poster.location("o_loc1", 30.99012, 103.62034, "桂花苑东门")
    listed = number_in(say(server, "o_loc2", "翠竹苑的垃圾好几天没人收了"))
    nowhere = seed(server.db, courtyard="银杏院", text="银杏院的下水道堵了", created_at=server.clock())
    with server.db.transaction() as session:  # a courtyard the org chart gives no location
        session.execute(text("UPDATE courtyard SET lat = NULL, lon = NULL WHERE name = '银杏院'"))
    web = signed_in(server)

    def shown(number: int) -> tuple[str, dict[str, Any] | None]:
        page = web.get(f"/tickets/{number}").text
        location = page.split('id="location">')[1].split("</dd>")[0]
        data = page.split('id="map-data">')[1].split("</script>")[0] if 'id="map-data"' in page else None
        return location, json.loads(data) if data else None

    location, data = shown(sent)
    assert "纬度 30.99012，经度 103.62034<small>（居民发送的位置）" in location
    assert data is not None and data["here"]["lat"] == 30.99012 and data["here"]["lon"] == 103.62034
    assert data["here"]["label"] == f"编号 {sent}"
    assert {c["name"] for c in data["courtyards"]} == {"桂花苑", "翠竹苑"}  # those with a location
    location, data = shown(listed)
    assert "纬度 30.98010，经度 103.61020<small>（院落位置（组织架构））" in location
    assert data is not None and (data["here"]["lat"], data["here"]["lon"]) == (30.9801, 103.6102)
    location, data = shown(nowhere)
    assert location.startswith("—") and "没有发送位置" in location and data is None
    places = web.get("/").text.split('id="places-data">')[1].split("</script>")[0]
    assert {c["name"]: c["open"] for c in json.loads(places)["courtyards"]} == {"桂花苑": 1, "翠竹苑": 1}
    cadre = signed_in(server, "lifang", "cadre", "李芳")  # the open counts are of the reader's reach
    places = cadre.get("/").text.split('id="places-data">')[1].split("</script>")[0]
    assert {c["name"]: c["open"] for c in json.loads(places)["courtyards"]} == {"桂花苑": 1, "翠竹苑": 0}


def test_a_cadres_csv_and_xlsx_exports_hold_only_tickets_in_reach_whatever_the_filter(server: Running) -> None:
    mine = number_in(say(server, "o_res_a", "桂花院子3栋门口的路灯坏了"))
    theirs = number_in(say(server, "o_res_b", "银杏院2单元门口垃圾好几天没人收了"))
    elsewhere = number_in(say(server, "o_res_c", "翠竹苑的路灯也坏了"))
    with server.db.snapshot() as session:
        yard = org_repo.courtyard_by_name(session=session, name="银杏院")
        assert yard is not None
        other = str(yard.id)
    cadre = signed_in(server, "lifang", "cadre", "李芳")
    leader = signed_in(server)

    def csv_numbers(web: WebClient, **query: str) -> list[int]:
        response = web.get("/ledger/export.csv", **query)
        assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
        text = response.content.decode("utf-8-sig")
        assert "银杏院" not in text or web is leader  # neither a number nor a name nor a word of theirs leaks
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        return sorted(int(r["编号"]) for r in rows)

    def xlsx_numbers(web: WebClient, **query: str) -> list[int]:
        response = web.get("/ledger/export.xlsx", **query)
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content))["台账"]
        cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        assert web is leader or not any("银杏院" in c or "垃圾" in c for c in cells)
        return sorted(int(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True))

    for numbers in (csv_numbers, xlsx_numbers):
        assert numbers(cadre) == [mine]
        assert numbers(cadre, q="路灯") == [mine]  # 翠竹苑's lamp is not hers either
        assert numbers(cadre, q="垃圾") == []  # a search does not widen the reach
        assert numbers(cadre, courtyard=other) == []  # nor does a filter naming another courtyard
        assert numbers(leader) == sorted([mine, theirs, elsewhere])
        assert numbers(leader, courtyard=other) == [theirs]


def test_more_bad_input_to_pages_exports_and_the_api(server: Running) -> None:
    number = number_in(say(server, "o_res_a", "桂花院子3栋门口的路灯坏了"))
    web = signed_in(server)
    for path, status, words in [
        ("/ledger?page=99999999999999999999", 400, "页码"),
        ("/ledger?page=-3", 400, "页码"),
        ("/ledger?courtyard=99999", 200, "没有符合条件的问题"),  # a number, just nobody's: an empty ledger
        ("/ledger?assignee=%00", 400, "负责人"),
        ("/ledger?from=2026-11-01&to=9999-12-31", 400, "之间"),
        ("/ledger/export.csv?courtyard=1%20OR%201=1", 400, "院落"),
        ("/ledger/export.xlsx?from=2026-13-01", 400, "YYYY-MM-DD"),
        ("/ledger/export.pdf", 404, "没有这个页面"),
        ("/?from=2026-11-30&to=2026-11-01", 400, "早于"),
        ("/?from=1999-12-31", 400, "之间"),
        ("/?from=2010-01-01&to=2026-11-24", 400, "十年"),
        ("/tickets/1234567890123", 404, "没有"),
        ("/tickets/%EF%BC%91", 404, "没有"),  # a full-width digit
        (f"/tickets/{number}/photos/1", 404, "没有这张照片"),
        (f"/tickets/{number}/photos/x", 404, "没有这张照片"),
    ]:
        response = web.get(path)
        assert response.status_code == status and words in response.text, (path, response.status_code)
        assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    for query in ({"from": "abc"}, {"to": "2026-02-30"}, {"from": "2026-11-30", "to": "2026-11-01"}):
        api = web.get("/api/stats", **query)
        assert api.status_code == 400 and api.json()["error"], query
    assert web.get("/api/stats").json()["collected"] == 1  # nothing changed
    anonymous = WebClient(server.base_url)
    for path in ("/ledger/export.csv", f"/tickets/{number}/photos/1", "/?from=abc"):
        response = anonymous.get(path)
        assert response.status_code == 303 and "/login?next=" in response.headers["Location"], path
