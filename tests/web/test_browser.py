"""The leaders' pages in headless Chromium (Debian's chromium and chromedriver, via Selenium).

Rates shown on the dashboard are compared with numbers worked out here from the seeded facts, not by
the code under test. Screenshots go under tmp_path, or to docs/screenshots/ for the README when
scripts/refresh-screenshots.sh runs the tests (look at them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from scheduler.jobs import fetch_photos
from storage.models import TicketStatus
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say
from tests.support.images import png
from tests.support.ledger import seed
from tests.support.screenshots import screenshots
from tests.support.web import PASSWORD, make_user

__all__ = ["screenshots"]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
TZ = ZoneInfo("Asia/Shanghai")
WAIT_SECONDS = 30

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver: run scripts/test-browser.sh",
)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1366,900",
        "--lang=zh-CN",
    ):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path / "downloads")})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path / "downloads")}
    )
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, css: str) -> None:
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))


def log_in(driver: WebDriver, base_url: str, name: str, path: str = "/") -> None:
    driver.get(base_url + path)
    wait_for(driver, "input[name=username]")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    wait_for(driver, "form.who")


def shown_rate(driver: WebDriver, name: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f"[data-rate='{name}']").text)


def percent(numerator: int, denominator: int) -> str:
    return "—" if denominator == 0 else f"{100 * numerator / denominator:.1f}%"


def screenshot(driver: WebDriver, path: Path, width: int = 1366) -> None:
    """A full-page screenshot: the window is made as tall as the page first."""
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(int(height) + 120, 600), 6000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1366, 900)


def seed_ledger(server: Running) -> dict[str, list[int]]:
    """November so far (the test clock stands at Tue 24 Nov 10:00): no survey answered yet; 银杏院's tickets
    all overdue; plus the National Day week. Returns the ticket numbers by courtyard."""
    numbers: dict[str, list[int]] = {}

    def add(courtyard: str, text: str, **facts: object) -> None:
        numbers.setdefault(courtyard, []).append(seed(server.db, courtyard=courtyard, text=text, **facts))  # type: ignore[arg-type]

    # 桂花苑: 4 tickets; accepted within a working day: the first two (same day, next morning); resolved: 2.
    add(
        "桂花苑",
        "桂花院子3栋门口的路灯坏了，晚上黑黢黢的",
        resident="o_r1",
        created_at=at(11, 2, 9),
        accepted_at=at(11, 2, 11),
        resolved_at=at(11, 4, 9),
        status=TicketStatus.RESOLVED,
        due_at=at(11, 5, 9),
    )
    add(
        "桂花苑",
        "桂花苑垃圾桶满了没人清",
        resident="o_r2",
        created_at=at(11, 9, 15),
        accepted_at=at(11, 10, 10),
        resolved_at=at(11, 12, 9),
        status=TicketStatus.RESOLVED,
        category="环境保护",
        due_at=at(11, 12, 15),
    )
    add(
        "桂花苑",
        "桂花小区东门的路灯又不亮了",
        resident="o_r3",
        created_at=at(11, 16, 9),
        accepted_at=at(11, 18, 9),
        status=TicketStatus.ACCEPTED,
        due_at=at(11, 19, 9),
    )
    add(
        "桂花苑",
        "桂花苑楼道里有好大一股煤气味",
        resident="o_r4",
        created_at=at(11, 24, 8),
        urgent=True,
        due_at=at(11, 24, 12),
    )
    # 银杏院: 3 tickets, never accepted, all past their deadline.
    for n, text in enumerate(("银杏院2单元下水道堵了", "银杏小区围墙倒了一段", "银杏院门口路面塌了个坑")):
        add(
            "银杏院",
            text,
            resident=f"o_y{n}",
            created_at=at(11, 3 + n, 10),
            due_at=at(11, 6 + n, 10),
            category="城乡建设",
            overdue=True,
        )
    # National Day: filed Wed 30 Sep 16:00 → one working day runs out Thu 8 Oct 16:00 (1-7 Oct are off).
    add(
        "翠竹苑",
        "翠竹苑的健身器材坏了",
        resident="o_c1",
        created_at=at(9, 30, 16),
        accepted_at=at(10, 8, 15),
        status=TicketStatus.ACCEPTED,
    )
    add(
        "翠竹苑",
        "翠竹小区停车位被占",
        resident="o_c2",
        created_at=at(9, 30, 16),
        accepted_at=at(10, 9, 9),
        status=TicketStatus.ACCEPTED,
    )
    add(
        "翠竹苑",
        "竹林院子的水管漏水",
        resident="o_c3",
        created_at=at(10, 3, 10),
        accepted_at=at(10, 8, 17),
        status=TicketStatus.ACCEPTED,
    )
    return numbers


def test_a_leader_reads_the_dashboard_searches_and_exports(
    server: Running, browser: WebDriver, tmp_path: Path, screenshots: Path
) -> None:
    numbers = seed_ledger(server)
    make_user(server.db, "zhenzhang", "leader")
    log_in(browser, server.base_url, "zhenzhang")
    assert browser.current_url == server.base_url + "/"

    # November: 7 tickets; in time 2 (桂花苑's first two); resolved 2; no survey answered.
    assert shown_rate(browser, "响应率") == percent(2, 7)
    assert shown_rate(browser, "解决率") == percent(2, 7)
    assert shown_rate(browser, "满意率") == "—"
    attention = browser.find_element(By.XPATH, "//h2[contains(., '需优先处理')]/..").text
    assert "共 5 件" in attention  # the urgent gas smell, 桂花苑's late one and 银杏院's three overdue tickets
    ranking = browser.find_element(By.XPATH, "//h2[contains(., '院落排名')]/..").text
    assert ranking.index("银杏院") < ranking.index("桂花苑")  # worst first
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#trend canvas"))
    screenshot(browser, screenshots / "dashboard.png")
    screenshot(browser, screenshots / "dashboard-phone.png", width=390)
    screenshot(browser, screenshots / "dashboard-wall.png", width=1920)

    # The National Day period: 2 of 3 accepted within one working day.
    browser.get(server.base_url + "/?from=2026-09-28&to=2026-10-09")
    wait_for(browser, "[data-rate]")
    assert shown_rate(browser, "响应率") == percent(2, 3)

    # The ledger: search 路灯 within 桂花苑.
    browser.get(server.base_url + "/ledger")
    wait_for(browser, "#filters")
    browser.find_element(By.NAME, "q").send_keys("路灯")
    Select(browser.find_element(By.NAME, "courtyard")).select_by_visible_text("桂花苑")
    browser.find_element(By.CSS_SELECTOR, "#filters button").click()
    wait_for(browser, "#total")
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#ledger tbody td:first-child a")]
    lamps = [numbers["桂花苑"][0], numbers["桂花苑"][2]]
    assert sorted(int(n) for n in links) == sorted(lamps)
    screenshot(browser, screenshots / "ledger.png")
    screenshot(browser, screenshots / "ledger-phone.png", width=390)
    screenshot(browser, screenshots / "ledger-wall.png", width=1920)

    browser.find_element(By.ID, "export-xlsx").click()
    downloads = tmp_path / "downloads"
    WebDriverWait(browser, WAIT_SECONDS).until(lambda _: [p for p in downloads.glob("*.xlsx")])
    workbook_path = next(downloads.glob("*.xlsx"))
    WebDriverWait(browser, WAIT_SECONDS).until(lambda _: _settled(workbook_path))
    sheet = load_workbook(workbook_path)["台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == sorted(lamps)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:R{len(rows)}"
    assert all(cell.font.b for cell in sheet[1])
    assert isinstance(rows[1][rows[0].index("反映时间")], datetime)
    assert (sheet.column_dimensions["R"].width or 0) > 40

    # Drill down to a ticket.
    browser.find_element(By.LINK_TEXT, str(lamps[0])).click()
    wait_for(browser, "#history")
    assert "首报居民" in browser.find_element(By.ID, "reporters").text
    assert "o_r" not in browser.page_source

    # Drill from a courtyard in the ranking to its tickets, and on to one of them.
    browser.get(server.base_url + "/")
    wait_for(browser, "[data-rate]")
    browser.find_element(By.XPATH, "//h2[contains(., '院落排名')]/..").find_element(By.LINK_TEXT, "银杏院").click()
    wait_for(browser, "#total")
    shown = [int(a.text) for a in browser.find_elements(By.CSS_SELECTOR, "#ledger tbody td:first-child a")]
    assert sorted(shown) == sorted(numbers["银杏院"])
    browser.find_element(By.CSS_SELECTOR, f"#ledger a[href='/tickets/{shown[0]}']").click()
    wait_for(browser, "#history")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(f"编号 {shown[0]}")
    assert "银杏院" in browser.find_element(By.CSS_SELECTOR, ".facts").text


def test_a_tickets_page_tells_its_whole_story(
    server: Running, fake_wechat: FakeWeChat, browser: WebDriver, screenshots: Path
) -> None:
    number = number_in(say(server, "o_first", "桂花小区门口的路灯坏了三天了，晚上黑黢黢的"))
    say(server, "o_second", "桂花苑大门口那个路灯不亮了")
    server.poster.location("o_first", 30.99012, 103.62034, "桂花苑东门")
    fake_wechat.add_media("media_photo_1", png(), "image/png")
    server.poster.image("o_first")  # its MediaId is media_photo_1
    assert fetch_photos(server.sweep_deps, server.clock()).counts == {"stored": 1}
    fake_wechat.drop_media("media_photo_1")  # WeChat drops it after 3 days; the page shows the kept copy
    say(server, "o_lifang", f"受理 {number}")
    say(server, "o_lifang", f"进展 {number} 已联系电工，明天上午来修")
    say(server, "o_lifang", f"办结 {number} 路灯已更换")
    server.drain()
    make_user(server.db, "zhenzhang", "leader")
    log_in(browser, server.base_url, "zhenzhang", f"/tickets/{number}")
    wait_for(browser, "#history")
    history = browser.find_element(By.ID, "history").text
    for step in (
        "登记（首报居民）",
        "居民附议（附议居民1）",
        "受理（李芳）",
        "进展（李芳）：已联系电工",
        "办结（李芳）：路灯已更换",
    ):
        assert step in history, step
    assert "纬度 30.99012，经度 103.62034（居民发送的位置）" in browser.find_element(By.ID, "location").text
    # The small map, drawn from the shipped ECharts with no tiles: the town's three courtyards and this point.
    drawn = "return echarts.getInstanceByDom(document.getElementById('map')).getOption().series"
    series = browser.execute_script(drawn)
    assert [len(s["data"]) for s in series] == [3, 1]
    assert series[1]["data"][0]["value"] == [103.62034, 30.99012]
    assert {d["name"] for d in series[0]["data"]} == {"桂花苑", "银杏院", "翠竹苑"}
    assert browser.find_element(By.CSS_SELECTOR, "#map canvas").size["height"] > 100
    assert "照片（见下方“照片”）" in history
    photo = browser.find_element(By.CSS_SELECTOR, "#photos img")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.execute_script("return arguments[0].complete", photo))
    assert browser.execute_script("return arguments[0].naturalWidth", photo) == 160  # the image itself, loaded
    assert "mmbiz.qpic.cn" not in browser.page_source
    pushes = browser.find_element(By.ID, "pushes").text
    assert "干部 李芳" in pushes and "首报居民" in pushes and "附议居民1" in pushes and "已送达" in pushes
    assert "o_first" not in browser.page_source and "o_second" not in browser.page_source
    screenshot(browser, screenshots / "ticket.png")
    screenshot(browser, screenshots / "ticket-phone.png", width=390)
    screenshot(browser, screenshots / "ticket-wall.png", width=1920)


def test_a_cadre_account_cannot_open_another_courtyards_ticket(server: Running, browser: WebDriver) -> None:
    numbers = seed_ledger(server)
    make_user(server.db, "lifang", "cadre", "李芳")
    log_in(browser, server.base_url, "lifang")
    assert shown_rate(browser, "响应率") == percent(2, 4)  # only 桂花苑's November tickets
    browser.get(f"{server.base_url}/tickets/{numbers['银杏院'][0]}")
    wait_for(browser, ".error")
    assert "不在您的负责范围内" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert "银杏" not in browser.page_source
    browser.get(server.base_url + "/ledger")
    wait_for(browser, "#ledger")
    shown = {int(a.text) for a in browser.find_elements(By.CSS_SELECTOR, "#ledger tbody td:first-child a")}
    assert shown == set(numbers["桂花苑"])


def _settled(path: Path) -> bool:
    """The download is complete: no .crdownload beside it and its size stopped changing."""
    if list(path.parent.glob("*.crdownload")):
        return False
    size = path.stat().st_size
    time.sleep(0.2)
    return size > 0 and path.stat().st_size == size
